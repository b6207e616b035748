//! `appointment.completed` in consumer group `health-repairs`: the components a
//! workshop serviced restart from a fresh baseline (see [`Assessor::repair`]), so the
//! next assessments describe the new part, and the recovery is announced.
//!
//! Scoped by organization: an event whose organization is not the vehicle's changes
//! nothing. A vehicle health has no reading of is ignored with a log: its first
//! readings start from a fresh baseline anyway.

use std::sync::Arc;

use shared_runtime::consumer::{Handler, HandlerError};
use shared_schemas::RawEnvelope;
use shared_schemas::events::AppointmentCompleted;

use crate::pipeline::{Assessor, Repaired};

/// Consumer group of the health service on `appointment.completed` (its inbox marks
/// are kept under this name too).
pub const REPAIRS_GROUP: &str = "health-repairs";

/// Days the inbox keeps its marks of applied events. Redeliveries come within minutes
/// (reclaims, relay republishes); one later still is harmless, as the engine ignores a
/// service it already knows.
pub const INBOX_RETENTION_DAYS: i64 = 30;

/// Applies completed appointments. Idempotent: the inbox skips a redelivered event,
/// and the engine ignores a service it already knows (or an older one).
#[derive(Debug, Clone)]
pub struct RepairConsumer {
    assessor: Arc<Assessor>,
}

impl RepairConsumer {
    /// A consumer resetting through `assessor`.
    pub fn new(assessor: Arc<Assessor>) -> Self {
        Self { assessor }
    }
}

#[async_trait::async_trait]
impl Handler for RepairConsumer {
    async fn handle(&self, event: &RawEnvelope) -> Result<(), HandlerError> {
        let event = event
            .decode::<AppointmentCompleted>()
            .map_err(HandlerError::permanent)?;
        let p = &event.payload;
        if p.components_serviced.is_empty() {
            tracing::info!(appointment_id = %p.appointment_id, vehicle_id = %p.vehicle_id,
                "appointment completed without a component serviced; nothing to reset");
            return Ok(());
        }
        let outcome = self
            .assessor
            .repair(REPAIRS_GROUP, &event)
            .await
            .map_err(HandlerError::transient)?;
        let components: Vec<&str> = p.components_serviced.iter().map(|c| c.as_str()).collect();
        match outcome {
            Repaired::Applied(n) => tracing::info!(
                appointment_id = %p.appointment_id, vehicle_id = %p.vehicle_id,
                ?components, reset = n, "serviced components restart from a fresh baseline"
            ),
            Repaired::Duplicate => tracing::debug!(
                appointment_id = %p.appointment_id, "appointment.completed applied before"
            ),
            Repaired::UnknownVehicle => tracing::info!(
                appointment_id = %p.appointment_id, vehicle_id = %p.vehicle_id,
                "appointment completed for a vehicle health has no reading of; ignored"
            ),
            Repaired::OtherOrganization => tracing::warn!(
                appointment_id = %p.appointment_id, vehicle_id = %p.vehicle_id,
                org_id = %p.org_id,
                "appointment completed under another organization than the vehicle's; ignored"
            ),
        }
        metrics::counter!("health_repairs_total", "outcome" => outcome.label()).increment(1);
        Ok(())
    }
}
