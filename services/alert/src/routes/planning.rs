//! `GET /v1/planning-items` (maintenance to plan, from `plan` decisions) and
//! `GET /v1/digests` (the planning digests sent to fleet managers).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shared_runtime::auth::{Auth, AuthError, Claims, Role};
use shared_runtime::http::ApiQuery;
use shared_runtime::openapi::responses::{BadRequest, Forbidden, Unauthorized};
use shared_schemas::events::Component;
use shared_schemas::ids::check_org_id;
use utoipa::{IntoParams, ToSchema};

use crate::db::digests::{self, Digest};
use crate::db::listing::{Page, Scope};
use crate::db::planning::{self, Filter};
use crate::domain::planning::PlanningItem;
use crate::error::ApiError;
use crate::routes::alerts::{cursor, next_cursor, page_size, parse_filter};
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/planning-items", get(list_items))
        .route("/v1/digests", get(list_digests))
}

/// Filters and paging of planning items.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ItemsQuery {
    /// One vehicle.
    pub vehicle_id: Option<String>,
    /// A component: `engine_oil`, `cooling`, `dpf`, `scr_def`, `brakes`, `battery`,
    /// `transmission` or `tires`.
    pub component: Option<String>,
    /// Organization (admins and services; others see their own and may only name it).
    pub org_id: Option<String>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u32>,
}

/// A page of planning items, most recently updated first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanningItemPage {
    /// The items.
    pub items: Vec<PlanningItem>,
    /// Pass as `cursor` for the next page (absent on the last).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Filter and paging of digests.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DigestsQuery {
    /// Organization (admins; fleet managers and support see their own and may only
    /// name it).
    pub org_id: Option<String>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u32>,
}

/// A page of digest records, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DigestPage {
    /// The digests.
    pub digests: Vec<Digest>,
    /// Pass as `cursor` for the next page (absent on the last).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The organization a caller's list is limited to (`None`: all): admins and services
/// any they name; everyone else their own, and naming another is refused.
fn org_filter(claims: &Claims, requested: Option<&str>) -> Result<Option<String>, ApiError> {
    if let Some(o) = requested {
        check_org_id(o).map_err(|m| ApiError::BadRequest(format!("`org_id` {m}")))?;
    }
    match (claims.org_scope(), requested) {
        (None, r) => Ok(r.map(str::to_owned)),
        (Some(own), Some(o)) if o != own => Err(ApiError::Auth(AuthError::Forbidden(format!(
            "you see organization {own}, not {o}"
        )))),
        (Some(own), _) => Ok(Some(own.to_owned())),
    }
}

/// Maintenance to plan (routine wear at the vehicle's normal pace, from the agent's
/// `plan` decisions; not faults, not alerts), scoped like alerts: the caller's
/// organization, owners their vehicles, admins and services everything. Most recently
/// updated first.
#[utoipa::path(get, path = "/v1/planning-items", tag = "planning", params(ItemsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = PlanningItemPage),
        BadRequest,
        Unauthorized,
        (status = 403, description = "Another organization named", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn list_items(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiQuery(q): ApiQuery<ItemsQuery>,
) -> Result<Json<PlanningItemPage>, ApiError> {
    let org = org_filter(&claims, q.org_id.as_deref())?;
    if let Some(c) = q.component.as_deref() {
        parse_filter::<Component>(
            "component",
            c,
            "engine_oil, cooling, dpf, scr_def, brakes, battery, transmission or tires",
        )?;
    }
    let limit = page_size(q.limit)?;
    let before = q.cursor.as_deref().map(cursor).transpose()?;
    let owner_vehicles = (claims.role == Role::Owner).then_some(&claims.vehicle_ids[..]);
    let items = planning::list(
        &state.db,
        &Filter {
            scope: Scope {
                org_id: org.as_deref(),
                vehicle_ids: owner_vehicles,
                vehicle_id: q.vehicle_id.as_deref(),
            },
            component: q.component.as_deref(),
            page: Page { before, limit },
        },
    )
    .await?;
    let next_cursor = (items.len() as i64 == limit)
        .then(|| items.last().map(|i| next_cursor(i.updated_at, i.item_id)))
        .flatten();
    Ok(Json(PlanningItemPage { items, next_cursor }))
}

/// The planning digests planned for the organization's fleet managers: period, items
/// listed, status (`sent`, or `skipped` with the reason), attempts. Admins, fleet
/// managers and support (read-only).
#[utoipa::path(get, path = "/v1/digests", tag = "planning", params(DigestsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = DigestPage),
        BadRequest,
        Unauthorized,
        Forbidden,
    ))]
pub async fn list_digests(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiQuery(q): ApiQuery<DigestsQuery>,
) -> Result<Json<DigestPage>, ApiError> {
    claims.require(&[Role::Admin, Role::FleetManager, Role::Support])?;
    let org = org_filter(&claims, q.org_id.as_deref())?;
    let limit = page_size(q.limit)?;
    let before = q.cursor.as_deref().map(cursor).transpose()?;
    let rows = digests::list(&state.db, org.as_deref(), Page { before, limit }).await?;
    let next_cursor = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|d| next_cursor(d.created_at, d.digest_id)))
        .flatten();
    Ok(Json(DigestPage {
        digests: rows,
        next_cursor,
    }))
}
