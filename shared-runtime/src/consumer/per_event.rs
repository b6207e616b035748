//! Runs a per-event [`Handler`] as a [`BatchHandler`]: one span and one timing per
//! event, vehicles concurrently when asked, one vehicle's events in order.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use futures::{FutureExt, StreamExt};
use tracing::Instrument;

use super::{BatchHandler, ConsumerConfig, Delivery, Handler, HandlerError};

/// The adapter.
pub(super) struct PerEvent {
    handler: Arc<dyn Handler>,
    group: String,
    concurrency: usize,
}

impl PerEvent {
    pub(super) fn new(handler: Arc<dyn Handler>, config: &ConsumerConfig) -> Self {
        Self {
            handler,
            group: config.group.clone(),
            concurrency: config.concurrency.max(1),
        }
    }

    async fn one(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        let e = &delivery.envelope;
        let span = tracing::info_span!(
            "event",
            event_id = %e.event_id,
            event_type = %e.event_type,
            correlation_id = %e.correlation_id,
            vehicle_id = %e.vehicle_id,
            attempt = delivery.attempt,
        );
        let started = Instant::now();
        let result = AssertUnwindSafe(self.handler.handle(e))
            .catch_unwind()
            .instrument(span)
            .await
            .unwrap_or_else(|_| Err(HandlerError::Transient(anyhow::anyhow!("handler panicked"))));
        metrics::histogram!(
            "event_handle_seconds",
            "group" => self.group.clone(),
            "event_type" => e.event_type.clone()
        )
        .record(started.elapsed().as_secs_f64());
        result
    }
}

#[async_trait::async_trait]
impl BatchHandler for PerEvent {
    async fn handle_batch(&self, batch: &[Delivery]) -> Vec<Result<(), HandlerError>> {
        if self.concurrency == 1 || batch.len() < 2 {
            let mut results = Vec::with_capacity(batch.len());
            for delivery in batch {
                results.push(self.one(delivery).await);
            }
            return results;
        }
        // One lane per vehicle, in stream order; lanes run concurrently.
        let mut lanes: Vec<Vec<usize>> = Vec::new();
        let mut lane_of: HashMap<&str, usize> = HashMap::new();
        for (i, delivery) in batch.iter().enumerate() {
            let next = lanes.len();
            let lane = *lane_of
                .entry(delivery.envelope.vehicle_id.as_str())
                .or_insert(next);
            if lane == next {
                lanes.push(Vec::new());
            }
            lanes[lane].push(i);
        }
        let mut results: Vec<Option<Result<(), HandlerError>>> =
            std::iter::repeat_with(|| None).take(batch.len()).collect();
        let mut finished = futures::stream::iter(lanes)
            .map(|lane| async move {
                let mut out = Vec::with_capacity(lane.len());
                for i in lane {
                    out.push((i, self.one(&batch[i]).await));
                }
                out
            })
            .buffer_unordered(self.concurrency);
        while let Some(lane) = finished.next().await {
            for (i, result) in lane {
                results[i] = Some(result);
            }
        }
        results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| Err(HandlerError::Transient(anyhow::anyhow!("not handled"))))
            })
            .collect()
    }

    fn handles(&self, event_type: &str) -> bool {
        self.handler.handles(event_type)
    }
}
