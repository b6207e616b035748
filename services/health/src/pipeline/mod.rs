//! The heart of the service: folds readings into vehicle states, assesses each touched
//! vehicle once per batch, and writes the state, the current assessment, the history
//! and the events of the transitions in one transaction.
//!
//! Per batch (see [`Assessor::ingest`]):
//! 1. the readings' keys go into `applied_readings`; only keys that were new are
//!    applied, so redelivered events and re-sent readings are no-ops;
//! 2. the touched vehicles' rows are locked (`FOR UPDATE`, in id order) and their
//!    decoded states taken from the [`StateCache`] when its version matches the row's,
//!    otherwise restored from `vehicles.head` and `vehicle_days` ([`restore`]);
//! 3. readings are folded in and each vehicle assessed once (on a blocking thread: it
//!    is CPU work), transitions computed with the tracker's hysteresis ([`fold`]);
//! 4. head (version + 1), dirty days and the assessment are written back, days out of
//!    the window deleted, events enqueued in the outbox, history rows inserted when
//!    `vehicle.health.computed` is published ([`persist`]);
//! 5. after the commit: the relay is poked, states go back to the cache, metrics.
//!
//! A repair (`appointment.completed`, [`Assessor::repair`]) goes the same way with
//! the components serviced instead of readings.

mod fold;
mod persist;
mod repair;
mod restore;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use models::health::Engine;
use shared_schemas::EventEnvelope;
use shared_schemas::events::{Component, HealthBand, TelemetryReceived};
use shared_schemas::telemetry::TelemetryReading;
use sqlx::{PgConnection, PgPool};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::db::{self, applied, history, vehicles};
use crate::domain::announce::{self, Outgoing, TransitionView};
use crate::domain::cache::StateCache;
use fold::{Done, Work};
use persist::{enqueue, history_rows_of};
pub use repair::Repaired;

/// Producer name in the envelopes.
pub const PRODUCER: &str = "health";

/// What caused an assessment: the envelopes' causation and correlation ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cause {
    /// The event that caused it (`None` for a request).
    pub event_id: Option<Uuid>,
    /// The flow it belongs to.
    pub correlation_id: Uuid,
}

impl Cause {
    /// Caused by `event` (what `EventEnvelope::caused_by` records).
    pub fn event<P>(event: &EventEnvelope<P>) -> Self {
        Self {
            event_id: Some(event.event_id),
            correlation_id: event.correlation_id,
        }
    }

    /// Caused by a request with this correlation id.
    pub fn request(correlation_id: Uuid) -> Self {
        Self {
            event_id: None,
            correlation_id,
        }
    }
}

/// A reading to fold in.
#[derive(Debug, Clone)]
struct Incoming {
    reading: TelemetryReading,
    org_id: String,
    received_at: DateTime<Utc>,
    cause: Cause,
}

/// A component serviced, to reset (see `models::health::service`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Repair {
    component: Component,
    at: DateTime<Utc>,
    appointment_id: Uuid,
}

/// What a transaction folds into the locked vehicles, by vehicle.
#[derive(Debug, Default)]
struct Inputs {
    readings: HashMap<String, Vec<Incoming>>,
    repairs: HashMap<String, Vec<Repair>>,
}

/// The engine panicked on a batch's data.
#[derive(Debug, thiserror::Error)]
#[error("the health engine panicked: {0}")]
pub struct EnginePanicked(String);

/// A recomputed vehicle.
#[derive(Debug, Clone)]
pub struct Recomputed {
    /// Vehicle.
    pub vehicle_id: String,
    /// Model of the assessment before.
    pub previous_model_version: Option<String>,
    /// Transitions the new assessment made (and announced).
    pub transitions: Vec<TransitionView>,
}

/// Outcome of one batch, for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchStats {
    /// Readings folded in.
    pub applied: u64,
    /// Readings seen before (redeliveries, re-sent readings).
    pub duplicates: u64,
    /// Readings older than the late horizon.
    pub too_late: u64,
    /// Vehicles assessed.
    pub vehicles: u64,
    /// Events enqueued.
    pub events: u64,
}

/// Folds readings into states and assesses vehicles; shared by the consumer, the
/// recompute endpoints and the maintenance task.
pub struct Assessor {
    pool: PgPool,
    engine: Arc<Engine>,
    cache: StateCache,
    computed_every: chrono::Duration,
    relay: Arc<Notify>,
}

impl std::fmt::Debug for Assessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assessor")
            .field("model_version", &self.engine.model_version())
            .field("cached", &self.cache.len())
            .finish_non_exhaustive()
    }
}

impl Assessor {
    /// An assessor over `pool` scoring with `engine`; `relay` is the outbox relay's
    /// notifier.
    pub fn new(
        pool: PgPool,
        engine: Engine,
        cache_vehicles: usize,
        computed_every: std::time::Duration,
        relay: Arc<Notify>,
    ) -> Self {
        Self {
            pool,
            engine: Arc::new(engine),
            cache: StateCache::new(cache_vehicles),
            computed_every: chrono::Duration::from_std(computed_every)
                .unwrap_or(chrono::Duration::MAX),
            relay,
        }
    }

    /// The model version assessments are made with.
    pub fn model_version(&self) -> &str {
        self.engine.model_version()
    }

    /// Applies a batch of received-telemetry events in one transaction. An error means
    /// nothing of the batch was applied.
    pub async fn ingest(
        &self,
        events: &[EventEnvelope<TelemetryReceived>],
    ) -> anyhow::Result<BatchStats> {
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        let incoming = fresh_readings(&mut tx, events).await?;
        let fresh_n: usize = incoming.values().map(Vec::len).sum();
        let mut stats = BatchStats {
            duplicates: (events.len() - fresh_n) as u64,
            ..BatchStats::default()
        };
        if incoming.is_empty() {
            tx.commit().await.context("committing")?;
            record_readings(&stats);
            return Ok(stats);
        }
        let ids: Vec<&str> = incoming.keys().copied().collect();
        let orgs: Vec<&str> = incoming
            .values()
            .map(|r| r.first().map_or("", |i| i.org_id.as_str()))
            .collect();
        vehicles::ensure(&mut tx, &ids, &orgs)
            .await
            .context("creating vehicle rows")?;
        let rows = vehicles::lock(&mut tx, &ids)
            .await
            .context("locking vehicles")?;
        let inputs = Inputs {
            readings: incoming
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            ..Inputs::default()
        };
        let (done, events_n) = self.assess(&mut tx, rows, inputs, None).await?;
        tx.commit().await.context("committing")?;
        for d in &done {
            stats.applied += d.counted.len() as u64;
            stats.too_late += d.too_late;
            stats.vehicles += u64::from(d.assessment.is_some());
        }
        stats.events = events_n;
        self.after_commit(done, events_n);
        record_readings(&stats);
        Ok(stats)
    }

    /// Reassesses `vehicle_ids` from their stored states with the current model, in one
    /// transaction: transitions are announced, the assessment stored, and
    /// `vehicle.health.computed` published. Unknown ids are skipped.
    pub async fn recompute(
        &self,
        vehicle_ids: &[&str],
        correlation_id: Uuid,
    ) -> anyhow::Result<Vec<Recomputed>> {
        let mut sorted = vehicle_ids.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        let rows = vehicles::lock(&mut tx, &sorted)
            .await
            .context("locking vehicles")?;
        let cause = Cause::request(correlation_id);
        let (done, events_n) = self
            .assess(&mut tx, rows, Inputs::default(), Some(cause))
            .await?;
        tx.commit().await.context("committing")?;
        let out = done
            .iter()
            .map(|d| Recomputed {
                vehicle_id: d.row.vehicle_id.clone(),
                previous_model_version: d.row.model_version.clone(),
                transitions: d.transitions.iter().map(Into::into).collect(),
            })
            .collect();
        self.after_commit(done, events_n);
        Ok(out)
    }

    /// Publishes the `vehicle.health.computed` the throttle deferred, for up to `limit`
    /// vehicles whose last one is older than the throttle period; returns how many.
    pub async fn flush_computed(&self, limit: i64) -> anyhow::Result<usize> {
        let now = Utc::now();
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        let rows = vehicles::lock_pending_computed(&mut tx, now - self.computed_every, limit)
            .await
            .context("finding deferred snapshots")?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut history_rows = Vec::new();
        let mut ids = Vec::with_capacity(rows.len());
        for r in &rows {
            ids.push(r.vehicle_id.as_str());
            let (Some(at), Some(score), Some(band)) = (
                r.newest_at,
                r.overall_score,
                r.overall_band.as_deref().and_then(db::band_from_str),
            ) else {
                continue;
            };
            let model = r.model_version.as_deref().unwrap_or_default();
            history_rows.extend(history_rows_of(
                &r.vehicle_id,
                &r.org_id,
                at,
                &r.components.0,
                model,
            ));
            let cause = Cause {
                event_id: r.cause_event_id,
                correlation_id: r.cause_correlation_id.unwrap_or_else(Uuid::now_v7),
            };
            let payload = announce::computed(
                &r.org_id,
                &r.vehicle_id,
                at,
                r.components.0.clone(),
                r.unknown_components.0.clone(),
                score,
                band,
            );
            enqueue(&mut tx, Outgoing::Computed(payload), cause, at).await?;
        }
        history::insert(&mut tx, &history_rows)
            .await
            .context("inserting history")?;
        vehicles::mark_published(&mut tx, &ids, now)
            .await
            .context("marking snapshots published")?;
        tx.commit().await.context("committing")?;
        self.relay.notify_one();
        Ok(rows.len())
    }

    /// Folds `inputs` into the states of the locked `rows`, assesses them (every one
    /// when `force`, with that cause) and writes back what changed; returns what was
    /// done and how many events were enqueued.
    async fn assess(
        &self,
        tx: &mut PgConnection,
        rows: Vec<vehicles::Locked>,
        mut inputs: Inputs,
        force: Option<Cause>,
    ) -> anyhow::Result<(Vec<Done>, u64)> {
        let work = self
            .load(tx, rows)
            .await?
            .into_iter()
            .map(|(row, state, reset)| Work {
                readings: inputs.readings.remove(&row.vehicle_id).unwrap_or_default(),
                repairs: inputs.repairs.remove(&row.vehicle_id).unwrap_or_default(),
                row,
                state,
                reset,
                force,
            })
            .collect();
        let done = self.compute(work).await?;
        let events_n = self.persist(tx, &done).await?;
        Ok((done, events_n))
    }

    fn after_commit(&self, done: Vec<Done>, events: u64) {
        if events > 0 {
            self.relay.notify_one();
        }
        let now = Utc::now();
        let latency = metrics::histogram!("health_ingest_to_health_seconds");
        for d in done {
            for received in &d.counted {
                latency.record((now - *received).as_seconds_f64().max(0.0));
            }
            let version = if d.write { d.version() } else { d.row.version };
            self.cache.put(d.row.vehicle_id, version, d.state);
        }
    }
}

/// Records the keys of `events`' readings as applied and returns the readings whose
/// keys are new, by vehicle.
async fn fresh_readings<'e>(
    tx: &mut PgConnection,
    events: &'e [EventEnvelope<TelemetryReceived>],
) -> anyhow::Result<BTreeMap<&'e str, Vec<Incoming>>> {
    let keys: Vec<applied::Key<'_>> = events
        .iter()
        .map(|e| applied::Key {
            vehicle_id: &e.payload.reading.vehicle_id,
            reading_id: &e.payload.reading_id,
            recorded_at: e.payload.reading.recorded_at,
        })
        .collect();
    let mut fresh: HashSet<(String, String)> = applied::insert_new(tx, &keys)
        .await
        .context("recording applied readings")?
        .into_iter()
        .collect();
    let mut incoming: BTreeMap<&str, Vec<Incoming>> = BTreeMap::new();
    for e in events {
        let p = &e.payload;
        // The first occurrence of a new key is applied; later ones in the batch are
        // duplicates like those of earlier batches.
        let key = (p.reading.vehicle_id.clone(), p.reading_id.clone());
        if fresh.remove(&key) {
            incoming
                .entry(&p.reading.vehicle_id)
                .or_default()
                .push(Incoming {
                    reading: p.reading.clone(),
                    org_id: p.org_id.clone(),
                    received_at: p.received_at,
                    cause: Cause::event(e),
                });
        }
    }
    Ok(incoming)
}

fn record_readings(stats: &BatchStats) {
    for (outcome, n) in [
        ("applied", stats.applied),
        ("duplicate", stats.duplicates),
        ("too_late", stats.too_late),
    ] {
        if n > 0 {
            metrics::counter!("health_readings_total", "outcome" => outcome).increment(n);
        }
    }
}

/// The band of a stored assessment (for views).
pub fn band(s: Option<&str>) -> Option<HealthBand> {
    s.and_then(db::band_from_str)
}
