//! Parts stock of a center: `GET /v1/centers/{center_id}/stock`,
//! `PUT /v1/centers/{center_id}/stock/{part}`.

use axum::extract::State;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;
use shared_runtime::auth::Auth;
use shared_runtime::http::{ApiJson, ApiPath};
use shared_runtime::openapi::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::stock::{self, SetOutcome, StockItem, StockLevel};
use crate::domain::center::check_part;
use crate::error::ApiError;
use crate::routes::centers::{Access, center_for};
use crate::state::AppState;

/// Longest lead time a part may have: a year.
const MAX_LEAD_TIME_HOURS: f64 = 24.0 * 366.0;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/centers/{center_id}/stock", get(list))
        .route("/v1/centers/{center_id}/stock/{part}", put(set))
}

/// A part's level at a center.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockInput {
    /// Units at the center (0 or more, and no fewer than bookings hold).
    pub on_hand: i32,
    /// Hours from ordering until the part is here (0 to 8784); `null` or absent =
    /// cannot be ordered here.
    pub lead_time_hours: Option<f64>,
}

fn validate(part: &str, s: &StockInput) -> Result<StockLevel, ApiError> {
    check_part(part).map_err(|m| ApiError::BadRequest(format!("path parameter `part`: {m}")))?;
    if s.on_hand < 0 {
        return Err(ApiError::BadRequest(format!(
            "`on_hand` must be 0 or more, not {}",
            s.on_hand
        )));
    }
    if s.lead_time_hours
        .is_some_and(|h| !(0.0..=MAX_LEAD_TIME_HOURS).contains(&h))
    {
        return Err(ApiError::BadRequest(format!(
            "`lead_time_hours` must be 0 to {MAX_LEAD_TIME_HOURS}, or null when the part cannot be ordered"
        )));
    }
    Ok(StockLevel {
        on_hand: s.on_hand,
        lead_time_hours: s.lead_time_hours,
    })
}

/// A center's parts, by name (staff of its organization, its technicians, services).
#[utoipa::path(get, path = "/v1/centers/{center_id}/stock", tag = "stock",
    params(("center_id" = Uuid, Path, description = "Center id")),
    security(("bearer" = [])),
    responses((status = 200, body = [StockItem]), Unauthorized, Forbidden, NotFound))]
pub async fn list(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiPath(center_id): ApiPath<Uuid>,
) -> Result<Json<Vec<StockItem>>, ApiError> {
    let center = center_for(&state, &claims, center_id, Access::Staff).await?;
    Ok(Json(stock::list(&state.db, center.id).await?))
}

/// Sets a part's units on hand and lead time at a center (admins and fleet managers);
/// adds the part if the center has none yet. Refused with 409 below what bookings hold.
#[utoipa::path(put, path = "/v1/centers/{center_id}/stock/{part}", tag = "stock",
    params(
        ("center_id" = Uuid, Path, description = "Center id"),
        ("part" = String, Path, description = "Part name: 1-64 characters of a-z, 0-9, `_` and `-`"),
    ),
    request_body = StockInput,
    security(("bearer" = [])),
    responses(
        (status = 200, body = StockItem),
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        (status = 409, description = "Bookings hold more units than the new `on_hand`", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn set(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiPath((center_id, part)): ApiPath<(Uuid, String)>,
    ApiJson(input): ApiJson<StockInput>,
) -> Result<Json<StockItem>, ApiError> {
    let center = center_for(&state, &claims, center_id, Access::Manage).await?;
    let level = validate(&part, &input)?;
    match stock::set(&state.db, center.id, &part, level).await? {
        SetOutcome::Set(item) => Ok(Json(item)),
        SetOutcome::BelowReserved(reserved) => Err(ApiError::Conflict(format!(
            "{reserved} of part {part} are reserved by bookings at this center; \
             `on_hand` cannot go below {reserved} (cancel or complete those bookings first)"
        ))),
    }
}
