//! The human in the loop: `GET /v1/reviews` (the open escalations, or reviewed ones),
//! `GET /v1/reviews/{decision_id}` (the decision with its evidence), and
//! `POST /v1/reviews/{decision_id}/confirm` or `/override`. Fleet managers (their
//! organization) and admins (every organization).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_runtime::auth::{Auth, Claims, Role};
use shared_runtime::http::{ApiJson, ApiPath, ApiQuery};
use shared_runtime::openapi::responses::{BadRequest, Forbidden, Unauthorized};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db::{decisions, reviews};
use crate::domain::decision::Decision;
use crate::domain::review::{Override, Review, ReviewStatus, check_note};
use crate::error::ApiError;
use crate::events::review::Reviewed;
use crate::state::AppState;

/// Who reviews.
const REVIEWERS: [Role; 2] = [Role::Admin, Role::FleetManager];

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/reviews", get(list))
        .route("/v1/reviews/cases", get(cases))
        .route("/v1/reviews/{decision_id}", get(one))
        .route("/v1/reviews/{decision_id}/confirm", post(confirm))
        .route("/v1/reviews/{decision_id}/override", post(overrule))
}

/// The queue's filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    /// `open` (default), `confirmed`, `overridden` or `all`.
    pub status: Option<String>,
    /// Escalated before this instant (RFC 3339): pass the last page's `next_before`.
    pub before: Option<DateTime<Utc>>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u32>,
}

/// A page of reviews, newest escalation first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewPage {
    /// The reviews.
    pub reviews: Vec<Review>,
    /// Pass as `before` for the next page (absent on the last one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_before: Option<DateTime<Utc>>,
}

/// A review with the decision under review (its evidence included) and, once
/// overridden, the decision that replaced it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewDetail {
    /// The review task.
    pub review: Review,
    /// The agent's decision, as served by `GET /v1/decisions/{id}`.
    pub decision: Decision,
    /// The reviewer's decision that superseded it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replacement: Option<Decision>,
}

/// A confirmation.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    /// Why the decision stands (optional, up to 2000 characters).
    #[serde(default)]
    pub note: Option<String>,
}

fn status_filter(s: Option<&str>) -> Result<Option<ReviewStatus>, ApiError> {
    match s.unwrap_or("open") {
        "all" => Ok(None),
        name => ReviewStatus::parse(name).map(Some).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "unknown status {name:?}; expected open, confirmed, overridden or all"
            ))
        }),
    }
}

/// The caller's organization's escalated decisions awaiting review (every
/// organization's for admins), or with `status` the reviewed ones.
#[utoipa::path(get, path = "/v1/reviews", tag = "reviews",
    params(ReviewQuery),
    security(("bearer" = [])),
    responses((status = 200, body = ReviewPage), BadRequest, Unauthorized, Forbidden))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ReviewQuery>,
) -> Result<Json<ReviewPage>, ApiError> {
    // Who, before what they asked (a bad filter is no business of other roles).
    auth.0.require(&REVIEWERS)?;
    let status = status_filter(q.status.as_deref())?;
    let (reviews, next_before) = page(&state, &auth.0, status, false, q.before, q.limit).await?;
    Ok(Json(ReviewPage {
        reviews,
        next_before,
    }))
}

/// A page of the caller's reviews (after the role check), with the `before` of the
/// next page.
async fn page(
    state: &AppState,
    claims: &Claims,
    status: Option<ReviewStatus>,
    reviewed_only: bool,
    before: Option<DateTime<Utc>>,
    limit: Option<u32>,
) -> Result<(Vec<Review>, Option<DateTime<Utc>>), ApiError> {
    claims.require(&REVIEWERS)?;
    let limit = super::decisions::limit(limit)?;
    let rows = reviews::list(
        &state.db,
        &reviews::Filter {
            org_id: claims.org_scope(),
            status,
            reviewed_only,
            before,
            limit,
        },
    )
    .await?;
    let next_before = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.created_at))
        .flatten();
    Ok((rows, next_before))
}

/// Paging of the labelled cases.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CasesQuery {
    /// Escalated before this instant (RFC 3339): pass the last page's `next_before`.
    pub before: Option<DateTime<Utc>>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u32>,
}

/// One reviewed case: what the agent was given, what it said, and what the reviewer
/// says is right. The agent benchmark scores a diagnoser on a file of these
/// (`agent-bench --reviews`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LabelledCase {
    /// The reviewed decision.
    pub decision_id: Uuid,
    /// The case the agent decided on (the decision's evidence).
    pub case: crate::domain::case::Case,
    /// The agent's severity.
    pub severity: shared_schemas::events::Severity,
    /// The agent's actions (catalog ids).
    pub actions: Vec<String>,
    /// What the reviewer says is right.
    pub label: crate::domain::review::Label,
}

/// A page of labelled cases, newest escalation first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LabelledCases {
    /// The cases.
    pub cases: Vec<LabelledCase>,
    /// Pass as `before` for the next page (absent on the last one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_before: Option<DateTime<Utc>>,
}

/// The reviewed cases of the caller's organization (every organization's for admins)
/// with their labels: the data set the agent benchmark scores on beside the simulated
/// scenarios.
#[utoipa::path(get, path = "/v1/reviews/cases", tag = "reviews",
    params(CasesQuery),
    security(("bearer" = [])),
    responses((status = 200, body = LabelledCases), BadRequest, Unauthorized, Forbidden))]
pub async fn cases(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<CasesQuery>,
) -> Result<Json<LabelledCases>, ApiError> {
    let (rows, next_before) = page(&state, &auth.0, None, true, q.before, q.limit).await?;
    let mut cases = Vec::with_capacity(rows.len());
    for r in rows {
        let (Some(label), Some(d)) = (r.label, decisions::get(&state.db, r.decision_id).await?)
        else {
            continue;
        };
        cases.push(LabelledCase {
            decision_id: d.decision_id,
            severity: d.severity,
            actions: d.actions.iter().map(|a| a.id.clone()).collect(),
            case: d.evidence,
            label,
        });
    }
    Ok(Json(LabelledCases { cases, next_before }))
}

/// The review of `decision_id` and its decision, when the caller may review it.
async fn visible(
    state: &AppState,
    claims: &Claims,
    decision_id: Uuid,
) -> Result<(Review, Decision), ApiError> {
    claims.require(&REVIEWERS)?;
    let missing = || ApiError::NotFound(format!("no review of decision {decision_id}"));
    let review = reviews::get(&state.db, decision_id)
        .await?
        .filter(|r| claims.org_scope().is_none_or(|org| org == r.org_id))
        .ok_or_else(missing)?;
    let decision = decisions::get(&state.db, decision_id)
        .await?
        .ok_or_else(missing)?;
    Ok((review, decision))
}

async fn detail(
    state: &AppState,
    review: Review,
    decision: Decision,
) -> Result<ReviewDetail, ApiError> {
    let replacement = match review.superseded_by {
        Some(id) => decisions::get(&state.db, id).await?,
        None => None,
    };
    Ok(ReviewDetail {
        review,
        decision,
        replacement,
    })
}

/// One review: the escalated decision with its evidence (health figures, trouble codes,
/// tool calls), and the outcome once reviewed.
#[utoipa::path(get, path = "/v1/reviews/{decision_id}", tag = "reviews",
    params(("decision_id" = Uuid, Path, description = "The escalated decision")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ReviewDetail),
        BadRequest,
        Unauthorized,
        Forbidden,
        (status = 404, description = "No review of that decision visible to the caller", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn one(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(decision_id): ApiPath<Uuid>,
) -> Result<Json<ReviewDetail>, ApiError> {
    let (review, decision) = visible(&state, &auth.0, decision_id).await?;
    Ok(Json(detail(&state, review, decision).await?))
}

/// Closes the review of `decision` by the caller (an override when `replacement`).
async fn close(
    state: &AppState,
    claims: &Claims,
    decision: Decision,
    replacement: Option<Decision>,
    note: Option<&str>,
) -> Result<ReviewDetail, ApiError> {
    let outcome = state
        .recorder
        .review(&decision, replacement, &claims.sub, note)
        .await
        .map_err(ApiError::Internal)?;
    match outcome {
        Reviewed::Done(review, replacement) => Ok(ReviewDetail {
            review,
            decision,
            replacement: replacement.map(|d| *d),
        }),
        Reviewed::NotOpen(r) => Err(ApiError::Conflict(format!(
            "decision {} was reviewed already ({})",
            r.decision_id,
            r.status.as_str()
        ))),
        Reviewed::Missing => Err(ApiError::NotFound(format!(
            "no review of decision {}",
            decision.decision_id
        ))),
    }
}

/// Agrees with the agent: the decision stands and the review is kept as a labelled
/// case.
#[utoipa::path(post, path = "/v1/reviews/{decision_id}/confirm", tag = "reviews",
    params(("decision_id" = Uuid, Path, description = "The escalated decision")),
    request_body = ConfirmRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ReviewDetail),
        BadRequest,
        Unauthorized,
        Forbidden,
        (status = 404, description = "No review of that decision visible to the caller", body = shared_runtime::http::ErrorBody),
        (status = 409, description = "Reviewed already", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn confirm(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(decision_id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<ConfirmRequest>,
) -> Result<Json<ReviewDetail>, ApiError> {
    let (_, decision) = visible(&state, &auth.0, decision_id).await?;
    let note = req
        .note
        .as_deref()
        .map(check_note)
        .transpose()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let done = close(&state, &auth.0, decision, None, note.as_deref()).await?;
    Ok(Json(done))
}

/// Overrides the agent: a new decision with the reviewer's severity, actions or
/// diagnosis (cost from the catalog, urgency from the severity, confidence 1) becomes
/// the vehicle component's current decision, announced as `agent.decision.made` with
/// `supersedes`; alerts and scheduling follow it.
#[utoipa::path(post, path = "/v1/reviews/{decision_id}/override", tag = "reviews",
    params(("decision_id" = Uuid, Path, description = "The escalated decision")),
    request_body = Override,
    security(("bearer" = [])),
    responses(
        (status = 201, body = ReviewDetail),
        BadRequest,
        Unauthorized,
        Forbidden,
        (status = 404, description = "No review of that decision visible to the caller", body = shared_runtime::http::ErrorBody),
        (status = 409, description = "Reviewed already", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn overrule(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(decision_id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<Override>,
) -> Result<(StatusCode, Json<ReviewDetail>), ApiError> {
    let (_, decision) = visible(&state, &auth.0, decision_id).await?;
    let replacement = req
        .apply(&decision, Utc::now())
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let note = req.note.trim().to_owned();
    let done = close(&state, &auth.0, decision, Some(replacement), Some(&note)).await?;
    Ok((StatusCode::CREATED, Json(done)))
}
