//! Events produced by ingestion.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use uuid::Uuid;

use crate::envelope::Event;
use crate::telemetry::{Protocol, TelemetryReading};

/// A reading passed validation and was accepted. `vehicle.telemetry.received`, v2: the
/// reading's signals are keyed by catalog code (ADR 0027; v1 keyed them by name, and is
/// still read).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TelemetryReceived {
    /// Organization (fleet) the sending device belongs to: the scope of the reading.
    pub org_id: String,
    /// The idempotency key the reading was accepted under.
    pub reading_id: String,
    /// The protocol it arrived in.
    pub protocol: Protocol,
    /// When ingestion accepted it.
    pub received_at: DateTime<Utc>,
    /// The normalized reading (its `reading_id` is set), signals keyed by catalog code.
    #[serde(with = "super::stream_reading")]
    #[schemars(with = "super::stream_reading::StreamReading")]
    pub reading: TelemetryReading,
}

impl Event for TelemetryReceived {
    const TYPE: &'static str = "vehicle.telemetry.received";
    const VERSION: u32 = 2;
    fn vehicle_id(&self) -> &str {
        &self.reading.vehicle_id
    }
}

/// A reading was refused. `vehicle.telemetry.rejected`, v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TelemetryRejected {
    /// The sender's idempotency key, when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reading_id: Option<String>,
    /// Organization (fleet) the sending device belongs to.
    pub org_id: String,
    /// The vehicle, when it could be read (empty otherwise).
    pub vehicle_id: String,
    /// The protocol it arrived in.
    pub protocol: Protocol,
    /// When ingestion refused it.
    pub received_at: DateTime<Utc>,
    /// Every problem found.
    pub problems: Vec<Problem>,
}

impl Event for TelemetryRejected {
    const TYPE: &'static str = "vehicle.telemetry.rejected";
    const VERSION: u32 = 1;
    fn vehicle_id(&self) -> &str {
        &self.vehicle_id
    }
}

/// An admin moved a vehicle to another organization (ADR 0008): readings, health and
/// alerts from now on belong to `to_org_id`; what was recorded before stays with the
/// organization that recorded it. `vehicle.ownership.transferred`, v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OwnershipTransferred {
    /// The transfer's id (its audit record in ingestion).
    pub transfer_id: Uuid,
    /// The vehicle.
    pub vehicle_id: String,
    /// Organization it belonged to.
    pub from_org_id: String,
    /// Organization it belongs to now.
    pub to_org_id: String,
    /// Why, as the admin wrote it.
    pub reason: String,
    /// Who moved it (the admin's token subject).
    pub transferred_by: String,
    /// When.
    pub transferred_at: DateTime<Utc>,
}

impl Event for OwnershipTransferred {
    const TYPE: &'static str = "vehicle.ownership.transferred";
    const VERSION: u32 = 1;
    fn vehicle_id(&self) -> &str {
        &self.vehicle_id
    }
}

/// One validation problem: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, utoipa::ToSchema)]
pub struct Problem {
    /// JSON path of the offending field, e.g. `signals.coolant_temp_c`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl Problem {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}
