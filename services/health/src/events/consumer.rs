//! The telemetry consumer: reads `vehicle.telemetry.received` in consumer group
//! `health` and hands each batch to the [`Assessor`].
//!
//! A payload that does not decode is a permanent failure (dead letter). A database
//! error is transient: the batch stays pending and is retried. An error *about the
//! data* (Postgres refused a statement for its content, or the engine panicked) could be caused by a single event; so that it
//! does not drag its whole batch to the dead-letter stream, such a batch is split in
//! halves and retried until the offending event is alone.

use std::sync::Arc;

use shared_runtime::consumer::{BatchHandler, Delivery, HandlerError};
use shared_schemas::EventEnvelope;
use shared_schemas::events::TelemetryReceived;

use crate::pipeline::{Assessor, EnginePanicked};

/// Consumer group of the health service on `vehicle.telemetry.received`.
pub const GROUP: &str = "health";

/// Applies batches of received-telemetry events.
#[derive(Debug, Clone)]
pub struct TelemetryConsumer {
    assessor: Arc<Assessor>,
}

impl TelemetryConsumer {
    /// A consumer applying through `assessor`.
    pub fn new(assessor: Arc<Assessor>) -> Self {
        Self { assessor }
    }

    /// Applies `events`, bisecting on errors about the data; one result per event.
    async fn apply(&self, events: &[EventEnvelope<TelemetryReceived>]) -> Vec<Option<String>> {
        let mut results = vec![None; events.len()];
        let mut stack = vec![(0, events.len())];
        while let Some((lo, hi)) = stack.pop() {
            let Err(e) = self.assessor.ingest(&events[lo..hi]).await else {
                continue;
            };
            let about_data = e.chain().any(is_data_error);
            if about_data && hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                stack.push((mid, hi));
                stack.push((lo, mid));
            } else {
                let cause = format!("{e:#}");
                for r in &mut results[lo..hi] {
                    *r = Some(cause.clone());
                }
            }
        }
        results
    }
}

/// Whether the batch failed because of the data in it: Postgres refused a statement
/// (SQLSTATE classes 22 data exception, 23 integrity constraint, 54 program limit), or
/// the engine panicked. Retrying the same events can never work, smaller groups might.
fn is_data_error(e: &(dyn std::error::Error + 'static)) -> bool {
    if e.is::<EnginePanicked>() {
        return true;
    }
    match e.downcast_ref::<sqlx::Error>() {
        Some(sqlx::Error::Database(db)) => db
            .code()
            .is_some_and(|c| ["22", "23", "54"].iter().any(|class| c.starts_with(class))),
        _ => false,
    }
}

#[async_trait::async_trait]
impl BatchHandler for TelemetryConsumer {
    async fn handle_batch(&self, batch: &[Delivery]) -> Vec<Result<(), HandlerError>> {
        let mut results = Vec::with_capacity(batch.len());
        let mut events = Vec::with_capacity(batch.len());
        let mut slots = Vec::with_capacity(batch.len());
        for d in batch {
            match d.envelope.decode::<TelemetryReceived>() {
                Ok(e) => {
                    slots.push(results.len());
                    events.push(e);
                    results.push(Ok(()));
                }
                Err(e) => results.push(Err(HandlerError::permanent(e))),
            }
        }
        if events.is_empty() {
            return results;
        }
        for (slot, failure) in slots.into_iter().zip(self.apply(&events).await) {
            if let Some(cause) = failure {
                results[slot] = Err(HandlerError::Transient(anyhow::anyhow!(cause)));
            }
        }
        results
    }
}
