//! `vehicle.ownership.transferred` in consumer group `health`: an admin moved a vehicle
//! to another organization, and its health (current assessment and condition history)
//! moves with it (ADR 0008). Readings never change a vehicle's organization.

use shared_runtime::consumer::{Handler, HandlerError};
use shared_schemas::RawEnvelope;
use shared_schemas::events::OwnershipTransferred;
use sqlx::PgPool;

use crate::db::vehicles;

/// Applies transfers to `vehicles.org_id`. Idempotent: a redelivery sets the same
/// organization again.
#[derive(Debug, Clone)]
pub struct TransferConsumer {
    db: PgPool,
}

impl TransferConsumer {
    /// A consumer writing to `db`.
    pub fn new(db: PgPool) -> Self {
        Self { db }
    }
}

#[async_trait::async_trait]
impl Handler for TransferConsumer {
    async fn handle(&self, event: &RawEnvelope) -> Result<(), HandlerError> {
        let transfer = event
            .decode::<OwnershipTransferred>()
            .map_err(HandlerError::permanent)?
            .payload;
        let known = vehicles::set_org(&self.db, &transfer.vehicle_id, &transfer.to_org_id)
            .await
            .map_err(HandlerError::transient)?;
        // A vehicle health has not seen yet gets the new organization from its first
        // reading, which ingestion now accepts only from that organization.
        tracing::info!(
            vehicle_id = %transfer.vehicle_id, to = %transfer.to_org_id, known,
            "vehicle transferred"
        );
        Ok(())
    }
}
