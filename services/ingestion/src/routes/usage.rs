//! `GET /v1/vehicles/{vehicle_id}/telemetry/daily`: a vehicle's use per day (readings,
//! odometer, km driven), e.g. to see whether it was off the road after a breakdown.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shared_runtime::auth::Auth;
use shared_runtime::http::{ApiPath, ApiQuery};
use shared_runtime::openapi::responses::Unauthorized;
use utoipa::{IntoParams, ToSchema};

use super::readings::{no_telemetry, scope};
use crate::db::readings::{self, DayRow};
use crate::error::ApiError;
use crate::state::AppState;

/// The longest range one request may cover, days.
const MAX_DAYS: i64 = 366;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/v1/vehicles/{vehicle_id}/telemetry/daily", get(daily))
}

/// One UTC day of a vehicle's readings.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayUsage {
    /// The day.
    pub day: NaiveDate,
    /// Readings received for that day.
    pub readings: i64,
    /// The day's last odometer, km (absent: no reading carried one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub odometer_km: Option<f64>,
    /// Km driven: the day's last odometer less the last one of the nearest earlier day
    /// within a week (absent: no such day). Negative after a rollback or a reset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
}

impl From<DayRow> for DayUsage {
    fn from(r: DayRow) -> Self {
        Self {
            day: r.day,
            readings: r.readings,
            odometer_km: r.odometer_km,
            distance_km: r.distance_km,
        }
    }
}

/// Day range.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DailyQuery {
    /// First day (inclusive); default 30 days before `to`.
    pub from: Option<NaiveDate>,
    /// Last day (inclusive); default today (UTC).
    pub to: Option<NaiveDate>,
}

/// A vehicle's readings summed per UTC day, oldest first; days without readings are
/// left out. 404 when the caller sees no reading of the vehicle at all.
#[utoipa::path(get, path = "/v1/vehicles/{vehicle_id}/telemetry/daily", tag = "history",
    params(("vehicle_id" = String, Path, description = "Vehicle id"), DailyQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<DayUsage>),
        (status = 400, description = "Bad range", body = shared_runtime::http::ErrorBody),
        Unauthorized,
        (status = 404, description = "Not visible to the caller", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn daily(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(vehicle_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<DailyQuery>,
) -> Result<Json<Vec<DayUsage>>, ApiError> {
    let to = q.to.unwrap_or_else(|| Utc::now().date_naive());
    let from = q.from.unwrap_or(to - Duration::days(30));
    if from > to || (to - from).num_days() >= MAX_DAYS {
        return Err(ApiError::BadRequest(format!(
            "`from` ({from}) must be on or before `to` ({to}) and at most {MAX_DAYS} days earlier"
        )));
    }
    let end = to
        .checked_add_days(chrono::Days::new(1))
        .ok_or_else(|| ApiError::BadRequest(format!("`to` ({to}) is out of range")))?;
    let org = scope(&auth, &vehicle_id)?;
    let rows = readings::daily(&state.db, &vehicle_id, org, from, end).await?;
    if rows.is_empty()
        && readings::latest(&state.db, &vehicle_id, org)
            .await?
            .is_none()
    {
        return Err(no_telemetry(&vehicle_id));
    }
    Ok(Json(rows.into_iter().map(DayUsage::from).collect()))
}
