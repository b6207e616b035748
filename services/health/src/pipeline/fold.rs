//! The CPU phase of a batch: each vehicle's readings folded into its state, and the
//! vehicle assessed once when anything changed.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use models::health::{Applied, Assessment, CounterNews, Engine, Transition, VehicleState};
use uuid::Uuid;

use super::{Assessor, Cause, EnginePanicked, Incoming, Repair};
use crate::db::vehicles;
use crate::domain::announce::Latest;
use crate::domain::position::Position;

/// One vehicle's work in a transaction.
#[derive(Debug)]
pub(super) struct Work {
    pub(super) row: vehicles::Locked,
    pub(super) state: VehicleState,
    /// The stored state could not be decoded and was started afresh.
    pub(super) reset: bool,
    pub(super) readings: Vec<Incoming>,
    /// Components serviced (`appointment.completed`), applied before the readings.
    pub(super) repairs: Vec<Repair>,
    /// Assess and publish even without a new reading (recompute), with this cause.
    pub(super) force: Option<Cause>,
}

/// What the CPU phase made of one vehicle.
#[derive(Debug)]
pub(super) struct Done {
    pub(super) row: vehicles::Locked,
    pub(super) state: VehicleState,
    pub(super) reset: bool,
    /// Anything to write (a reading counted, a reset, or a forced assessment).
    pub(super) write: bool,
    pub(super) org_id: String,
    pub(super) newest_at: Option<DateTime<Utc>>,
    pub(super) latest: Latest,
    pub(super) head: Vec<u8>,
    pub(super) days: Vec<(i64, Vec<u8>)>,
    /// The oldest day kept, when it moved (stored days before it are deleted).
    pub(super) oldest_kept_day: Option<i64>,
    pub(super) assessment: Option<Assessment>,
    pub(super) transitions: Vec<Transition>,
    /// Odometer and engine-hours anomalies to announce.
    pub(super) counter_news: Vec<CounterNews>,
    pub(super) publish_computed: bool,
    pub(super) cause: Cause,
    /// `received_at` of every reading counted.
    pub(super) counted: Vec<DateTime<Utc>>,
    pub(super) too_late: u64,
    /// The repairs applied (those not already known).
    pub(super) repaired: Vec<Repair>,
}

impl Done {
    pub(super) fn version(&self) -> i64 {
        self.row.version + 1
    }
}

/// What folding one vehicle's readings in found.
struct Applying {
    /// Newest reading, and its odometer and DTCs.
    newest_at: Option<DateTime<Utc>>,
    latest: Latest,
    /// The cause of the newest reading counted, with its time.
    cause: Option<(DateTime<Utc>, Cause)>,
    /// `received_at` of every reading counted.
    counted: Vec<DateTime<Utc>>,
    too_late: u64,
}

impl Assessor {
    /// Folds and assesses on a blocking thread (CPU work). A panic of the engine is
    /// reported as [`EnginePanicked`]: it depends on the data, like a refused statement.
    pub(super) async fn compute(&self, work: Vec<Work>) -> anyhow::Result<Vec<Done>> {
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
}

/// Applies `w`'s readings and, when anything changed, assesses once.
fn fold(engine: &Engine, w: Work, now: DateTime<Utc>, every: chrono::Duration) -> Done {
    let Work {
        row,
        mut state,
        reset,
        readings,
        repairs,
        force,
    } = w;
    let oldest_before = state.oldest_kept_day();
    // Repairs that change nothing (redelivered, superseded) publish nothing either.
    let had_repairs = !repairs.is_empty();
    let (repaired, mut transitions) = repair(&mut state, repairs);
    let force = force.filter(|_| !had_repairs || !repaired.is_empty());
    let applied = apply(&mut state, &row, reset, readings);
    // The vehicle's organization is the one that first reported it; only a transfer
    // (`vehicle.ownership.transferred`) changes it, never a reading (ADR 0008).
    let org_id = row.org_id.clone();
    let cause = force.or(applied.cause.map(|(_, c)| c));
    let write = !applied.counted.is_empty() || reset || force.is_some();
    let (assessment, assessed, counter_news) = if write {
        assess(engine, &mut state)
    } else {
        (None, Vec::new(), Vec::new())
    };
    transitions.extend(assessed);
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
        newest_at: applied.newest_at,
        latest: applied.latest,
        days,
        assessment,
        transitions,
        counter_news,
        publish_computed,
        counted: applied.counted,
        too_late: applied.too_late,
        repaired,
    }
}

/// Applies `repairs` to `state`: the ones applied, and the recoveries they announce.
fn repair(state: &mut VehicleState, repairs: Vec<Repair>) -> (Vec<Repair>, Vec<Transition>) {
    let mut applied = Vec::new();
    let mut transitions = Vec::new();
    for r in repairs {
        if let Some(t) = state.service(r.component, r.at, &r.appointment_id.to_string()) {
            transitions.extend(t);
            applied.push(r);
        }
    }
    (applied, transitions)
}

/// Applies `readings` to `state`, starting from what `row` knew of the newest reading
/// (nothing when the state was `reset`).
fn apply(
    state: &mut VehicleState,
    row: &vehicles::Locked,
    reset: bool,
    readings: Vec<Incoming>,
) -> Applying {
    let mut out = Applying {
        newest_at: if reset { None } else { row.newest_at },
        latest: Latest {
            dtcs: if reset {
                Vec::new()
            } else {
                row.dtcs.0.clone()
            },
            odometer_km: row.odometer_km,
            engine_hours: row.engine_hours,
            position: Position::of(row.position_lat, row.position_lon, row.position_at),
        },
        cause: None,
        counted: Vec::new(),
        too_late: 0,
    };
    for inc in readings {
        match state.apply(&inc.reading) {
            Applied::Counted => {
                out.counted.push(inc.received_at);
                let at = inc.reading.recorded_at;
                if out.cause.is_none_or(|(t, _)| at >= t) {
                    out.cause = Some((at, inc.cause));
                }
                let position = Position::newer(out.latest.position, &inc.reading);
                if out.newest_at.is_none_or(|t| at >= t) {
                    out.newest_at = Some(at);
                    let hours = inc.reading.engine_hours.filter(|h| h.is_finite());
                    out.latest = Latest {
                        odometer_km: inc.reading.odometer_km.or(out.latest.odometer_km),
                        engine_hours: hours.or(out.latest.engine_hours),
                        dtcs: inc.reading.dtcs,
                        position,
                    };
                } else {
                    out.latest.position = position;
                }
            }
            Applied::TooLate => out.too_late += 1,
        }
    }
    out
}

/// Assesses `state`, and the transitions and counter anomalies the assessment
/// announces (recorded in the state's head, so each is announced once).
fn assess(
    engine: &Engine,
    state: &mut VehicleState,
) -> (Option<Assessment>, Vec<Transition>, Vec<CounterNews>) {
    let assessment = engine.assess(state);
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
}
