//! Service centers: `POST/GET /v1/centers`, `GET/PUT /v1/centers/{center_id}`; and who
//! may see or manage which center (technicians and stock follow their center).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use shared_runtime::auth::{Auth, Claims, Role};
use shared_runtime::http::{ApiJson, ApiPath, ApiQuery};
use shared_runtime::openapi::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db::centers::{self, CenterFilter};
use crate::domain::center::{Center, DayHours, Opening, check_skills, check_week};
use crate::error::ApiError;
use crate::routes::scope::acting_org;
use crate::state::AppState;

/// What a caller wants to do with a center (and its technicians and stock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Read the center itself: owners too, who choose among centers.
    Read,
    /// Read its technicians and stock: staff and services, not owners.
    Staff,
    /// Change it: admins and fleet managers.
    Manage,
}

impl Access {
    /// The roles that may do this at all (others get a 403, not a 404).
    pub(crate) fn roles(self) -> &'static [Role] {
        match self {
            Self::Read => &[
                Role::Admin,
                Role::FleetManager,
                Role::Support,
                Role::Technician,
                Role::Owner,
                Role::Service,
            ],
            Self::Staff => &[
                Role::Admin,
                Role::FleetManager,
                Role::Support,
                Role::Technician,
                Role::Service,
            ],
            Self::Manage => &[Role::Admin, Role::FleetManager],
        }
    }
}

/// The centers a technician works at (JWT `center_ids`; ids that are not UUIDs match
/// nothing).
pub(crate) fn own_centers(claims: &Claims) -> Vec<Uuid> {
    claims
        .center_ids
        .iter()
        .filter_map(|c| c.parse().ok())
        .collect()
}

/// Whether the caller may `access` what belongs to center `center_id` of `org_id`.
pub(crate) fn may(claims: &Claims, org_id: &str, center_id: Uuid, access: Access) -> bool {
    let same_org = claims.org == org_id;
    match claims.role {
        Role::Admin => true,
        Role::Service => access != Access::Manage,
        Role::FleetManager => same_org,
        Role::Support => same_org && access != Access::Manage,
        Role::Technician => {
            same_org && access != Access::Manage && own_centers(claims).contains(&center_id)
        }
        Role::Owner => same_org && access == Access::Read,
    }
}

/// The center if the caller may `access` it: 403 for a role that never may, the same
/// 404 for another organization's center as for an unknown one.
pub(crate) async fn center_for(
    state: &AppState,
    claims: &Claims,
    id: Uuid,
    access: Access,
) -> Result<Center, ApiError> {
    claims.require(access.roles())?;
    centers::get(&state.db, id)
        .await?
        .filter(|c| may(claims, &c.org_id, c.id, access))
        .ok_or_else(|| ApiError::NotFound(format!("no center {id}")))
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/centers", get(list).post(create))
        .route("/v1/centers/{center_id}", get(one).put(put))
}

/// A center to create, or its editable fields to replace.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CenterInput {
    /// Organization (admins must give it; others default to, and must match, their own).
    pub org_id: Option<String>,
    /// Display name (1–200 characters).
    pub name: String,
    /// Postal address (at most 500 characters; default empty).
    #[serde(default)]
    pub address: String,
    /// Latitude, -90 to 90.
    pub lat: f64,
    /// Longitude, -180 to 180.
    pub lon: f64,
    /// Service bays, 1 to 100.
    pub bays: i32,
    /// Exactly seven entries, Monday first: `null` (closed) or `{open, close}` UTC on
    /// the 30-minute grid, `open` before `close` (`24:00` allowed as `close`).
    #[schema(value_type = Vec<Option<DayHours>>)]
    pub hours: Vec<Option<Opening>>,
    /// Skills the center is known for (engine, electrical, brakes, transmission,
    /// aftertreatment, tires, general).
    #[serde(default)]
    pub specializations: Vec<String>,
    /// Takes emergency work (default false).
    #[serde(default)]
    pub emergency: bool,
    /// Rating 0 to 5 (default 4).
    pub rating: Option<f64>,
    /// `false` retires the center (default true).
    pub active: Option<bool>,
}

fn validate(c: &CenterInput) -> Result<(), ApiError> {
    let bad = |m: &str| Err(ApiError::BadRequest(m.to_owned()));
    let name = c.name.trim().chars().count();
    if name == 0 || name > 200 {
        return bad("`name` must be 1 to 200 characters");
    }
    if c.address.chars().count() > 500 {
        return bad("`address` must be at most 500 characters");
    }
    if !(-90.0..=90.0).contains(&c.lat) {
        return bad("`lat` must be between -90 and 90");
    }
    if !(-180.0..=180.0).contains(&c.lon) {
        return bad("`lon` must be between -180 and 180");
    }
    if !(1..=100).contains(&c.bays) {
        return bad("`bays` must be 1 to 100");
    }
    if c.rating.is_some_and(|r| !(0.0..=5.0).contains(&r)) {
        return bad("`rating` must be between 0 and 5");
    }
    check_week(&c.hours).map_err(ApiError::BadRequest)?;
    check_skills("specializations", &c.specializations, false).map_err(ApiError::BadRequest)
}

fn build(id: Uuid, org_id: String, input: CenterInput) -> Center {
    let now = Utc::now();
    Center {
        id,
        org_id,
        name: input.name.trim().to_owned(),
        address: input.address.trim().to_owned(),
        lat: input.lat,
        lon: input.lon,
        bays: input.bays,
        hours: input.hours,
        specializations: input.specializations,
        emergency: input.emergency,
        rating: input.rating.unwrap_or(4.0),
        active: input.active.unwrap_or(true),
        created_at: now,
        updated_at: now,
    }
}

/// Filter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Organization (admins and services: any, or all when absent; others their own).
    pub org_id: Option<String>,
    /// Only centers that take emergency work (`true`) or only those that do not.
    pub emergency: Option<bool>,
}

/// Adds a service center (admins and fleet managers).
#[utoipa::path(post, path = "/v1/centers", tag = "centers", request_body = CenterInput,
    security(("bearer" = [])),
    responses((status = 201, body = Center), BadRequest, Unauthorized, Forbidden))]
pub async fn create(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiJson(input): ApiJson<CenterInput>,
) -> Result<(StatusCode, Json<Center>), ApiError> {
    claims.require(Access::Manage.roles())?;
    validate(&input)?;
    let org = acting_org(&claims, input.org_id.as_deref(), true)?.unwrap_or_default();
    let center = centers::upsert(&state.db, &build(Uuid::now_v7(), org, input)).await?;
    Ok((StatusCode::CREATED, Json(center)))
}

/// The centers the caller may see: their organization's (a technician's own centers),
/// by name; retired ones included, with `active: false`.
#[utoipa::path(get, path = "/v1/centers", tag = "centers", params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = [Center]), BadRequest, Unauthorized, Forbidden))]
pub async fn list(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<Center>>, ApiError> {
    claims.require(Access::Read.roles())?;
    let org = acting_org(&claims, q.org_id.as_deref(), false)?;
    let technician = (claims.role == Role::Technician).then(|| own_centers(&claims));
    let filter = CenterFilter {
        org_id: org.as_deref(),
        ids: technician.as_deref(),
        emergency: q.emergency,
    };
    Ok(Json(centers::list(&state.db, filter).await?))
}

/// One center.
#[utoipa::path(get, path = "/v1/centers/{center_id}", tag = "centers",
    params(("center_id" = Uuid, Path, description = "Center id")),
    security(("bearer" = [])),
    responses((status = 200, body = Center), Unauthorized, Forbidden, NotFound))]
pub async fn one(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiPath(center_id): ApiPath<Uuid>,
) -> Result<Json<Center>, ApiError> {
    Ok(Json(
        center_for(&state, &claims, center_id, Access::Read).await?,
    ))
}

/// Replaces a center's editable fields (admins and fleet managers); `active: false`
/// retires it. The organization cannot change.
#[utoipa::path(put, path = "/v1/centers/{center_id}", tag = "centers",
    params(("center_id" = Uuid, Path, description = "Center id")),
    request_body = CenterInput,
    security(("bearer" = [])),
    responses((status = 200, body = Center), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn put(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiPath(center_id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<CenterInput>,
) -> Result<Json<Center>, ApiError> {
    let existing = center_for(&state, &claims, center_id, Access::Manage).await?;
    validate(&input)?;
    if let Some(org) = input.org_id.as_deref().filter(|o| *o != existing.org_id) {
        return Err(ApiError::BadRequest(format!(
            "`org_id` cannot change ({} to {org}); create a center in the other organization",
            existing.org_id
        )));
    }
    let center = build(center_id, existing.org_id, input);
    Ok(Json(centers::upsert(&state.db, &center).await?))
}
