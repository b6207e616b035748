//! One message: judged and handed off exactly as a REST request is (same judging,
//! same idempotent script call, same refusal events), but answered to nobody: the
//! caller acknowledges it, or holds it and tries again.

use chrono::{DateTime, Utc};
use shared_schemas::events::telemetry::Problem;
use shared_schemas::telemetry::Protocol;
use uuid::Uuid;

use super::topic::{Kind, Route};
use crate::domain::parse;
use crate::pipeline::{Origin, Refused, Status, batch_scope};
use crate::routes::telemetry::BatchRequest;
use crate::routes::telemetry::judge::{Incoming, Verdict, judge};
use crate::state::AppState;

/// What became of a message's readings.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) accepted: usize,
    pub(crate) duplicate: usize,
    pub(crate) rejected: usize,
}

/// Why a message is held unacknowledged, to be tried again.
#[derive(Debug)]
pub(crate) enum Wait {
    /// Redis or the vehicle registry could not be reached: nothing can be counted on.
    Unavailable(String),
    /// It holds backfill while the backlog is too long (ADR 0020), or a group is close
    /// to losing telemetry to the trim: the whole message waits this many seconds.
    Backlogged(u64),
}

/// Judges `payload`, published at `route`, and hands it off. `Ok` means every reading
/// is on the stream (accepted or duplicate) or recorded as refused: acknowledge it.
pub(crate) async fn handle(
    state: &AppState,
    route: &Route,
    payload: &[u8],
    received_at: DateTime<Utc>,
) -> Result<Tally, Wait> {
    if let Some((_, retry_after_s)) = state.backlog.refuse_all() {
        // Held, not acknowledged: the broker keeps it until the groups catch up.
        return Err(Wait::Backlogged(retry_after_s));
    }
    let parsed = readings(state, route.kind, payload);
    let scope = match &parsed {
        Ok((_, Some(batch_id))) => Some(batch_scope(&route.org, batch_id)),
        _ => None,
    };
    let origin = Origin {
        org_id: &route.org,
        protocol: Protocol::Canonical,
        correlation_id: Uuid::new_v4(),
        received_at,
        batch_scope: scope.as_deref(),
    };
    let incoming = match parsed {
        Ok((incoming, _)) => incoming,
        Err(problem) => {
            // Not even readings: one refusal, naming the topic's vehicle.
            let refused = Refused {
                reading_id: None,
                vehicle_id: route.vehicle.clone(),
                problems: vec![problem],
            };
            state
                .intake
                .submit(origin, Vec::new(), std::slice::from_ref(&refused))
                .await
                .map_err(|e| Wait::Unavailable(e.to_string()))?;
            state.metrics.rejected.increment(1);
            return Ok(Tally {
                rejected: 1,
                ..Tally::default()
            });
        }
    };
    let device = route.device();
    let verdicts = judge(state, &device, origin, incoming)
        .await
        .map_err(|e| Wait::Unavailable(format!("{e:?}")))?;
    let mut accepted = Vec::with_capacity(verdicts.len());
    let mut refused = Vec::new();
    for verdict in verdicts {
        match verdict {
            Verdict::Take { accepted: a, .. } => accepted.push(a),
            Verdict::Refuse(r) => refused.push(r),
        }
    }
    let backfill = accepted.iter().filter(|a| a.backfill).count();
    if backfill > 0
        && let Some(retry_after_s) = state.backlog.defer_backfill()
    {
        // Acknowledged as a whole: nothing of it is taken now, refusals included, so
        // the retry records them once.
        state.metrics.deferred.increment(backfill as u64);
        return Err(Wait::Backlogged(retry_after_s));
    }
    let statuses = state
        .intake
        .submit(origin, accepted, &refused)
        .await
        .map_err(|e| Wait::Unavailable(e.to_string()))?;
    let mut tally = Tally {
        rejected: refused.len(),
        ..Tally::default()
    };
    for status in statuses {
        if status == Status::Accepted {
            tally.accepted += 1;
        } else {
            tally.duplicate += 1;
        }
    }
    state.metrics.accepted.increment(tally.accepted as u64);
    state.metrics.duplicate.increment(tally.duplicate as u64);
    state.metrics.rejected.increment(tally.rejected as u64);
    Ok(tally)
}

/// The readings of a payload, each parsed (or why not) as its REST route parses them,
/// and the batch id it names; the problem when the payload as a whole is not what its
/// topic says.
fn readings(
    state: &AppState,
    kind: Kind,
    payload: &[u8],
) -> Result<(Vec<Incoming>, Option<String>), Problem> {
    let text =
        std::str::from_utf8(payload).map_err(|_| Problem::new("", "payload is not UTF-8"))?;
    Ok(match kind {
        Kind::Telemetry => (
            vec![Incoming {
                parsed: parse::reading(text),
                raw: None,
            }],
            None,
        ),
        Kind::Batch => {
            let batch = BatchRequest::read(payload, state.max_batch)
                .map_err(|e| Problem::new("readings", e.to_string()))?;
            (batch.incoming(), batch.batch_id)
        }
    })
}
