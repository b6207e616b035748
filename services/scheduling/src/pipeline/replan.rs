//! Batch re-planning: every open job of an organization placed at once by the
//! optimizer around the existing bookings, returned for review, then committed job by
//! job (a slot taken meanwhile skips its job, which stays open).

use chrono::Utc;
use sqlx::types::Json;
use uuid::Uuid;

use super::announce::Cause;
use super::booking::{Booker, slot_view};
use crate::db::appointments::BookError;
use crate::db::jobs;
use crate::domain::booking;
use crate::domain::job::{Job, JobStatus};
use crate::domain::replan::{Committed, PlannedJob, Replan, Skipped};
use crate::error::ApiError;

/// The seed of the optimizer's search: the same inputs give the same plan.
const SEED: u64 = 0x5eed;

impl Booker {
    /// Plans every open job of `org_id`; stored, not booked.
    pub async fn optimize(&self, org_id: &str, by: &str) -> Result<Replan, ApiError> {
        let open = jobs::open(&self.db, org_id).await?;
        let snapshot = self.snapshot(org_id, None).await?;
        let requests: Vec<_> = open.iter().map(|j| j.request(None)).collect();
        // A few jobs converge in well under a second: the configured budget is the
        // ceiling for large batches, not a wait imposed on small ones.
        let budget = self.budget.min(std::time::Duration::from_millis(
            200 + 25 * requests.len() as u64,
        ));
        let (snapshot, plan) = tokio::task::spawn_blocking(move || {
            let plan = booking::plan(&snapshot, &requests, budget, SEED);
            (snapshot, plan)
        })
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
        let by_key = |key: &str| open.iter().find(|j| j.id.to_string() == key).cloned();
        let mut assignments: Vec<PlannedJob> = plan
            .assignments
            .iter()
            .filter_map(|(key, slot)| {
                Some(PlannedJob {
                    job: by_key(key)?,
                    slot: slot_view(&snapshot, None, slot),
                })
            })
            .collect();
        assignments.sort_by_key(|a| (a.slot.starts_at, a.job.id));
        let replan = Replan {
            id: Uuid::now_v7(),
            org_id: org_id.to_owned(),
            created_at: Utc::now(),
            objective: plan.objective,
            assignments,
            unassigned: plan.unassigned.iter().filter_map(|k| by_key(k)).collect(),
            committed_at: None,
        };
        sqlx::query("INSERT INTO plans (id, org_id, created_by, body) VALUES ($1, $2, $3, $4)")
            .bind(replan.id)
            .bind(org_id)
            .bind(by)
            .bind(Json(&replan))
            .execute(&self.db)
            .await?;
        Ok(replan)
    }

    /// The stored plan `id` of `org_id` (none: not theirs or unknown).
    pub async fn stored_plan(
        &self,
        id: Uuid,
        org_id: Option<&str>,
    ) -> Result<Option<Replan>, ApiError> {
        let row: Option<(Json<Replan>, Option<chrono::DateTime<Utc>>)> = sqlx::query_as(
            "SELECT body, committed_at FROM plans WHERE id = $1 AND ($2::text IS NULL OR org_id = $2)",
        )
        .bind(id)
        .bind(org_id)
        .fetch_optional(&self.db)
        .await?;
        Ok(row.map(|(body, at)| Replan {
            committed_at: at,
            ..body.0
        }))
    }

    /// Books the plan's assignments, each in its own transaction.
    pub async fn commit(&self, plan: &Replan, by: &str) -> Result<Committed, ApiError> {
        let claimed = sqlx::query(
            "UPDATE plans SET committed_at = now() WHERE id = $1 AND committed_at IS NULL",
        )
        .bind(plan.id)
        .execute(&self.db)
        .await?
        .rows_affected();
        if claimed == 0 {
            return Err(ApiError::Conflict("the plan was committed already".into()));
        }
        let mut booked = Vec::new();
        let mut skipped = Vec::new();
        for p in &plan.assignments {
            match self.commit_one(&p.job, p, by).await {
                Ok(a) => booked.push(a),
                Err(reason) => skipped.push(Skipped {
                    job_id: p.job.id,
                    reason,
                }),
            }
        }
        Ok(Committed {
            plan_id: plan.id,
            booked,
            skipped,
        })
    }

    async fn commit_one(
        &self,
        planned: &Job,
        p: &PlannedJob,
        by: &str,
    ) -> Result<crate::domain::appointment::Appointment, String> {
        let fail = |e: sqlx::Error| format!("database: {e}");
        let mut tx = self.db.begin().await.map_err(fail)?;
        let job = jobs::get(&mut tx, planned.id).await.map_err(fail)?;
        let Some(job) =
            job.filter(|j| matches!(j.status, JobStatus::Pending | JobStatus::Proposed))
        else {
            return Err("the job is no longer open (booked, done or cancelled meanwhile)".into());
        };
        let slot = booking::Slot {
            center_id: p.slot.center_id,
            technician_id: p.slot.technician_id,
            starts_at: p.slot.starts_at,
            ends_at: p.slot.ends_at,
            parts_from_stock: p.slot.parts_from_stock,
            cost: p.slot.cost,
            score: p.slot.score,
        };
        match self
            .book(
                &mut tx,
                &job,
                &slot,
                None,
                Some(by),
                false,
                Cause::request(),
            )
            .await
        {
            Ok(a) => {
                tx.commit().await.map_err(fail)?;
                self.announce();
                Ok(a)
            }
            Err(BookError::Taken(what)) => Err(what),
            Err(BookError::Db(e)) => Err(fail(e)),
        }
    }
}
