//! The reviewers' side: `GET /v1/reviews` (the queue), `POST /v1/claims/{id}/decision`,
//! `/pay` and `/close`: admins and the organization's fleet managers.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use shared_runtime::auth::{Auth, Claims, Role};
use shared_runtime::http::{ApiJson, ApiPath, ApiQuery};
use shared_runtime::openapi::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use utoipa::IntoParams;
use uuid::Uuid;

use super::claims::visible;
use super::scope::limit;
use crate::db::claims::{self as db, Filter, StoredClaim};
use crate::domain::claim_status::ClaimStatus;
use crate::error::ApiError;
use crate::pipeline::review::Decision;
use crate::state::AppState;

/// Who reviews, pays and closes.
const REVIEWERS: [Role; 2] = [Role::Admin, Role::FleetManager];

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/reviews", get(queue))
        .route("/v1/claims/{id}/decision", post(decide))
        .route("/v1/claims/{id}/pay", post(pay))
        .route("/v1/claims/{id}/close", post(close))
}

/// The queue's size.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    /// Most claims (1 to 500, default 100).
    pub limit: Option<i64>,
}

/// Claims waiting for a reviewer, oldest first.
#[utoipa::path(get, path = "/v1/reviews", tag = "reviews", params(QueueQuery),
    security(("bearer" = [])),
    responses((status = 200, body = [StoredClaim]), BadRequest, Unauthorized, Forbidden))]
pub async fn queue(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> Result<Json<Vec<StoredClaim>>, ApiError> {
    c.require(&REVIEWERS)?;
    let filter = Filter {
        org: c.org_scope(),
        vehicles: None,
        status: Some(ClaimStatus::NeedsReview),
        limit: limit(q.limit)?,
        oldest_first: true,
    };
    let mut conn = state.db.acquire().await?;
    Ok(Json(db::list(&mut conn, &filter).await?))
}

async fn reviewed(state: &AppState, c: &Claims, id: Uuid) -> Result<StoredClaim, ApiError> {
    c.require(&REVIEWERS)?;
    visible(state, c, id).await
}

async fn fresh(state: &AppState, c: &Claims, id: Uuid) -> Result<Json<StoredClaim>, ApiError> {
    let mut s = visible(state, c, id).await?;
    let mut conn = state.db.acquire().await?;
    s.transitions = db::transitions(&mut conn, id).await?;
    Ok(Json(s))
}

/// A reviewer approves or rejects a claim in review; the decision, its note and who
/// made it are kept, and become a training label.
#[utoipa::path(post, path = "/v1/claims/{id}/decision", tag = "reviews",
    params(("id" = Uuid, Path)), request_body = Decision, security(("bearer" = [])),
    responses((status = 200, body = StoredClaim),
        (status = 409, description = "Not waiting for review, or not covered"),
        BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn decide(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(d): ApiJson<Decision>,
) -> Result<Json<StoredClaim>, ApiError> {
    let claim = reviewed(&state, &c, id).await?;
    state.desk.review(&claim, &d, &c.sub).await?;
    fresh(&state, &c, id).await
}

/// Marks an approved claim paid.
#[utoipa::path(post, path = "/v1/claims/{id}/pay", tag = "reviews",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = StoredClaim), (status = 409, description = "Not approved"),
        Unauthorized, Forbidden, NotFound))]
pub async fn pay(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<StoredClaim>, ApiError> {
    let claim = reviewed(&state, &c, id).await?;
    state.desk.settle(&claim, ClaimStatus::Paid, &c.sub).await?;
    fresh(&state, &c, id).await
}

/// Closes a decided (or paid) claim.
#[utoipa::path(post, path = "/v1/claims/{id}/close", tag = "reviews",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = StoredClaim), (status = 409, description = "Not decided yet"),
        Unauthorized, Forbidden, NotFound))]
pub async fn close(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<StoredClaim>, ApiError> {
    let claim = reviewed(&state, &c, id).await?;
    state
        .desk
        .settle(&claim, ClaimStatus::Closed, &c.sub)
        .await?;
    fresh(&state, &c, id).await
}
