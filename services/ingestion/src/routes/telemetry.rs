//! `POST /v1/telemetry…`: readings in, per protocol.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use shared_runtime::http::{CorrelationId, check_json};
use shared_schemas::events::telemetry::Problem;
use shared_schemas::telemetry::{Protocol, TelemetryReading};
use utoipa::ToSchema;

use crate::device_auth::{Device, DeviceAuth};
use crate::domain::{generic, j1939, obd2, validate};
use crate::error::{ApiError, Rejection};
use crate::events::intake::{Accepted, Origin, Refused, Status};
use crate::parse;
use crate::state::AppState;

/// Largest request body: a full batch of verbose readings.
const MAX_BODY: usize = 64 * 1024 * 1024;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/telemetry", post(ingest_one))
        .route("/v1/telemetry/batch", post(ingest_batch))
        .route("/v1/telemetry/obd2", post(ingest_obd2))
        .route("/v1/telemetry/j1939", post(ingest_j1939))
        .route("/v1/telemetry/generic", post(ingest_generic))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

/// The answer for one accepted reading.
#[derive(Debug, Serialize, ToSchema)]
pub struct IngestResponse {
    /// The idempotency key the reading was taken under.
    pub reading_id: String,
    /// `accepted`, or `duplicate` when that key was accepted before.
    pub status: Status,
    /// Things ignored (e.g. unknown signals), with where they were.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Problem>,
}

/// A batch of canonical readings.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BatchRequest {
    /// Up to `INGESTION_MAX_BATCH` (default 10,000) readings; each is judged on its own.
    #[schema(value_type = Vec<TelemetryReading>)]
    pub readings: Vec<Box<RawValue>>,
}

/// Per-reading results of a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResponse {
    /// Readings appended now.
    pub accepted: usize,
    /// Readings already accepted earlier under the same key.
    pub duplicates: usize,
    /// Readings refused.
    pub rejected: usize,
    /// One result per reading, in request order.
    pub results: Vec<BatchItem>,
}

/// The result of one reading of a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItem {
    /// Position in the request.
    pub index: usize,
    /// Idempotency key, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reading_id: Option<String>,
    /// What happened.
    pub status: Status,
    /// Why it was refused.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
    /// What was ignored.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Problem>,
}

/// One reading as it arrived: parsed (or why it could not be), and the raw input of
/// an adapter protocol for the audit trail.
struct Incoming {
    parsed: Result<(TelemetryReading, Vec<Problem>), Vec<Problem>>,
    raw: Option<String>,
}

/// What became of one reading.
enum Verdict {
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
async fn judge(
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
fn origin(device: &Device, protocol: Protocol, correlation: CorrelationId) -> Origin<'_> {
    Origin {
        org_id: &device.org_id,
        protocol,
        correlation_id: correlation.0,
        received_at: Utc::now(),
    }
}

/// Judges one reading and hands it off; 202 when taken, 422 naming every problem
/// otherwise. Every protocol's single-reading route ends here.
async fn ingest_single(
    state: &AppState,
    device: &Device,
    origin: Origin<'_>,
    incoming: Incoming,
) -> Result<(StatusCode, Json<IngestResponse>), ApiError> {
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

/// A reading decoded by an adapter from its own request format.
fn adapted<T: serde::de::DeserializeOwned>(
    body: &Bytes,
    decode: impl FnOnce(T) -> Result<TelemetryReading, Vec<Problem>>,
) -> Result<Incoming, ApiError> {
    let raw = utf8(body)?.to_owned();
    // Adapter requests are kept raw in the audit trail: refuse control characters
    // anywhere in them, naming the field, before decoding.
    let parsed = check_json(raw.as_bytes())
        .map_err(|p| vec![Problem::new(p.field, p.message)])
        .and_then(|()| {
            serde_json::from_str::<T>(&raw)
                .map_err(|e| vec![Problem::new("", format!("not a valid request: {e}"))])
        })
        .and_then(decode)
        .map(|reading| (reading, Vec::new()));
    Ok(Incoming {
        parsed,
        raw: Some(raw),
    })
}

fn utf8(body: &Bytes) -> Result<&str, ApiError> {
    std::str::from_utf8(body).map_err(|_| ApiError::BadRequest("body is not UTF-8".to_owned()))
}

/// Ingest one canonical reading.
///
/// 202 means the reading is in the `vehicle.telemetry.received` stream (once per
/// `reading_id`, so retries are safe). 422 lists every problem found.
#[utoipa::path(post, path = "/v1/telemetry", tag = "telemetry",
    request_body = TelemetryReading,
    security(("device_key" = [])),
    responses(
        (status = 202, description = "Accepted (or an earlier duplicate)", body = IngestResponse),
        (status = 401, description = "Missing or unknown device key", body = shared_runtime::http::ErrorBody),
        (status = 422, description = "Invalid reading; every problem listed"),
        (status = 503, description = "Event stream or vehicle registry unavailable; nothing accepted, retry"),
    ))]
pub async fn ingest_one(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
    correlation: CorrelationId,
    body: Bytes,
) -> Result<(StatusCode, Json<IngestResponse>), ApiError> {
    let incoming = Incoming {
        parsed: parse::reading(utf8(&body)?),
        raw: None,
    };
    let origin = origin(&device, Protocol::Canonical, correlation);
    ingest_single(&state, &device, origin, incoming).await
}

/// Ingest a batch of canonical readings.
///
/// Each reading is judged on its own: the answer has one result per reading. A 200
/// means every `accepted` or `duplicate` reading is in the stream.
#[utoipa::path(post, path = "/v1/telemetry/batch", tag = "telemetry",
    request_body = BatchRequest,
    security(("device_key" = [])),
    responses(
        (status = 200, description = "Per-reading results", body = BatchResponse),
        (status = 400, description = "Not a batch (malformed JSON, no `readings`, empty)", body = shared_runtime::http::ErrorBody),
        (status = 401, description = "Missing or unknown device key", body = shared_runtime::http::ErrorBody),
        (status = 413, description = "More readings than INGESTION_MAX_BATCH", body = shared_runtime::http::ErrorBody),
        (status = 503, description = "Event stream or vehicle registry unavailable; nothing accepted, retry"),
    ))]
pub async fn ingest_batch(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
    correlation: CorrelationId,
    body: Bytes,
) -> Result<Json<BatchResponse>, ApiError> {
    let batch: BatchRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!("body is not a batch {{\"readings\": [...]}}: {e}"))
    })?;
    if batch.readings.is_empty() {
        return Err(ApiError::BadRequest("`readings` is empty".to_owned()));
    }
    if batch.readings.len() > state.max_batch {
        return Err(ApiError::TooLarge(format!(
            "{} readings in one batch; at most {} allowed",
            batch.readings.len(),
            state.max_batch
        )));
    }
    let origin = origin(&device, Protocol::Canonical, correlation);
    let incoming = batch
        .readings
        .iter()
        .map(|raw| Incoming {
            parsed: parse::reading(raw.get()),
            raw: None,
        })
        .collect();
    let verdicts = judge(&state, &device, origin, incoming).await?;
    let mut accepted = Vec::with_capacity(verdicts.len());
    let mut refused = Vec::new();
    // Where each reading went: Ok(index into accepted) or Err(index into refused).
    let mut slots = Vec::with_capacity(verdicts.len());
    let mut warnings = Vec::with_capacity(verdicts.len());
    for verdict in verdicts {
        match verdict {
            Verdict::Take {
                accepted: a,
                warnings: w,
            } => {
                slots.push(Ok(accepted.len()));
                accepted.push(a);
                warnings.push(w);
            }
            Verdict::Refuse(r) => {
                slots.push(Err(refused.len()));
                refused.push(r);
                warnings.push(Vec::new());
            }
        }
    }
    let accepted_ids: Vec<String> = accepted.iter().map(|a| a.reading_id.clone()).collect();
    let statuses = state
        .intake
        .submit(origin, accepted, &refused)
        .await
        .map_err(|e| Rejection::Unavailable("the event stream", e.into()))?;
    let mut response = BatchResponse {
        accepted: 0,
        duplicates: 0,
        rejected: refused.len(),
        results: Vec::with_capacity(slots.len()),
    };
    for (index, (slot, warnings)) in slots.into_iter().zip(warnings).enumerate() {
        let item = match slot {
            Ok(i) => {
                let status = statuses.get(i).copied().unwrap_or(Status::Duplicate);
                match status {
                    Status::Accepted => response.accepted += 1,
                    _ => response.duplicates += 1,
                }
                BatchItem {
                    index,
                    reading_id: Some(accepted_ids[i].clone()),
                    status,
                    problems: Vec::new(),
                    warnings,
                }
            }
            Err(i) => BatchItem {
                index,
                reading_id: refused[i].reading_id.clone(),
                status: Status::Rejected,
                problems: std::mem::take(&mut refused[i].problems),
                warnings,
            },
        };
        response.results.push(item);
    }
    state.metrics.accepted.increment(response.accepted as u64);
    state
        .metrics
        .duplicate
        .increment(response.duplicates as u64);
    state.metrics.rejected.increment(response.rejected as u64);
    Ok(Json(response))
}

/// Ingest OBD-II mode-01 PIDs (SAE J1979), decoded into a canonical reading.
#[utoipa::path(post, path = "/v1/telemetry/obd2", tag = "telemetry",
    request_body = obd2::Obd2Request,
    security(("device_key" = [])),
    responses(
        (status = 202, description = "Accepted (or an earlier duplicate)", body = IngestResponse),
        (status = 401, description = "Missing or unknown device key", body = shared_runtime::http::ErrorBody),
        (status = 422, description = "Undecodable or invalid; every problem listed"),
        (status = 503, description = "Event stream or vehicle registry unavailable; nothing accepted, retry"),
    ))]
pub async fn ingest_obd2(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
    correlation: CorrelationId,
    body: Bytes,
) -> Result<(StatusCode, Json<IngestResponse>), ApiError> {
    let incoming = adapted(&body, obd2::decode)?;
    let origin = origin(&device, Protocol::Obd2, correlation);
    ingest_single(&state, &device, origin, incoming).await
}

/// Ingest J1939 CAN frames (PGN/SPN decoding, DM1 faults), decoded into a canonical
/// reading.
#[utoipa::path(post, path = "/v1/telemetry/j1939", tag = "telemetry",
    request_body = j1939::J1939Request,
    security(("device_key" = [])),
    responses(
        (status = 202, description = "Accepted (or an earlier duplicate)", body = IngestResponse),
        (status = 401, description = "Missing or unknown device key", body = shared_runtime::http::ErrorBody),
        (status = 422, description = "Undecodable or invalid; every problem listed"),
        (status = 503, description = "Event stream or vehicle registry unavailable; nothing accepted, retry"),
    ))]
pub async fn ingest_j1939(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
    correlation: CorrelationId,
    body: Bytes,
) -> Result<(StatusCode, Json<IngestResponse>), ApiError> {
    let incoming = adapted(&body, j1939::decode)?;
    let origin = origin(&device, Protocol::J1939, correlation);
    ingest_single(&state, &device, origin, incoming).await
}

/// Ingest a flat JSON object from a device that cannot send the canonical form:
/// aliases and unit suffixes (`_f`, `_psi`, `_mph`, `_mi`…) are normalized.
#[utoipa::path(post, path = "/v1/telemetry/generic", tag = "telemetry",
    request_body = Object,
    security(("device_key" = [])),
    responses(
        (status = 202, description = "Accepted (or an earlier duplicate)", body = IngestResponse),
        (status = 401, description = "Missing or unknown device key", body = shared_runtime::http::ErrorBody),
        (status = 422, description = "Not normalizable or invalid; every problem listed"),
        (status = 503, description = "Event stream or vehicle registry unavailable; nothing accepted, retry"),
    ))]
pub async fn ingest_generic(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
    correlation: CorrelationId,
    body: Bytes,
) -> Result<(StatusCode, Json<IngestResponse>), ApiError> {
    let incoming = adapted(&body, generic::normalize)?;
    let origin = origin(&device, Protocol::GenericJson, correlation);
    ingest_single(&state, &device, origin, incoming).await
}
