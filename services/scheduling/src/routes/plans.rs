//! Batch re-planning (`POST /v1/plans/optimize`, `GET /v1/plans/{id}`,
//! `POST /v1/plans/{id}/commit`) and preventive-maintenance plans
//! (`/v1/maintenance-plans`).

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use shared_runtime::auth::{Auth, Role};
use shared_runtime::http::{ApiJson, ApiPath};
use shared_runtime::openapi::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use utoipa::ToSchema;
use uuid::Uuid;

use super::scope::org_of;
use crate::domain::replan::{Committed, Replan};
use crate::error::ApiError;
use crate::state::AppState;

const MANAGERS: [Role; 2] = [Role::Admin, Role::FleetManager];

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/plans/optimize", post(optimize))
        .route("/v1/plans/{id}", get(one))
        .route("/v1/plans/{id}/commit", post(commit))
        .merge(super::maintenance::router())
}

/// Whose jobs to re-plan.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptimizeRequest {
    /// Organization (admins must give it; fleet managers: their own).
    pub org_id: Option<String>,
}

/// Re-plans every open job (pending or proposed) of the organization at once with the
/// batch optimizer, around the existing bookings. Nothing is booked until the plan is
/// committed.
#[utoipa::path(post, path = "/v1/plans/optimize", tag = "plans",
    request_body = OptimizeRequest,
    security(("bearer" = [])),
    responses((status = 200, body = Replan), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn optimize(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiJson(body): ApiJson<OptimizeRequest>,
) -> Result<Json<Replan>, ApiError> {
    c.require(&MANAGERS)?;
    let org = org_of(&c, body.org_id.as_deref())?;
    Ok(Json(state.booker.optimize(&org, &c.sub).await?))
}

/// A stored plan.
#[utoipa::path(get, path = "/v1/plans/{id}", tag = "plans",
    params(("id" = Uuid, Path, description = "Plan id")),
    security(("bearer" = [])),
    responses((status = 200, body = Replan), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn one(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Replan>, ApiError> {
    c.require(&[Role::Admin, Role::FleetManager, Role::Support])?;
    state
        .booker
        .stored_plan(id, c.org_scope())
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no plan {id}")))
}

/// Books the plan's assignments; a job whose slot went meanwhile (or that was booked
/// another way) is skipped and stays open. A plan is committed once.
#[utoipa::path(post, path = "/v1/plans/{id}/commit", tag = "plans",
    params(("id" = Uuid, Path, description = "Plan id")),
    security(("bearer" = [])),
    responses((status = 200, body = Committed), (status = 409, description = "Committed already"),
        BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn commit(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Committed>, ApiError> {
    c.require(&MANAGERS)?;
    let plan = state
        .booker
        .stored_plan(id, c.org_scope())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no plan {id}")))?;
    Ok(Json(state.booker.commit(&plan, &c.sub).await?))
}
