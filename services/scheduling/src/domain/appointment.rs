//! Appointments: their states, and the slots offered for booking.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_schemas::events::OptionLabel;
use utoipa::ToSchema;
use uuid::Uuid;

/// A slot offered: where, when, with whom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SlotView {
    /// Why it is offered (options of a proposal); absent for plain alternatives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<OptionLabel>,
    /// The service center.
    pub center_id: Uuid,
    /// Its name.
    pub center_name: String,
    /// The technician who would do the work.
    pub technician_id: Uuid,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// Whether the parts come from the center's stock (else ordered, which is why the
    /// slot is no earlier).
    pub parts_from_stock: bool,
    /// Scheduling score, 0..1 (1 = the best slot found).
    pub score: f64,
    /// The slot's cost in the optimizer's objective (travel, rating, preference,
    /// waiting and lateness).
    pub cost: f64,
}

/// Where an appointment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentStatus {
    /// Booked, not started.
    Scheduled,
    /// The technician started the work order.
    InProgress,
    /// Work done.
    Completed,
    /// Cancelled before it started.
    Cancelled,
    /// The vehicle did not come.
    NoShow,
}

impl AppointmentStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::NoShow => "no_show",
        }
    }

    /// Whether it still holds its slot (technician, bay, vehicle, parts).
    pub fn is_open(self) -> bool {
        matches!(self, Self::Scheduled | Self::InProgress)
    }
}

/// A work order: what the technician did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WorkOrder {
    /// Who did the work.
    pub technician_id: Option<Uuid>,
    /// When the work started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it was finished.
    pub completed_at: Option<DateTime<Utc>>,
    /// Labour, hours.
    pub labour_hours: Option<f64>,
    /// Parts used: part -> quantity.
    pub parts_used: std::collections::BTreeMap<String, u32>,
    /// Components serviced.
    pub components: Vec<String>,
    /// Cost, in `currency`.
    pub cost: Option<f64>,
    /// ISO 4217 code.
    pub currency: Option<String>,
    /// The technician's notes.
    pub notes: Option<String>,
    /// Odometer at service, km.
    pub odometer_km: Option<f64>,
    /// Engine hours at service.
    pub engine_hours: Option<f64>,
}

/// An appointment as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Appointment {
    /// Its id.
    pub id: Uuid,
    /// The job it does.
    pub job_id: Uuid,
    /// Organization.
    pub org_id: String,
    /// Vehicle.
    pub vehicle_id: String,
    /// Service center.
    pub center_id: Uuid,
    /// Its name.
    pub center_name: String,
    /// Its address.
    pub center_address: String,
    /// Technician.
    pub technician_id: Uuid,
    /// Their name.
    pub technician_name: String,
    /// Bay number at the center.
    pub bay: i32,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// Where it stands.
    pub status: AppointmentStatus,
    /// Kind of work.
    pub kind: shared_schemas::events::AppointmentKind,
    /// Component concerned.
    pub component: Option<shared_schemas::events::Component>,
    /// How urgent.
    pub severity: shared_schemas::events::Severity,
    /// What is to be done.
    pub title: String,
    /// Due by (the urgency window's end); a start after it is late.
    pub due_at: DateTime<Utc>,
    /// Booked without asking (critical work).
    pub auto_booked: bool,
    /// Parts come from stock (else ordered).
    pub parts_from_stock: bool,
    /// Parts held from stock: part -> quantity.
    pub reserved_parts: std::collections::BTreeMap<String, u32>,
    /// Revision: one more on every reschedule.
    pub sequence: i32,
    /// The decision that asked for the work.
    pub decision_id: Option<Uuid>,
    /// The proposal it was chosen from.
    pub proposal_id: Option<Uuid>,
    /// Who booked it (user id; absent when auto-booked).
    pub booked_by: Option<String>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// When it was booked.
    pub created_at: DateTime<Utc>,
    /// The work order, once started.
    pub work_order: Option<WorkOrder>,
}
