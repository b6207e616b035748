//! Technicians of a center: `POST/GET /v1/technicians`,
//! `GET/PUT /v1/technicians/{technician_id}`. A technician belongs to their center's
//! organization; who may see or change one follows from their center.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use shared_runtime::auth::{Auth, Claims, Role};
use shared_runtime::http::{ApiJson, ApiPath, ApiQuery};
use shared_runtime::openapi::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db::technicians::{self, Technician, TechnicianFilter};
use crate::domain::center::{Center, Shift, ShiftView, check_skills, parse_shifts};
use crate::error::ApiError;
use crate::routes::centers::{Access, center_for, may, own_centers};
use crate::routes::scope::acting_org;
use crate::state::AppState;

/// Most days off one technician may list.
const MAX_DAYS_OFF: usize = 1_000;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/technicians", get(list).post(create))
        .route("/v1/technicians/{technician_id}", get(one).put(put))
}

/// A technician to create, or their editable fields to replace.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TechnicianInput {
    /// The center they work at (one of the caller's organization; it sets theirs).
    pub center_id: Uuid,
    /// Display name (1–200 characters).
    pub name: String,
    /// Email address.
    pub email: Option<String>,
    /// The platform user (JWT `sub`) they log in as.
    pub user_id: Option<String>,
    /// At least one of engine, electrical, brakes, transmission, aftertreatment, tires,
    /// general.
    pub skills: Vec<String>,
    /// Weekly shifts UTC on the 30-minute grid, not overlapping on a weekday; a shift
    /// crossing midnight is two entries.
    pub shifts: Vec<ShiftView>,
    /// Days they do not work (`YYYY-MM-DD`).
    #[serde(default)]
    #[schema(value_type = Vec<String>, example = json!(["2026-12-24"]))]
    pub days_off: Vec<NaiveDate>,
    /// `false` takes them off new work (default true).
    pub active: Option<bool>,
}

/// Checks what does not need the database; returns the shifts in minutes.
fn validate(t: &TechnicianInput) -> Result<Vec<Shift>, ApiError> {
    let bad = |m: String| Err(ApiError::BadRequest(m));
    let name = t.name.trim().chars().count();
    if name == 0 || name > 200 {
        return bad("`name` must be 1 to 200 characters".to_owned());
    }
    if let Some(e) = &t.email {
        let (local, domain) = e.split_once('@').unwrap_or_default();
        if local.is_empty()
            || !domain.contains('.')
            || e.len() > 254
            || e.contains(char::is_whitespace)
        {
            return bad(format!("`email` {e:?} is not an email address"));
        }
    }
    if t.user_id
        .as_ref()
        .is_some_and(|u| u.trim().is_empty() || u.chars().count() > 200)
    {
        return bad("`user_id` must be 1 to 200 characters".to_owned());
    }
    if t.days_off.len() > MAX_DAYS_OFF {
        return bad(format!(
            "`days_off` has {} dates; at most {MAX_DAYS_OFF}",
            t.days_off.len()
        ));
    }
    check_skills("skills", &t.skills, true).map_err(ApiError::BadRequest)?;
    parse_shifts(&t.shifts).map_err(ApiError::BadRequest)
}

/// The center a technician is to work at, if the caller manages it (else 400 naming
/// `center_id`: an unknown center and another organization's read the same).
async fn workplace(state: &AppState, claims: &Claims, center_id: Uuid) -> Result<Center, ApiError> {
    match center_for(state, claims, center_id, Access::Manage).await {
        Err(ApiError::NotFound(_)) => Err(ApiError::BadRequest(format!(
            "`center_id` {center_id} is not a center of your organization"
        ))),
        other => other,
    }
}

fn build(id: Uuid, org_id: String, input: TechnicianInput, shifts: Vec<Shift>) -> Technician {
    let mut days_off = input.days_off;
    days_off.sort_unstable();
    days_off.dedup();
    let now = Utc::now();
    Technician {
        id,
        org_id,
        center_id: input.center_id,
        name: input.name.trim().to_owned(),
        email: input.email,
        user_id: input.user_id,
        skills: input.skills,
        shifts,
        days_off,
        active: input.active.unwrap_or(true),
        created_at: now,
        updated_at: now,
    }
}

/// The technician if the caller may `access` them (through their center), else 404.
async fn technician_for(
    state: &AppState,
    claims: &Claims,
    id: Uuid,
    access: Access,
) -> Result<Technician, ApiError> {
    claims.require(access.roles())?;
    technicians::get(&state.db, id)
        .await?
        .filter(|t| may(claims, &t.org_id, t.center_id, access))
        .ok_or_else(|| ApiError::NotFound(format!("no technician {id}")))
}

/// Filter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Organization (admins and services: any, or all when absent; others their own).
    pub org_id: Option<String>,
    /// One center's technicians.
    pub center_id: Option<Uuid>,
}

/// Adds a technician to a center (admins and fleet managers).
#[utoipa::path(post, path = "/v1/technicians", tag = "technicians",
    request_body = TechnicianInput, security(("bearer" = [])),
    responses((status = 201, body = Technician), BadRequest, Unauthorized, Forbidden))]
pub async fn create(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiJson(input): ApiJson<TechnicianInput>,
) -> Result<(StatusCode, Json<Technician>), ApiError> {
    claims.require(Access::Manage.roles())?;
    let shifts = validate(&input)?;
    let center = workplace(&state, &claims, input.center_id).await?;
    let t = build(Uuid::now_v7(), center.org_id, input, shifts);
    Ok((
        StatusCode::CREATED,
        Json(technicians::upsert(&state.db, &t).await?),
    ))
}

/// The technicians the caller may see (staff of their organization; technicians those
/// of their own centers), by center and name.
#[utoipa::path(get, path = "/v1/technicians", tag = "technicians", params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = [Technician]), BadRequest, Unauthorized, Forbidden))]
pub async fn list(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<Technician>>, ApiError> {
    claims.require(Access::Staff.roles())?;
    let org = acting_org(&claims, q.org_id.as_deref(), false)?;
    let own = (claims.role == Role::Technician).then(|| own_centers(&claims));
    let filter = TechnicianFilter {
        org_id: org.as_deref(),
        center_id: q.center_id,
        center_ids: own.as_deref(),
    };
    Ok(Json(technicians::list(&state.db, filter).await?))
}

/// One technician.
#[utoipa::path(get, path = "/v1/technicians/{technician_id}", tag = "technicians",
    params(("technician_id" = Uuid, Path, description = "Technician id")),
    security(("bearer" = [])),
    responses((status = 200, body = Technician), Unauthorized, Forbidden, NotFound))]
pub async fn one(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiPath(technician_id): ApiPath<Uuid>,
) -> Result<Json<Technician>, ApiError> {
    Ok(Json(
        technician_for(&state, &claims, technician_id, Access::Staff).await?,
    ))
}

/// Replaces a technician's editable fields (admins and fleet managers); they may move
/// to another center of the same organization.
#[utoipa::path(put, path = "/v1/technicians/{technician_id}", tag = "technicians",
    params(("technician_id" = Uuid, Path, description = "Technician id")),
    request_body = TechnicianInput, security(("bearer" = [])),
    responses((status = 200, body = Technician), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn put(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiPath(technician_id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<TechnicianInput>,
) -> Result<Json<Technician>, ApiError> {
    let existing = technician_for(&state, &claims, technician_id, Access::Manage).await?;
    let shifts = validate(&input)?;
    let center = workplace(&state, &claims, input.center_id).await?;
    if center.org_id != existing.org_id {
        return Err(ApiError::BadRequest(format!(
            "`center_id` {} is not a center of organization {}",
            input.center_id, existing.org_id
        )));
    }
    let t = build(technician_id, existing.org_id, input, shifts);
    Ok(Json(technicians::upsert(&state.db, &t).await?))
}
