//! The audit writer: consumes `vehicle.telemetry.received` in its own consumer group
//! and stores raw and normalized readings in batched inserts. It acknowledges a batch
//! only after the insert commits; a redelivered batch is a no-op thanks to the
//! `(vehicle_id, reading_id)` key. Its lag is the group's lag (`/metrics`).

use anyhow::Context;
use shared_runtime::consumer::{BatchHandler, Delivery, HandlerError};
use shared_schemas::RawEnvelope;
use shared_schemas::events::TelemetryReceived;
use sqlx::PgPool;

use crate::db::readings::{self, AuditRow};
use crate::events::FIELD_RAW;

/// Consumer group name of the audit writer.
pub const GROUP: &str = "ingestion-audit";

/// Writes audit rows for batches of received-telemetry events.
#[derive(Debug, Clone)]
pub struct AuditWriter {
    pool: PgPool,
}

impl AuditWriter {
    /// A writer into `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

fn row(envelope: &RawEnvelope, raw: Option<String>) -> anyhow::Result<AuditRow> {
    let event = envelope.decode::<TelemetryReceived>()?;
    let p = event.payload;
    Ok(AuditRow {
        org_id: p.org_id,
        vehicle_id: p.reading.vehicle_id.clone(),
        reading_id: p.reading_id,
        event_id: event.event_id,
        protocol: p.protocol.as_str().to_owned(),
        recorded_at: p.reading.recorded_at,
        received_at: p.received_at,
        normalized: serde_json::to_string(&p.reading)?,
        raw,
    })
}

#[async_trait::async_trait]
impl BatchHandler for AuditWriter {
    async fn handle_batch(&self, batch: &[Delivery]) -> Vec<Result<(), HandlerError>> {
        let mut rows = Vec::with_capacity(batch.len());
        let mut results = Vec::with_capacity(batch.len());
        for d in batch {
            match row(&d.envelope, d.field(FIELD_RAW)) {
                Ok(r) => {
                    rows.push(r);
                    results.push(Ok(()));
                }
                Err(e) => results.push(Err(HandlerError::Permanent(e))),
            }
        }
        if let Err(e) = readings::insert_batch(&self.pool, &rows)
            .await
            .context("inserting audit rows")
        {
            // Nothing of the batch is stored: every decodable event is retried.
            let cause = format!("{e:#}");
            for r in results.iter_mut().filter(|r| r.is_ok()) {
                *r = Err(HandlerError::Transient(anyhow::anyhow!(cause.clone())));
            }
        }
        results
    }
}
