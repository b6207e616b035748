//! Preventive maintenance: every plan without an open job is checked against the
//! vehicle's counters (odometer and engine hours from the health service) and the
//! calendar; work due soon or overdue becomes a job with three options to approve.

use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::announce::Cause;
use super::booking::{Booker, Placed};
use crate::db::appointments::BookError;
use crate::db::jobs;
use crate::db::maintenance::{self, PlanRow};
use crate::domain::job::{Job, JobStatus};
use crate::domain::maintenance_plan::{self as rule, DueStatus};
use shared_schemas::events::{AppointmentKind, Severity};

/// Checks maintenance plans against the counters.
#[derive(Debug)]
pub struct PlanChecker {
    booker: Booker,
    every: Duration,
}

impl PlanChecker {
    /// A checker running every `every`.
    pub fn new(booker: Booker, every: Duration) -> Self {
        Self { booker, every }
    }

    /// Checks at start and then every period, until shutdown.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            if let Err(e) = self.booker.check_plans(None).await {
                tracing::warn!(error = %e, "maintenance plan check failed; retried next period");
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(self.every) => {}
            }
        }
    }
}

impl Booker {
    /// Checks the plans of `org_id` (or all); the ids of the jobs proposed.
    pub async fn check_plans(&self, org_id: Option<&str>) -> anyhow::Result<Vec<Uuid>> {
        let mut proposed = Vec::new();
        for plan in maintenance::to_check(&self.db, org_id).await? {
            let facts = self.vehicles.facts(&plan.org_id, &plan.vehicle_id).await;
            let now = Utc::now();
            let status = rule::due(
                &rule_of(&plan),
                &rule::LastService {
                    at: plan.last_done_at,
                    odometer_km: plan.last_odometer_km,
                    engine_hours: plan.last_engine_hours,
                },
                &rule::Counters {
                    at: now,
                    odometer_km: facts.odometer_km,
                    engine_hours: facts.engine_hours,
                    daily_km: facts.daily_km,
                },
            );
            let Some(job) = job_of(&plan, &status, facts.lat.zip(facts.lon)) else {
                continue;
            };
            if self.propose_plan_job(&plan, job.clone()).await? {
                proposed.push(job.id);
            }
        }
        Ok(proposed)
    }

    /// Records the job and its options, once per plan.
    async fn propose_plan_job(&self, plan: &PlanRow, job: Job) -> anyhow::Result<bool> {
        for _ in 0..3 {
            let snapshot = self.snapshot(&plan.org_id, None).await?;
            let mut tx = self.db.begin().await?;
            jobs::insert(&mut tx, &job).await?;
            if !maintenance::set_open_job(&mut tx, plan.id, job.id).await? {
                return Ok(false);
            }
            match self
                .place(&mut tx, &snapshot, job.clone(), Cause::request())
                .await
            {
                Ok(placed) => {
                    tx.commit().await?;
                    self.announce();
                    return Ok(!matches!(placed, Placed::Nothing));
                }
                Err(BookError::Taken(_)) => tx.rollback().await?,
                Err(BookError::Db(e)) => return Err(e.into()),
            }
        }
        Ok(false)
    }
}

/// The plan's rule.
fn rule_of(p: &PlanRow) -> rule::MaintenancePlan {
    rule::MaintenancePlan {
        every_km: p.every_km,
        every_engine_hours: p.every_engine_hours,
        every_days: p.every_days.and_then(|d| u32::try_from(d).ok()),
        skill: p.skill.clone(),
        duration_minutes: i64::from(p.duration_minutes),
        parts: p.parts.0.clone(),
        title: p.title.clone(),
    }
}

/// The job a due plan asks for; `None` when not due.
fn job_of(p: &PlanRow, status: &DueStatus, location: Option<(f64, f64)>) -> Option<Job> {
    let now = Utc::now();
    let (severity, due_at, why) = match status {
        DueStatus::NotDue => return None,
        DueStatus::DueSoon { estimated_date, .. } => (
            Severity::Low,
            estimated_date
                .unwrap_or(now + chrono::Duration::days(7))
                .max(now + chrono::Duration::days(1)),
            status.describe(),
        ),
        DueStatus::Overdue { .. } => (
            Severity::Medium,
            now + chrono::Duration::days(3),
            status.describe(),
        ),
    };
    Some(Job {
        id: Uuid::now_v7(),
        org_id: p.org_id.clone(),
        vehicle_id: p.vehicle_id.clone(),
        decision_id: None,
        plan_id: Some(p.id),
        component: None,
        kind: AppointmentKind::Routine,
        severity,
        skill: p.skill.clone(),
        duration_minutes: i64::from(p.duration_minutes),
        parts: p.parts.0.clone(),
        title: p.title.clone(),
        release_at: now,
        due_at,
        location: location.map(|(a, b)| [a, b]),
        status: JobStatus::Pending,
        note: Some(why),
    })
}
