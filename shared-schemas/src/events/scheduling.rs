//! Events produced by the scheduling service: appointments and technician assignments.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::health::Component;
use crate::envelope::Event;

/// Kind of appointment; decides its duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentKind {
    /// Routine maintenance, 1–2 h.
    Routine,
    /// Diagnosis, 2–3 h.
    Diagnostic,
    /// Component repair, 3–5 h.
    ComponentRepair,
    /// Emergency: the next slot.
    Emergency,
}

/// Why an option was offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OptionLabel {
    /// Best overall score.
    BestOverall,
    /// Best at a center other than the best overall's.
    BestOtherCenter,
    /// Earliest slot.
    Earliest,
    /// Another time, offered when no other center can take the job or the earliest
    /// slot is already offered under another label: not the best, not the earliest.
    Alternative,
}

/// One slot offered to the owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SlotOption {
    /// Why it was offered.
    pub label: OptionLabel,
    /// The service center.
    pub center_id: Uuid,
    /// The service center's display name.
    pub center_name: String,
    /// Slot start.
    pub starts_at: DateTime<Utc>,
    /// Slot end.
    pub ends_at: DateTime<Utc>,
    /// Scheduling score, 0..1 (higher is better).
    pub score: f64,
}

/// Appointment options were offered for the owner to approve. `appointment.proposed`, v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AppointmentProposed {
    /// The proposal's id.
    pub proposal_id: Uuid,
    /// Organization (fleet) the vehicle belongs to: the scope of the event.
    pub org_id: String,
    /// The vehicle.
    pub vehicle_id: String,
    /// The decision that asked for the work, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_id: Option<Uuid>,
    /// The component to service, if any (none for routine maintenance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<Component>,
    /// Kind of appointment.
    pub kind: AppointmentKind,
    /// Up to three options, best first.
    pub options: Vec<SlotOption>,
    /// When it was proposed.
    pub proposed_at: DateTime<Utc>,
}

impl Event for AppointmentProposed {
    const TYPE: &'static str = "appointment.proposed";
    const VERSION: u32 = 1;
    fn vehicle_id(&self) -> &str {
        &self.vehicle_id
    }
}

/// An appointment was booked (approved by the owner or auto-booked). `appointment.scheduled`,
/// v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AppointmentScheduled {
    /// The appointment's id.
    pub appointment_id: Uuid,
    /// Organization (fleet) the vehicle belongs to: the scope of the event.
    pub org_id: String,
    /// The vehicle.
    pub vehicle_id: String,
    /// The proposal it was chosen from; absent when auto-booked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal_id: Option<Uuid>,
    /// The decision that asked for the work, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_id: Option<Uuid>,
    /// The component to service, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<Component>,
    /// Kind of appointment.
    pub kind: AppointmentKind,
    /// The service center.
    pub center_id: Uuid,
    /// The service center's display name.
    pub center_name: String,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// Whether it was booked automatically (critical work).
    pub auto_booked: bool,
    /// The technician booked, when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technician_id: Option<Uuid>,
    /// The service center's address, for the calendar invitation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub center_address: Option<String>,
    /// Revision of the booking: 0 when first booked, one more on every reschedule
    /// (the iCalendar `SEQUENCE`, so calendars replace the earlier invitation).
    #[serde(default)]
    pub sequence: u32,
}

impl Event for AppointmentScheduled {
    const TYPE: &'static str = "appointment.scheduled";
    const VERSION: u32 = 1;
    fn vehicle_id(&self) -> &str {
        &self.vehicle_id
    }
}

/// An appointment was cancelled. `appointment.cancelled`, v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AppointmentCancelled {
    /// The appointment.
    pub appointment_id: Uuid,
    /// Organization (fleet) the vehicle belongs to: the scope of the event.
    pub org_id: String,
    /// The vehicle.
    pub vehicle_id: String,
    /// User id of who cancelled it; absent when cancelled by the system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_by: Option<String>,
    /// Why.
    pub reason: String,
    /// Whether the vehicle did not show up (the slot was lost, not freed in advance).
    #[serde(default)]
    pub no_show: bool,
    /// When.
    pub cancelled_at: DateTime<Utc>,
}

impl Event for AppointmentCancelled {
    const TYPE: &'static str = "appointment.cancelled";
    const VERSION: u32 = 1;
    fn vehicle_id(&self) -> &str {
        &self.vehicle_id
    }
}

/// The work of an appointment was done. `appointment.completed`, v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AppointmentCompleted {
    /// The appointment.
    pub appointment_id: Uuid,
    /// Organization (fleet) the vehicle belongs to: the scope of the event.
    pub org_id: String,
    /// The vehicle.
    pub vehicle_id: String,
    /// The service center.
    pub center_id: Uuid,
    /// The technician who did the work, if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technician_id: Option<Uuid>,
    /// Components serviced: health resets each one's baseline.
    #[serde(default)]
    pub components_serviced: Vec<Component>,
    /// Parts replaced, from the work order.
    #[serde(default)]
    pub parts_replaced: Vec<PartUsed>,
    /// What was done.
    pub work_summary: String,
    /// Odometer at service, km, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub odometer_km: Option<f64>,
    /// When the work was finished.
    pub completed_at: DateTime<Utc>,
}

impl Event for AppointmentCompleted {
    const TYPE: &'static str = "appointment.completed";
    const VERSION: u32 = 1;
    fn vehicle_id(&self) -> &str {
        &self.vehicle_id
    }
}

/// A part used by a work order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, ToSchema)]
pub struct PartUsed {
    /// Part number or catalog name, e.g. `brake_pad_set`.
    pub part: String,
    /// Units used.
    pub quantity: u32,
}

/// A technician was assigned to an appointment. `technician.assigned`, v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TechnicianAssigned {
    /// The appointment.
    pub appointment_id: Uuid,
    /// Organization (fleet) the vehicle belongs to: the scope of the event.
    pub org_id: String,
    /// The vehicle.
    pub vehicle_id: String,
    /// The technician.
    pub technician_id: Uuid,
    /// The technician's display name.
    pub technician_name: String,
    /// The service center.
    pub center_id: Uuid,
    /// When.
    pub assigned_at: DateTime<Utc>,
}

impl Event for TechnicianAssigned {
    const TYPE: &'static str = "technician.assigned";
    const VERSION: u32 = 1;
    fn vehicle_id(&self) -> &str {
        &self.vehicle_id
    }
}
