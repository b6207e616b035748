//! `GET /v1/fleet/positions`: every vehicle's newest GPS fix with its overall band, in
//! one answer, for the dashboard's map (one health call per vehicle does not scale to
//! a fleet of 10,000).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_runtime::auth::{Auth, Role};
use shared_runtime::http::ApiQuery;
use shared_runtime::openapi::responses::Unauthorized;
use shared_schemas::events::HealthBand;
use utoipa::{IntoParams, ToSchema};

use crate::db::band_from_str;
use crate::db::vehicles::{self, Scope};
use crate::error::ApiError;
use crate::state::AppState;

/// Most vehicles one answer lists.
const MAX_LIMIT: u32 = 50_000;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/v1/fleet/positions", get(positions))
}

/// Positions query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PositionsQuery {
    /// How many vehicles at most, 1–50,000 (default 20,000), by vehicle id.
    pub limit: Option<u32>,
}

/// A vehicle on the map.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VehiclePosition {
    /// Vehicle.
    pub vehicle_id: String,
    /// Organization.
    pub org_id: String,
    /// Its overall band (absent before its first assessment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overall_band: Option<HealthBand>,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// When the fix was taken.
    pub at: DateTime<Utc>,
}

/// The positions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Positions {
    /// Vehicles with a GPS fix, by id.
    pub vehicles: Vec<VehiclePosition>,
}

/// The newest GPS fix of each of the caller's vehicles (an admin's: every
/// organization's; an owner's: their vehicles) with its overall band.
#[utoipa::path(get, path = "/v1/fleet/positions", tag = "fleet",
    params(PositionsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Positions),
        (status = 400, description = "Bad `limit`", body = shared_runtime::http::ErrorBody),
        Unauthorized,
    ))]
pub async fn positions(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiQuery(q): ApiQuery<PositionsQuery>,
) -> Result<Json<Positions>, ApiError> {
    let limit = q.limit.unwrap_or(20_000);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "`limit` must be 1..={MAX_LIMIT}, got {limit}"
        )));
    }
    let scope = Scope {
        org_id: claims.org_scope(),
        vehicle_ids: (claims.role == Role::Owner).then_some(claims.vehicle_ids.as_slice()),
    };
    let rows = vehicles::positions(&state.db, scope, i64::from(limit)).await?;
    let vehicles = rows
        .into_iter()
        .map(|r| VehiclePosition {
            overall_band: r.overall_band.as_deref().and_then(band_from_str),
            vehicle_id: r.vehicle_id,
            org_id: r.org_id,
            lat: r.lat,
            lon: r.lon,
            at: r.at,
        })
        .collect();
    Ok(Json(Positions { vehicles }))
}
