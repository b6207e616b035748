//! The heart of the service: folds readings into vehicle states, assesses each touched
//! vehicle once per batch, and writes the state, the current assessment, the history
//! and the events of the transitions in one transaction.
//!
//! Per batch (see [`Assessor::ingest`]):
//! 1. the readings' keys go into `applied_readings`; only keys that were new are
//!    applied, so redelivered events and re-sent readings are no-ops;
//! 2. the touched vehicles' rows are locked (`FOR UPDATE`, in id order) and their
//!    decoded states taken from the [`StateCache`] when its version matches the row's,
//!    otherwise restored from `vehicles.head` and `vehicle_days`;
//! 3. readings are folded in and each vehicle assessed once (on a blocking thread: it
//!    is CPU work), transitions computed with the tracker's hysteresis;
//! 4. head (version + 1), dirty days and the assessment are written back, days out of
//!    the window deleted, events enqueued in the outbox, history rows inserted when
//!    `vehicle.health.computed` is published;
//! 5. after the commit: the relay is poked, states go back to the cache, metrics.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use models::health::{Applied, Assessment, CounterNews, Engine, Transition, VehicleState};
use shared_runtime::outbox::{self, OutboxError};
use shared_schemas::events::{HealthBand, TelemetryReceived};
use shared_schemas::telemetry::TelemetryReading;
use shared_schemas::{Event, EventEnvelope};
use sqlx::{PgConnection, PgPool};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::db::{self, anomalies, applied, days, history, vehicles};
use crate::domain::announce::{self, Latest, Outgoing, TransitionView};
use crate::domain::cache::StateCache;
use crate::domain::counters;

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

/// One vehicle's work in a transaction.
#[derive(Debug)]
struct Work {
    row: vehicles::Locked,
    state: VehicleState,
    /// The stored state could not be decoded and was started afresh.
    reset: bool,
    readings: Vec<Incoming>,
    /// Assess and publish even without a new reading (recompute), with this cause.
    force: Option<Cause>,
}

/// What the CPU phase made of one vehicle.
#[derive(Debug)]
struct Done {
    row: vehicles::Locked,
    state: VehicleState,
    reset: bool,
    /// Anything to write (a reading counted, a reset, or a forced assessment).
    write: bool,
    org_id: String,
    newest_at: Option<DateTime<Utc>>,
    latest: Latest,
    head: Vec<u8>,
    days: Vec<(i64, Vec<u8>)>,
    /// The oldest day kept, when it moved (stored days before it are deleted).
    oldest_kept_day: Option<i64>,
    assessment: Option<Assessment>,
    transitions: Vec<Transition>,
    /// Odometer and engine-hours anomalies to announce.
    counter_news: Vec<CounterNews>,
    publish_computed: bool,
    cause: Cause,
    /// `received_at` of every reading counted.
    counted: Vec<DateTime<Utc>>,
    too_late: u64,
}

impl Done {
    fn version(&self) -> i64 {
        self.row.version + 1
    }
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
        let keys: Vec<applied::Key<'_>> = events
            .iter()
            .map(|e| applied::Key {
                vehicle_id: &e.payload.reading.vehicle_id,
                reading_id: &e.payload.reading_id,
                recorded_at: e.payload.reading.recorded_at,
            })
            .collect();
        let mut fresh: HashSet<(String, String)> = applied::insert_new(&mut tx, &keys)
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
        let mut incoming: HashMap<String, Vec<Incoming>> = incoming
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        let work = self
            .load(&mut tx, rows)
            .await?
            .into_iter()
            .map(|(row, state, reset)| Work {
                readings: incoming.remove(&row.vehicle_id).unwrap_or_default(),
                row,
                state,
                reset,
                force: None,
            })
            .collect();
        let done = self.compute(work).await?;
        let events_n = self.persist(&mut tx, &done).await?;
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
        let work = self
            .load(&mut tx, rows)
            .await?
            .into_iter()
            .map(|(row, state, reset)| Work {
                row,
                state,
                reset,
                readings: Vec::new(),
                force: Some(cause),
            })
            .collect();
        let done = self.compute(work).await?;
        let events_n = self.persist(&mut tx, &done).await?;
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

    /// Decoded states of the locked `rows`: from the cache when the version matches,
    /// else restored from Postgres. A state that does not decode (written by an
    /// incompatible engine) starts afresh, flagged `reset`.
    async fn load(
        &self,
        conn: &mut PgConnection,
        rows: Vec<vehicles::Locked>,
    ) -> anyhow::Result<Vec<(vehicles::Locked, VehicleState, bool)>> {
        let mut out = Vec::with_capacity(rows.len());
        let mut misses = Vec::new();
        for row in rows {
            if row.version == 0 {
                out.push((row, VehicleState::new(), false));
            } else if let Some(state) = self.cache.take(&row.vehicle_id, row.version) {
                out.push((row, state, false));
            } else {
                misses.push(row);
            }
        }
        metrics::counter!("health_state_cache_total", "result" => "hit")
            .increment((out.len()) as u64);
        if misses.is_empty() {
            return Ok(out);
        }
        metrics::counter!("health_state_cache_total", "result" => "miss")
            .increment(misses.len() as u64);
        let ids: Vec<&str> = misses.iter().map(|r| r.vehicle_id.as_str()).collect();
        let mut heads: HashMap<String, Option<Vec<u8>>> = vehicles::heads(conn, &ids)
            .await
            .context("loading state heads")?
            .into_iter()
            .collect();
        let mut stored: HashMap<String, Vec<(i64, Vec<u8>)>> = HashMap::new();
        for (vehicle, day, data) in days::load(conn, &ids).await.context("loading state days")? {
            stored.entry(vehicle).or_default().push((day, data));
        }
        for row in misses {
            let head = heads.remove(&row.vehicle_id).flatten();
            let days = stored.remove(&row.vehicle_id).unwrap_or_default();
            let restored = match &head {
                None => Ok(VehicleState::new()),
                Some(head) => {
                    VehicleState::restore(head, days.iter().map(|(d, b)| (*d, b.as_slice())))
                }
            };
            match restored {
                Ok(state) => out.push((row, state, false)),
                Err(e) => {
                    tracing::error!(vehicle_id = %row.vehicle_id, error = %e,
                        "stored health state does not decode; starting the vehicle afresh");
                    metrics::counter!("health_state_resets_total").increment(1);
                    out.push((row, VehicleState::new(), true));
                }
            }
        }
        Ok(out)
    }

    /// Folds and assesses on a blocking thread (CPU work). A panic of the engine is
    /// reported as [`EnginePanicked`]: it depends on the data, like a refused statement.
    async fn compute(&self, work: Vec<Work>) -> anyhow::Result<Vec<Done>> {
        let engine = Arc::clone(&self.engine);
        let every = self.computed_every;
        let now = Utc::now();
        tokio::task::spawn_blocking(move || {
            work.into_iter()
                .map(|w| fold(&engine, w, now, every))
                .collect()
        })
        .await
        .map_err(|e| {
            if e.is_panic() {
                EnginePanicked(e.to_string()).into()
            } else {
                anyhow::Error::new(e).context("assessing vehicles")
            }
        })
    }

    /// Writes back what `done` computed and enqueues its events; returns how many.
    async fn persist(&self, conn: &mut PgConnection, done: &[Done]) -> anyhow::Result<u64> {
        let now = Utc::now();
        let mut updates = Vec::new();
        let (mut day_ids, mut day_nums, mut day_data) = (Vec::new(), Vec::new(), Vec::new());
        let (mut old_ids, mut old_days) = (Vec::new(), Vec::new());
        let mut history_rows = Vec::new();
        for d in done.iter().filter(|d| d.write) {
            let id = d.row.vehicle_id.as_str();
            if d.reset {
                days::delete_all(conn, id)
                    .await
                    .context("deleting undecodable days")?;
            }
            for (day, data) in &d.days {
                day_ids.push(id);
                day_nums.push(*day);
                day_data.push(data.as_slice());
            }
            if let Some(oldest) = d.oldest_kept_day {
                old_ids.push(id);
                old_days.push(oldest);
            }
            let assessed = d.assessment.as_ref().map(|a| vehicles::Assessed {
                overall_score: a.overall_score,
                overall_band: a.overall_band.as_str(),
                daily_km: a.daily_km,
                components: serde_json::to_string(&a.components).unwrap_or_default(),
                component_bands: a
                    .components
                    .iter()
                    .map(|c| format!("{}:{}", c.component.as_str(), c.band.as_str()))
                    .collect::<Vec<_>>()
                    .join(","),
                model_version: self.engine.model_version().to_owned(),
            });
            if let (Some(a), true) = (&d.assessment, d.publish_computed) {
                history_rows.extend(history_rows_of(
                    id,
                    &d.org_id,
                    a.at,
                    &a.components,
                    self.engine.model_version(),
                ));
            }
            updates.push(vehicles::Update {
                vehicle_id: d.row.vehicle_id.clone(),
                org_id: d.org_id.clone(),
                version: d.version(),
                head: d.head.clone(),
                newest_at: d.newest_at,
                odometer_km: d.latest.odometer_km,
                dtcs: serde_json::to_string(&d.latest.dtcs).unwrap_or_else(|_| "[]".to_owned()),
                computed_published_at: if d.publish_computed {
                    Some(now)
                } else {
                    d.row.computed_published_at
                },
                computed_pending: assessed.is_some() && !d.publish_computed,
                assessment: assessed,
                cause_event_id: d.cause.event_id,
                cause_correlation_id: Some(d.cause.correlation_id),
            });
        }
        days::upsert(conn, &day_ids, &day_nums, &day_data)
            .await
            .context("writing state days")?;
        days::delete_before(conn, &old_ids, &old_days)
            .await
            .context("deleting days out of the window")?;
        vehicles::update(conn, &updates)
            .await
            .context("writing vehicles")?;
        history::insert(conn, &history_rows)
            .await
            .context("inserting history")?;
        let mut n = 0;
        for d in done.iter().filter(|d| d.write) {
            let Some(a) = &d.assessment else { continue };
            let id = d.row.vehicle_id.as_str();
            let mut out = announce::transition_events(&d.org_id, id, a, &d.transitions, &d.latest);
            let anomalies = counters::anomaly_events(&d.org_id, id, &d.counter_news, a.at);
            anomalies::insert(conn, &anomalies.iter().collect::<Vec<_>>())
                .await
                .context("recording counter anomalies")?;
            out.extend(anomalies.into_iter().map(Outgoing::Odometer));
            if d.publish_computed {
                out.push(Outgoing::Computed(announce::computed(
                    &d.org_id,
                    id,
                    a.at,
                    a.components.clone(),
                    a.overall_score,
                    a.overall_band,
                )));
            }
            for event in out {
                enqueue(conn, event, d.cause, a.at).await?;
                n += 1;
            }
        }
        Ok(n)
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

/// Applies `w`'s readings and, when anything changed, assesses once.
fn fold(engine: &Engine, w: Work, now: DateTime<Utc>, every: chrono::Duration) -> Done {
    let Work {
        row,
        mut state,
        reset,
        readings,
        force,
    } = w;
    let oldest_before = state.oldest_kept_day();
    let mut newest_at = if reset { None } else { row.newest_at };
    let mut latest = Latest {
        dtcs: if reset {
            Vec::new()
        } else {
            row.dtcs.0.clone()
        },
        odometer_km: row.odometer_km,
    };
    // The vehicle's organization is the one that first reported it; only a transfer
    // (`vehicle.ownership.transferred`) changes it, never a reading (ADR 0008).
    let org_id = row.org_id.clone();
    let mut cause: Option<(DateTime<Utc>, Cause)> = None;
    let mut counted = Vec::new();
    let mut too_late = 0;
    for inc in readings {
        match state.apply(&inc.reading) {
            Applied::Counted => {
                counted.push(inc.received_at);
                let at = inc.reading.recorded_at;
                if cause.is_none_or(|(t, _)| at >= t) {
                    cause = Some((at, inc.cause));
                }
                if newest_at.is_none_or(|t| at >= t) {
                    newest_at = Some(at);
                    latest = Latest {
                        odometer_km: inc.reading.odometer_km.or(latest.odometer_km),
                        dtcs: inc.reading.dtcs,
                    };
                }
            }
            Applied::TooLate => too_late += 1,
        }
    }
    let cause = force.or(cause.map(|(_, c)| c));
    let write = !counted.is_empty() || reset || force.is_some();
    let (assessment, transitions, counter_news) = if write {
        let assessment = engine.assess(&state);
        let (transitions, news) = assessment
            .as_ref()
            .map(|a| {
                (
                    a.transitions(&mut state.head.reported),
                    a.counter_news(&mut state.head.announced),
                )
            })
            .unwrap_or_default();
        (assessment, transitions, news)
    } else {
        (None, Vec::new(), Vec::new())
    };
    let publish_computed = assessment.is_some()
        && (force.is_some()
            || !transitions.is_empty()
            || row.computed_published_at.is_none_or(|t| now - t >= every));
    let dirty = state.take_dirty_days();
    let days = dirty
        .into_iter()
        .filter_map(|d| state.encode_day(d).map(|b| (d, b)))
        .collect();
    Done {
        head: state.encode_head(),
        // Stored days before the window were deleted when it last moved.
        oldest_kept_day: state
            .oldest_kept_day()
            .filter(|oldest| Some(*oldest) != oldest_before),
        cause: cause.unwrap_or_else(|| Cause::request(Uuid::now_v7())),
        row,
        state,
        reset,
        write,
        org_id,
        newest_at,
        latest,
        days,
        assessment,
        transitions,
        counter_news,
        publish_computed,
        counted,
        too_late,
    }
}

fn history_rows_of<'a>(
    vehicle_id: &'a str,
    org_id: &'a str,
    at: DateTime<Utc>,
    components: &[shared_schemas::events::ComponentHealth],
    model_version: &'a str,
) -> Vec<history::Row<'a>> {
    components
        .iter()
        .map(|c| history::Row {
            vehicle_id,
            org_id,
            component: c.component.as_str(),
            computed_at: at,
            score: c.score,
            band: c.band.as_str(),
            rul_days: c.rul_days,
            rul_km: c.rul_km,
            confidence: c.confidence,
            model_version,
        })
        .collect()
}

/// Puts one event in the outbox, caused by `cause`, occurred `at`.
async fn enqueue(
    conn: &mut PgConnection,
    event: Outgoing,
    cause: Cause,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let event_type = match event {
        Outgoing::Changed(p) => put(conn, p, cause, at).await,
        Outgoing::Degraded(p) => put(conn, p, cause, at).await,
        Outgoing::Critical(p) => put(conn, p, cause, at).await,
        Outgoing::Computed(p) => put(conn, p, cause, at).await,
        Outgoing::Odometer(p) => put(conn, p, cause, at).await,
    }
    .context("enqueuing an event")?;
    metrics::counter!("health_events_total", "event_type" => event_type).increment(1);
    Ok(())
}

async fn put<P: Event>(
    conn: &mut PgConnection,
    payload: P,
    cause: Cause,
    at: DateTime<Utc>,
) -> Result<&'static str, OutboxError> {
    let mut envelope = EventEnvelope::new(PRODUCER, cause.correlation_id, payload).at(at);
    envelope.causation_id = cause.event_id;
    outbox::enqueue(conn, &envelope).await?;
    Ok(P::TYPE)
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
