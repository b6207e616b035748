//! `POST /v1/telemetry…`: readings in, per protocol.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;
use shared_runtime::http::{CorrelationId, check_json};
use shared_schemas::events::telemetry::Problem;
use shared_schemas::telemetry::{Protocol, TelemetryReading};
use utoipa::ToSchema;

use crate::device_auth::DeviceAuth;
use crate::domain::{generic, j1939, obd2, parse};
use crate::error::{ApiError, Rejection};
use crate::pipeline::{Origin, Status, batch_scope};
use crate::state::AppState;

mod batch;
pub(crate) mod judge;

use batch::Sorted;
pub use batch::{BatchItem, BatchRequest, BatchResponse};
use judge::{Incoming, ingest_single, judge, origin};

/// Largest request body: a full batch of verbose readings.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// The telemetry routes: every reading they accept or refuse becomes an event.
pub const ROUTES: &[&str] = &[
    "/v1/telemetry",
    "/v1/telemetry/batch",
    "/v1/telemetry/obd2",
    "/v1/telemetry/j1939",
    "/v1/telemetry/generic",
];

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
        (status = 429, description = "Backfill (recorded more than INGESTION_BACKFILL_AFTER_S ago) while the backlog is over INGESTION_BACKFILL_MAX_BACKLOG: not accepted, retry after `Retry-After`", body = shared_runtime::http::ErrorBody),
        (status = 503, description = "Event stream or vehicle registry unavailable, or `stream_full` (a consumer group is close to losing readings to the trim): nothing accepted, retry after `Retry-After`"),
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
        (status = 200, description = "Per-reading results; with `Retry-After` when backfill readings were `deferred`", body = BatchResponse),
        (status = 400, description = "Not a batch (malformed JSON, no `readings`, empty)", body = shared_runtime::http::ErrorBody),
        (status = 401, description = "Missing or unknown device key", body = shared_runtime::http::ErrorBody),
        (status = 413, description = "More readings than INGESTION_MAX_BATCH", body = shared_runtime::http::ErrorBody),
        (status = 429, description = "Every valid reading is backfill (recorded more than INGESTION_BACKFILL_AFTER_S ago) and the backlog is over INGESTION_BACKFILL_MAX_BACKLOG: nothing accepted, retry after `Retry-After`", body = shared_runtime::http::ErrorBody),
        (status = 503, description = "Event stream or vehicle registry unavailable, or `stream_full` (a consumer group is close to losing readings to the trim): nothing accepted, retry after `Retry-After`"),
    ))]
pub async fn ingest_batch(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
    correlation: CorrelationId,
    body: Bytes,
) -> Result<(HeaderMap, Json<BatchResponse>), ApiError> {
    refuse_when_full(&state)?;
    let batch = BatchRequest::read(&body, state.max_batch)?;
    let scope = batch
        .batch_id
        .as_deref()
        .map(|id| batch_scope(&device.org_id, id));
    let origin = Origin {
        batch_scope: scope.as_deref(),
        ..origin(&device, Protocol::Canonical, correlation)
    };
    let mut sorted = Sorted::from(judge(&state, &device, origin, batch.incoming()).await?);
    let retry_after = state.backlog.defer_backfill();
    let deferred = match retry_after {
        Some(retry_after_s) => {
            let deferred = sorted.defer_backfill();
            if deferred > 0 && sorted.accepted.is_empty() && sorted.refused.is_empty() {
                state.metrics.deferred.increment(deferred as u64);
                return Err(Rejection::Backlogged {
                    backlog: state.backlog.entries(),
                    retry_after_s,
                }
                .into());
            }
            deferred
        }
        None => 0,
    };
    let statuses = state
        .intake
        .submit(
            origin,
            std::mem::take(&mut sorted.accepted),
            &sorted.refused,
        )
        .await
        .map_err(|e| Rejection::Unavailable("the event stream", e.into()))?;
    let response = sorted.answer(&statuses);
    state.metrics.accepted.increment(response.accepted as u64);
    state
        .metrics
        .duplicate
        .increment(response.duplicates as u64);
    state.metrics.rejected.increment(response.rejected as u64);
    state.metrics.deferred.increment(deferred as u64);
    let mut headers = HeaderMap::new();
    if let (Some(seconds), true) = (retry_after, deferred > 0) {
        headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    Ok((headers, Json(response)))
}

/// Ingest OBD-II mode-01 PIDs (SAE J1979), decoded into a canonical reading.
#[utoipa::path(post, path = "/v1/telemetry/obd2", tag = "telemetry",
    request_body = obd2::Obd2Request,
    security(("device_key" = [])),
    responses(
        (status = 202, description = "Accepted (or an earlier duplicate)", body = IngestResponse),
        (status = 401, description = "Missing or unknown device key", body = shared_runtime::http::ErrorBody),
        (status = 422, description = "Undecodable or invalid; every problem listed"),
        (status = 429, description = "Backfill (recorded more than INGESTION_BACKFILL_AFTER_S ago) while the backlog is over INGESTION_BACKFILL_MAX_BACKLOG: not accepted, retry after `Retry-After`", body = shared_runtime::http::ErrorBody),
        (status = 503, description = "Event stream or vehicle registry unavailable, or `stream_full` (a consumer group is close to losing readings to the trim): nothing accepted, retry after `Retry-After`"),
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
        (status = 429, description = "Backfill (recorded more than INGESTION_BACKFILL_AFTER_S ago) while the backlog is over INGESTION_BACKFILL_MAX_BACKLOG: not accepted, retry after `Retry-After`", body = shared_runtime::http::ErrorBody),
        (status = 503, description = "Event stream or vehicle registry unavailable, or `stream_full` (a consumer group is close to losing readings to the trim): nothing accepted, retry after `Retry-After`"),
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
        (status = 429, description = "Backfill (recorded more than INGESTION_BACKFILL_AFTER_S ago) while the backlog is over INGESTION_BACKFILL_MAX_BACKLOG: not accepted, retry after `Retry-After`", body = shared_runtime::http::ErrorBody),
        (status = 503, description = "Event stream or vehicle registry unavailable, or `stream_full` (a consumer group is close to losing readings to the trim): nothing accepted, retry after `Retry-After`"),
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

/// Refuses the request while some group is too far behind to keep what it would take
/// (see [`crate::backlog`]).
pub(super) fn refuse_when_full(state: &AppState) -> Result<(), Rejection> {
    match state.backlog.refuse_all() {
        Some((lag, retry_after_s)) => {
            state.metrics.full_refusals.increment(1);
            Err(Rejection::StreamFull { lag, retry_after_s })
        }
        None => Ok(()),
    }
}
