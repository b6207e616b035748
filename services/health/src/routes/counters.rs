//! `GET /v1/vehicles/{id}/counters/anomalies`: odometer and engine-hours readings that
//! moved more than the vehicle can, with their evidence (ADR 0009).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use shared_runtime::auth::Auth;
use shared_runtime::http::{ApiPath, ApiQuery};
use shared_runtime::openapi::responses::{BadRequest, Unauthorized};
use utoipa::IntoParams;

use crate::db::anomalies::{self, AnomalyRow};
use crate::error::ApiError;
use crate::routes::vehicles::visible;
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/v1/vehicles/{vehicle_id}/counters/anomalies", get(list))
}

/// How many.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AnomalyQuery {
    /// At most this many, newest first (1–500, default 50).
    pub limit: Option<i64>,
}

/// A vehicle's counter anomalies, newest first: resets, rollbacks, unit switches,
/// jumps, spikes and erratic spells of its odometer and engine hours. None of those
/// readings counted as distance.
#[utoipa::path(get, path = "/v1/vehicles/{vehicle_id}/counters/anomalies", tag = "health",
    params(("vehicle_id" = String, Path, description = "Vehicle id"), AnomalyQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = [AnomalyRow]),
        BadRequest,
        Unauthorized,
        (status = 404, description = "Not assessed yet, or not visible to the caller", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(vehicle_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<AnomalyQuery>,
) -> Result<Json<Vec<AnomalyRow>>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::BadRequest("limit must be 1 to 500".to_owned()));
    }
    visible(&state, &auth, &vehicle_id).await?;
    Ok(Json(
        anomalies::of_vehicle(&state.db, &vehicle_id, limit).await?,
    ))
}
