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
