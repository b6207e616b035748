//! Proposals: the options offered for non-critical work.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::appointment::SlotView;
use super::job::Job;

/// Options offered for one job, to approve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Proposal {
    /// Its id.
    pub id: Uuid,
    /// The work.
    pub job: Job,
    /// Up to three options, best first: approve one by its index.
    pub options: Vec<SlotView>,
    /// `open`, `approved` or `superseded` (a newer proposal or a booking replaced it).
    pub status: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was approved.
    pub decided_at: Option<DateTime<Utc>>,
    /// Who approved it.
    pub decided_by: Option<String>,
    /// The appointment booked from it.
    pub appointment_id: Option<Uuid>,
}
