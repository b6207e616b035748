//! `GET /v1/vehicles/{vehicle_id}/telemetry…`: a vehicle's latest reading and history.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use shared_runtime::auth::{Auth, Role};
use shared_runtime::http::{ApiPath, ApiQuery};
use shared_runtime::openapi::responses::Unauthorized;
use shared_schemas::events::stream_reading::name_signals;
use utoipa::{IntoParams, ToSchema};

use crate::db::readings::{self, StoredReading};
use crate::error::ApiError;
use crate::state::AppState;

const MAX_LIMIT: i64 = 5_000;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/vehicles/{vehicle_id}/telemetry/latest", get(latest))
        .route("/v1/vehicles/{vehicle_id}/telemetry", get(history))
}

/// An audited reading.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadingView {
    /// Protocol it arrived in.
    pub protocol: String,
    /// When ingestion accepted it.
    pub received_at: DateTime<Utc>,
    /// The normalized reading.
    #[schema(value_type = shared_schemas::telemetry::TelemetryReading)]
    pub reading: serde_json::Value,
}

impl From<StoredReading> for ReadingView {
    fn from(r: StoredReading) -> Self {
        let mut reading = r.normalized.0;
        // Stored as the stream carried it, signals by code (ADR 0027).
        name_signals(&mut reading);
        Self {
            protocol: r.protocol,
            received_at: r.received_at,
            reading,
        }
    }
}

/// A page of history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryPage {
    /// Readings, oldest first.
    pub items: Vec<ReadingView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// History query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Start (inclusive, RFC 3339); default 24 h before `to`.
    pub from: Option<DateTime<Utc>>,
    /// End (exclusive, RFC 3339); default now.
    pub to: Option<DateTime<Utc>>,
    /// Page size, 1–5000 (default 500).
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// The organization whose readings of `vehicle_id` the caller may see (`None` = every
/// organization's). Readings stay with the organization whose key sent them, also
/// after the vehicle moves (ADR 0008). An owner asking about another vehicle gets the
/// 404 of a vehicle without readings.
pub(super) fn scope<'a>(auth: &'a Auth, vehicle_id: &str) -> Result<Option<&'a str>, ApiError> {
    let claims = &auth.0;
    if claims.role == Role::Owner && !claims.vehicle_ids.iter().any(|v| v == vehicle_id) {
        return Err(no_telemetry(vehicle_id));
    }
    Ok(claims.org_scope())
}

pub(super) fn no_telemetry(vehicle_id: &str) -> ApiError {
    ApiError::NotFound(format!("no telemetry for vehicle {vehicle_id}"))
}

/// The newest audited reading of a vehicle.
#[utoipa::path(get, path = "/v1/vehicles/{vehicle_id}/telemetry/latest", tag = "history",
    params(("vehicle_id" = String, Path, description = "Vehicle id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ReadingView),
        Unauthorized,
        (status = 404, description = "No readings, or not visible to the caller", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn latest(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(vehicle_id): ApiPath<String>,
) -> Result<Json<ReadingView>, ApiError> {
    let org = scope(&auth, &vehicle_id)?;
    readings::latest(&state.db, &vehicle_id, org)
        .await?
        .map(|r| Json(r.into()))
        .ok_or_else(|| no_telemetry(&vehicle_id))
}

/// A vehicle's audited readings in a time range, oldest first, paged.
#[utoipa::path(get, path = "/v1/vehicles/{vehicle_id}/telemetry", tag = "history",
    params(("vehicle_id" = String, Path, description = "Vehicle id"), HistoryQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = HistoryPage),
        (status = 400, description = "Bad range, limit or cursor", body = shared_runtime::http::ErrorBody),
        Unauthorized,
        (status = 404, description = "No readings, or not visible to the caller", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn history(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(vehicle_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<Json<HistoryPage>, ApiError> {
    let to = q.to.unwrap_or_else(Utc::now);
    let from = q.from.unwrap_or(to - Duration::hours(24));
    if from >= to {
        return Err(ApiError::BadRequest(format!(
            "`from` ({from}) must be before `to` ({to})"
        )));
    }
    let limit = q.limit.unwrap_or(500);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "`limit` must be 1..={MAX_LIMIT}, got {limit}"
        )));
    }
    let cursor = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let org = scope(&auth, &vehicle_id)?;
    if readings::latest(&state.db, &vehicle_id, org)
        .await?
        .is_none()
    {
        return Err(no_telemetry(&vehicle_id));
    }
    let mut rows =
        readings::history(&state.db, &vehicle_id, org, from, to, cursor, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = more
        .then(|| rows.last().map(|r| encode_cursor(r.recorded_at, r.id)))
        .flatten();
    Ok(Json(HistoryPage {
        items: rows.into_iter().map(ReadingView::from).collect(),
        next_cursor,
    }))
}

fn encode_cursor(at: DateTime<Utc>, id: i64) -> String {
    format!("{}_{id}", at.timestamp_micros())
}

fn decode_cursor(s: &str) -> Result<(DateTime<Utc>, i64), ApiError> {
    let bad = || {
        ApiError::BadRequest(format!(
            "`cursor` {s:?} is not a cursor from a previous page"
        ))
    };
    let (micros, id) = s.split_once('_').ok_or_else(bad)?;
    let at = micros
        .parse()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(bad)?;
    Ok((at, id.parse().map_err(|_| bad())?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        assert_eq!(decode_cursor(&encode_cursor(at, 42)).unwrap(), (at, 42));
        assert!(decode_cursor("nope").is_err());
        assert!(decode_cursor("1_x").is_err());
    }
}
