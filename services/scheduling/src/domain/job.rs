//! Jobs: work that needs a slot, from an agent decision, a maintenance plan or a
//! person, and what the booking engine is asked for it.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use shared_schemas::events::{AppointmentKind, Component, DecisionMade, Disposition, Severity};
use utoipa::ToSchema;
use uuid::Uuid;

use super::booking::JobRequest;
use super::catalog::{self, job_kind};
use super::optimizer::instance::Severity as JobSeverity;

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// No slot yet (none was free, or its appointment was cancelled).
    Pending,
    /// Options offered, waiting for approval.
    Proposed,
    /// An appointment holds it.
    Booked,
    /// The work was done.
    Done,
    /// Not needed any more.
    Cancelled,
}

impl JobStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Proposed => "proposed",
            Self::Booked => "booked",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
        }
    }

    /// The status of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Proposed,
            Self::Booked,
            Self::Done,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// What [`Job::for_work`] needs.
#[derive(Debug, Clone, Copy)]
pub struct Work<'a> {
    pub org_id: &'a str,
    pub vehicle_id: &'a str,
    pub component: Component,
    pub severity: Severity,
    /// Not before.
    pub release: DateTime<Utc>,
    /// Days until the urgency window ends.
    pub within_days: u32,
    pub location: Option<[f64; 2]>,
}

/// Work to book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Job {
    /// The job's id.
    pub id: Uuid,
    /// Organization.
    pub org_id: String,
    /// Vehicle.
    pub vehicle_id: String,
    /// The decision that asked for it.
    pub decision_id: Option<Uuid>,
    /// The maintenance plan that asked for it.
    pub plan_id: Option<Uuid>,
    /// The component concerned.
    pub component: Option<Component>,
    /// Kind of appointment.
    pub kind: AppointmentKind,
    /// How urgent.
    pub severity: Severity,
    /// The skill it needs.
    pub skill: String,
    /// How long the work takes, minutes.
    pub duration_minutes: i64,
    /// Parts it needs: part -> quantity.
    pub parts: BTreeMap<String, u32>,
    /// What is to be done.
    pub title: String,
    /// Not before.
    pub release_at: DateTime<Utc>,
    /// Done by (the urgency window's end).
    pub due_at: DateTime<Utc>,
    /// The vehicle's position when the job was made, if known.
    pub location: Option<[f64; 2]>,
    /// Where it stands.
    pub status: JobStatus,
    /// Why it is pending or late, when it is.
    pub note: Option<String>,
}

impl Job {
    /// The job a decision asks for: `None` for a decision to monitor only.
    pub fn from_decision(d: &DecisionMade, location: Option<[f64; 2]>) -> Option<Self> {
        if d.disposition == Disposition::Monitor {
            return None;
        }
        let mut job = Self::for_work(Work {
            org_id: &d.org_id,
            vehicle_id: &d.vehicle_id,
            component: d.component,
            severity: d.severity,
            release: d.decided_at,
            within_days: d.urgency.within_days,
            location,
        });
        job.decision_id = Some(d.decision_id);
        job.note = (d.disposition == Disposition::Plan).then(|| {
            "routine wear at the vehicle's normal pace: planned with the next batch re-plan"
                .to_owned()
        });
        Some(job)
    }

    /// The catalog's work on a component at a severity, not stored (a decision's, or
    /// an enquiry about what could be booked).
    pub fn for_work(w: Work<'_>) -> Self {
        let work = catalog::work_for(w.component, w.severity);
        // The urgency window's end; "0 days" is the next slot, a day at most.
        let due = w.release + Duration::days(i64::from(w.within_days.max(1)));
        Self {
            id: Uuid::now_v7(),
            org_id: w.org_id.to_owned(),
            vehicle_id: w.vehicle_id.to_owned(),
            decision_id: None,
            plan_id: None,
            component: Some(w.component),
            kind: work.kind,
            severity: w.severity,
            skill: work.skill.to_owned(),
            duration_minutes: work.duration_minutes,
            parts: work
                .parts
                .iter()
                .map(|(p, q)| ((*p).to_owned(), *q))
                .collect(),
            title: work.title.to_owned(),
            release_at: w.release,
            due_at: due,
            location: w.location,
            status: JobStatus::Pending,
            note: None,
        }
    }

    /// Whether the job is booked without asking (critical work).
    pub fn auto_books(&self) -> bool {
        self.severity == Severity::Critical
    }

    /// What the booking engine is asked, under `key`.
    pub fn request(&self, preferred_center: Option<Uuid>) -> JobRequest {
        JobRequest {
            key: self.id.to_string(),
            vehicle_id: self.vehicle_id.clone(),
            location: self.location.map(|[lat, lon]| (lat, lon)),
            kind: job_kind(self.kind),
            skill: self.skill.clone(),
            duration_minutes: self.duration_minutes,
            parts: self.parts.clone(),
            release: self.release_at,
            due: self.due_at,
            severity: job_severity(self.severity),
            preferred_center,
        }
    }
}

/// The optimizer's severity of a decision's.
pub fn job_severity(s: Severity) -> JobSeverity {
    match s {
        Severity::Low => JobSeverity::Low,
        Severity::Medium => JobSeverity::Medium,
        Severity::High => JobSeverity::High,
        Severity::Critical => JobSeverity::Critical,
    }
}
