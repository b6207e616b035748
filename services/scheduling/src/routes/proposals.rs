//! Proposals: the options offered for non-critical work. `GET /v1/proposals`
//! (scoped), `GET /v1/proposals/{id}`, `POST /v1/proposals/{id}/approve`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use shared_runtime::auth::{Auth, Claims, Role};
use shared_runtime::http::{ApiJson, ApiPath, ApiQuery};
use shared_runtime::openapi::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::scope::{PLANNING_READERS, acting_org, can_see, vehicles_in_reach};
use crate::db::proposals;
use crate::domain::appointment::Appointment;
use crate::domain::proposal::Proposal;
use crate::error::{ApiError, ConflictBody};
use crate::pipeline::lifecycle::Choice;
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/proposals", get(list))
        .route("/v1/proposals/{id}", get(one))
        .route("/v1/proposals/{id}/approve", post(approve))
}

async fn visible(state: &AppState, c: &Claims, id: Uuid) -> Result<Proposal, ApiError> {
    let mut conn = state.db.acquire().await?;
    proposals::get(&mut conn, id)
        .await?
        .filter(|p| can_see(c, &p.job.org_id, &p.job.vehicle_id, None))
        .ok_or_else(|| ApiError::NotFound(format!("no proposal {id}")))
}

/// Which proposals.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Organization (admins and services; others see their own).
    pub org_id: Option<String>,
    /// One vehicle.
    pub vehicle_id: Option<String>,
    /// `open` (default), `approved`, `superseded` or `all`.
    pub status: Option<String>,
}

/// Proposals in the caller's scope, newest first: an owner's vehicles, a manager's
/// organization.
#[utoipa::path(get, path = "/v1/proposals", tag = "proposals",
    params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Proposal>), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn list(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<Proposal>>, ApiError> {
    c.require(&PLANNING_READERS)?;
    let status = match q.status.as_deref().unwrap_or("open") {
        "all" => None,
        s @ ("open" | "approved" | "superseded") => Some(s),
        other => {
            return Err(ApiError::BadRequest(format!(
                "status {other:?} is not open, approved, superseded or all"
            )));
        }
    };
    let org = acting_org(&c, q.org_id.as_deref(), false)?;
    let vehicles = vehicles_in_reach(&c, q.vehicle_id.as_ref());
    Ok(Json(
        proposals::list(&state.db, org.as_deref(), vehicles.as_deref(), status).await?,
    ))
}

/// One proposal with its options.
#[utoipa::path(get, path = "/v1/proposals/{id}", tag = "proposals",
    params(("id" = Uuid, Path, description = "Proposal id")),
    security(("bearer" = [])),
    responses((status = 200, body = Proposal), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn one(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Proposal>, ApiError> {
    c.require(&PLANNING_READERS)?;
    Ok(Json(visible(&state, &c, id).await?))
}

/// Which option.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// Index of the option in `options` (0 = best overall).
    pub option: usize,
}

/// Books one of the options (the owner or a manager). An option taken meanwhile
/// answers 409 with the slots free now.
#[utoipa::path(post, path = "/v1/proposals/{id}/approve", tag = "proposals",
    params(("id" = Uuid, Path, description = "Proposal id")),
    request_body = Approval,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Appointment),
        (status = 409, description = "Taken meanwhile, or the proposal is closed", body = ConflictBody),
        BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn approve(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<Approval>,
) -> Result<(StatusCode, Json<Appointment>), ApiError> {
    c.require(&[Role::Admin, Role::FleetManager, Role::Owner])?;
    let p = visible(&state, &c, id).await?;
    if p.status != "open" {
        return Err(ApiError::Conflict(format!(
            "the proposal is {}, not open",
            p.status
        )));
    }
    let option = p.options.get(body.option).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "option must be 0 to {} (the proposal has {} options)",
            p.options.len().saturating_sub(1),
            p.options.len()
        ))
    })?;
    let choice = Choice {
        center_id: option.center_id,
        technician_id: Some(option.technician_id),
        starts_at: option.starts_at,
    };
    let a = state.booker.approve(p.id, p.job, choice, &c.sub).await?;
    Ok((StatusCode::CREATED, Json(a)))
}
