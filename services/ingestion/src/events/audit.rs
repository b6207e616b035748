//! The audit writer: consumes `vehicle.telemetry.received` in its own consumer group
//! and stores raw and normalized readings, a batch per `COPY`. It acknowledges a batch
//! only after the insert commits; a redelivered batch is a no-op thanks to the
//! `(vehicle_id, reading_id)` key. Its lag is the group's lag (`/metrics`).

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use shared_runtime::consumer::{BatchHandler, Delivery, HandlerError};
use shared_schemas::events::TelemetryReceived;
use shared_schemas::telemetry::Protocol;
use shared_schemas::{Event, RawEnvelope};
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

/// The parts of a `TelemetryReceived` payload the audit row needs; the normalized
/// reading is kept as the JSON it arrived in rather than parsed and written again (the
/// audit writer handles every accepted reading).
#[derive(Deserialize)]
struct Payload<'a> {
    org_id: String,
    reading_id: String,
    protocol: Protocol,
    received_at: DateTime<Utc>,
    #[serde(borrow)]
    reading: &'a RawValue,
}

fn row(envelope: &RawEnvelope, raw: Option<String>) -> anyhow::Result<AuditRow> {
    anyhow::ensure!(
        envelope.event_type == TelemetryReceived::TYPE,
        "event type is {}, expected {}",
        envelope.event_type,
        TelemetryReceived::TYPE
    );
    let p: Payload<'_> = serde_json::from_str(envelope.payload.get())?;
    // The envelope's vehicle and time are the reading's (ingestion stamps the event with
    // `recorded_at`): reading them there spares parsing the reading a second time.
    Ok(AuditRow {
        org_id: p.org_id,
        vehicle_id: envelope.vehicle_id.clone(),
        reading_id: p.reading_id,
        event_id: envelope.event_id,
        protocol: p.protocol.as_str().to_owned(),
        recorded_at: envelope.occurred_at,
        received_at: p.received_at,
        normalized: p.reading.get().to_owned(),
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
        if let Err(e) = readings::store_batch(&self.pool, &rows)
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
