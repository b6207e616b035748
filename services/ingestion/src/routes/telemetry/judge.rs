//! Judging readings: parse, validate, check the vehicle belongs to the device's
//! organization, and hand a single reading off.

use axum::Json;
use axum::http::StatusCode;
use chrono::Utc;
use shared_runtime::http::CorrelationId;
use shared_schemas::events::telemetry::Problem;
use shared_schemas::telemetry::{Protocol, TelemetryReading};

use super::IngestResponse;
use crate::device_auth::Device;
use crate::domain::validate;
use crate::error::{ApiError, Rejection};
use crate::pipeline::{Accepted, Origin, Refused, Status};
use crate::state::AppState;

/// One reading as it arrived: parsed (or why it could not be), and the raw input of
/// an adapter protocol for the audit trail.
pub(crate) struct Incoming {
    pub(crate) parsed: Result<(TelemetryReading, Vec<Problem>), Vec<Problem>>,
    pub(crate) raw: Option<String>,
}

/// What became of one reading.
pub(crate) enum Verdict {
    Take {
        accepted: Accepted,
        warnings: Vec<Problem>,
    },
    Refuse(Refused),
}

/// Why a reading whose vehicle belongs to another organization is refused: the same
/// words as for a key limited to other vehicles, so a refusal does not tell whether
/// the vehicle exists elsewhere.
fn not_for_this_key(vehicle_id: &str) -> Problem {
    Problem::new(
        "vehicle_id",
        format!("this device key may not report for vehicle {vehicle_id}"),
    )
}

/// Validates one reading for `device` (everything but its vehicle's owner).
fn validate_one(
    state: &AppState,
    device: &Device,
    received_at: chrono::DateTime<Utc>,
    incoming: Incoming,
) -> Result<(TelemetryReading, Vec<Problem>, Option<String>), Refused> {
    let (mut reading, mut warnings) = incoming.parsed.map_err(|problems| Refused {
        reading_id: None,
        vehicle_id: String::new(),
        problems,
    })?;
    let mut outcome = validate::validate(&mut reading, received_at, &state.limits);
    if !reading.vehicle_id.is_empty() && !device.allows(&reading.vehicle_id) {
        outcome.problems.push(not_for_this_key(&reading.vehicle_id));
    }
    if !outcome.problems.is_empty() {
        return Err(Refused {
            reading_id: reading.reading_id,
            vehicle_id: reading.vehicle_id,
            problems: outcome.problems,
        });
    }
    if reading.reading_id.is_none() {
        reading.reading_id = Some(validate::derive_reading_id(
            &reading.vehicle_id,
            reading.recorded_at,
        ));
    }
    warnings.append(&mut outcome.warnings);
    Ok((reading, warnings, incoming.raw))
}

/// Judges readings sent by `device`: valid ones whose vehicle belongs to the device's
/// organization (or is claimed for it now) are taken, the rest refused.
pub(crate) async fn judge(
    state: &AppState,
    device: &Device,
    origin: Origin<'_>,
    incoming: Vec<Incoming>,
) -> Result<Vec<Verdict>, ApiError> {
    let checked: Vec<_> = incoming
        .into_iter()
        .map(|i| validate_one(state, device, origin.received_at, i))
        .collect();
    let mut vehicles: Vec<&str> = checked
        .iter()
        .filter_map(|c| c.as_ref().ok().map(|(r, _, _)| r.vehicle_id.as_str()))
        .collect();
    vehicles.sort_unstable();
    vehicles.dedup();
    let mine = if vehicles.is_empty() {
        Vec::new()
    } else {
        state
            .owners
            .belong(&vehicles, device)
            .await
            .map_err(|e| Rejection::Unavailable("the vehicle registry", e.into()))?
    };
    let belongs: Vec<bool> = checked
        .iter()
        .map(|c| {
            c.as_ref().is_ok_and(|(r, _, _)| {
                vehicles
                    .binary_search(&r.vehicle_id.as_str())
                    .is_ok_and(|i| mine.get(i).copied().unwrap_or(false))
            })
        })
        .collect();
    Ok(checked
        .into_iter()
        .zip(belongs)
        .map(|(c, belongs)| match c {
            Err(refused) => Verdict::Refuse(refused),
            Ok((reading, warnings, raw)) if belongs => Verdict::Take {
                accepted: state.intake.accept(origin, reading, raw),
                warnings,
            },
            Ok((reading, _, _)) => {
                state.metrics.foreign_vehicle.increment(1);
                Verdict::Refuse(Refused {
                    problems: vec![not_for_this_key(&reading.vehicle_id)],
                    reading_id: reading.reading_id,
                    vehicle_id: reading.vehicle_id,
                })
            }
        })
        .collect())
}

/// Who sent a request: the envelopes' origin.
pub(super) fn origin(
    device: &Device,
    protocol: Protocol,
    correlation: CorrelationId,
) -> Origin<'_> {
    Origin {
        org_id: &device.org_id,
        protocol,
        correlation_id: correlation.0,
        received_at: Utc::now(),
        batch_scope: None,
    }
}

/// Judges one reading and hands it off; 202 when taken, 422 naming every problem
/// otherwise. Every protocol's single-reading route ends here.
pub(super) async fn ingest_single(
    state: &AppState,
    device: &Device,
    origin: Origin<'_>,
    incoming: Incoming,
) -> Result<(StatusCode, Json<IngestResponse>), ApiError> {
    super::refuse_when_full(state)?;
    let verdict = judge(state, device, origin, vec![incoming])
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no verdict for a reading")))?;
    match verdict {
        Verdict::Refuse(refused) => {
            state
                .intake
                .submit(origin, Vec::new(), std::slice::from_ref(&refused))
                .await
                .map_err(|e| Rejection::Unavailable("the event stream", e.into()))?;
            state.metrics.rejected.increment(1);
            Err(Rejection::Invalid(refused.problems).into())
        }
        Verdict::Take { accepted, warnings } => {
            if let (true, Some(retry_after_s)) = (accepted.backfill, state.backlog.defer_backfill())
            {
                state.metrics.deferred.increment(1);
                return Err(Rejection::Backlogged {
                    backlog: state.backlog.entries(),
                    retry_after_s,
                }
                .into());
            }
            let reading_id = accepted.reading_id.clone();
            let statuses = state
                .intake
                .submit(origin, vec![accepted], &[])
                .await
                .map_err(|e| Rejection::Unavailable("the event stream", e.into()))?;
            let status = statuses.first().copied().unwrap_or(Status::Duplicate);
            if status == Status::Accepted {
                state.metrics.accepted.increment(1);
            } else {
                state.metrics.duplicate.increment(1);
            }
            Ok((
                StatusCode::ACCEPTED,
                Json(IngestResponse {
                    reading_id,
                    status,
                    warnings,
                }),
            ))
        }
    }
}
