//! A batch re-plan of an organization's open jobs, shown before it is committed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::appointment::{Appointment, SlotView};
use super::job::Job;

/// One job placed by the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlannedJob {
    /// The job.
    pub job: Job,
    /// Where and when the plan puts it.
    pub slot: SlotView,
}

/// A re-plan of open jobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Replan {
    /// Its id: commit it with `POST /v1/plans/{id}/commit`.
    pub id: Uuid,
    /// Organization.
    pub org_id: String,
    /// When it was computed.
    pub created_at: DateTime<Utc>,
    /// The optimizer's objective (SPEC section 5: travel, rating, preference, waiting,
    /// lateness, unassigned penalties) of the plan.
    pub objective: f64,
    /// Jobs placed, by start.
    pub assignments: Vec<PlannedJob>,
    /// Jobs no slot could take within the horizon.
    pub unassigned: Vec<Job>,
    /// When it was committed, if it was.
    pub committed_at: Option<DateTime<Utc>>,
}

/// A job the commit could not book (its slot went meanwhile, or the job was booked or
/// cancelled another way).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Skipped {
    /// The job.
    pub job_id: Uuid,
    /// Why.
    pub reason: String,
}

/// What committing a plan booked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Committed {
    /// The plan.
    pub plan_id: Uuid,
    /// Appointments booked.
    pub booked: Vec<Appointment>,
    /// Jobs not booked, and why.
    pub skipped: Vec<Skipped>,
}
