//! `GET /v1/decisions/{id}`, `GET /v1/vehicles/{id}/decisions` and `GET /v1/decisions`
//! (the review queue of escalated decisions, and the organization's latest).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_runtime::auth::{Auth, Role};
use shared_runtime::http::{ApiPath, ApiQuery};
use shared_runtime::openapi::responses::{BadRequest, Unauthorized};
use shared_schemas::events::Component;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db::decisions::{self, Filter};
use crate::domain::decision::Decision;
use crate::error::ApiError;
use crate::state::AppState;

/// Largest page.
pub const MAX_LIMIT: u32 = 200;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/decisions", get(list))
        .route("/v1/decisions/{decision_id}", get(one))
        .route("/v1/vehicles/{vehicle_id}/decisions", get(vehicle_history))
}

/// Paging and filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Only this component (`engine_oil`, `cooling`, `dpf`, `scr_def`, `brakes`,
    /// `battery`, `transmission`, `tires`).
    pub component: Option<String>,
    /// Decisions made before this instant (RFC 3339): pass the last page's `next_before`.
    pub before: Option<DateTime<Utc>>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u32>,
}

/// The review queue's filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only escalated decisions (the human review queue; default false).
    pub escalated: Option<bool>,
    /// Only this component.
    pub component: Option<String>,
    /// Decisions made before this instant (RFC 3339).
    pub before: Option<DateTime<Utc>>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u32>,
}

/// A page of decisions, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DecisionPage {
    /// The decisions.
    pub decisions: Vec<Decision>,
    /// Pass as `before` for the next page (absent on the last one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_before: Option<DateTime<Utc>>,
}

fn component_filter(c: Option<&str>) -> Result<Option<&'static str>, ApiError> {
    c.map(|name| {
        Component::ALL
            .into_iter()
            .find(|c| c.as_str() == name)
            .map(Component::as_str)
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "unknown component {name:?}; expected one of {}",
                    Component::ALL.map(Component::as_str).join(", ")
                ))
            })
    })
    .transpose()
}

pub(crate) fn limit(l: Option<u32>) -> Result<i64, ApiError> {
    match l.unwrap_or(50) {
        0 => Err(ApiError::BadRequest("limit must be 1 to 200".to_owned())),
        n if n > MAX_LIMIT => Err(ApiError::BadRequest("limit must be 1 to 200".to_owned())),
        n => Ok(i64::from(n)),
    }
}

fn page(decisions: Vec<Decision>, limit: i64) -> DecisionPage {
    let next_before = (decisions.len() as i64 == limit)
        .then(|| decisions.last().map(|d| d.decided_at))
        .flatten();
    DecisionPage {
        decisions,
        next_before,
    }
}

/// One decision: diagnosis, severity and its rule floor, urgency, actions with costs,
/// confidence, reasoning, provenance (provider, model, fallback, latency, tokens, cost,
/// tool calls) and the evidence it was based on.
#[utoipa::path(get, path = "/v1/decisions/{decision_id}", tag = "decisions",
    params(("decision_id" = Uuid, Path, description = "Decision id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Decision),
        BadRequest,
        Unauthorized,
        (status = 404, description = "Unknown, or not visible to the caller", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn one(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(decision_id): ApiPath<Uuid>,
) -> Result<Json<Decision>, ApiError> {
    decisions::get(&state.db, decision_id)
        .await?
        .filter(|d| auth.0.can_read_vehicle(&d.org_id, &d.vehicle_id))
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no decision {decision_id}")))
}

/// A vehicle's decision history, newest first.
#[utoipa::path(get, path = "/v1/vehicles/{vehicle_id}/decisions", tag = "decisions",
    params(("vehicle_id" = String, Path, description = "Vehicle id"), HistoryQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = DecisionPage),
        BadRequest,
        Unauthorized,
        (status = 404, description = "No decision for the vehicle, or not visible to the caller", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn vehicle_history(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(vehicle_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<Json<DecisionPage>, ApiError> {
    let component = component_filter(q.component.as_deref())?;
    let limit = limit(q.limit)?;
    // Decisions stay with the organization the vehicle belonged to when they were made
    // (ADR 0008); another organization's vehicle answers like one without decisions.
    let claims = &auth.0;
    let org = claims.org_scope();
    let owns = claims.role != Role::Owner || claims.vehicle_ids.contains(&vehicle_id);
    if !owns || !decisions::vehicle_has_decisions(&state.db, &vehicle_id, org).await? {
        return Err(ApiError::NotFound(format!(
            "no decision for vehicle {vehicle_id}"
        )));
    }
    let rows = decisions::list(
        &state.db,
        &Filter {
            vehicle_id: Some(&vehicle_id),
            org_id: org,
            component,
            escalated_only: false,
            before: q.before,
            limit,
        },
    )
    .await?;
    Ok(Json(page(rows, limit)))
}

/// The caller's organization's latest decisions (every organization for admins), or
/// with `escalated=true` the human review queue. Owners see only their vehicles'.
#[utoipa::path(get, path = "/v1/decisions", tag = "decisions",
    params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = DecisionPage),
        BadRequest,
        Unauthorized,
    ))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<DecisionPage>, ApiError> {
    let component = component_filter(q.component.as_deref())?;
    let limit = limit(q.limit)?;
    let rows = decisions::list(
        &state.db,
        &Filter {
            vehicle_id: None,
            org_id: auth.0.org_scope(),
            component,
            escalated_only: q.escalated.unwrap_or(false),
            before: q.before,
            limit,
        },
    )
    .await?;
    let next = page(rows, limit);
    // Owners: only their vehicles (the page may come out shorter than `limit`).
    let decisions: Vec<Decision> = next
        .decisions
        .into_iter()
        .filter(|d| auth.0.can_read_vehicle(&d.org_id, &d.vehicle_id))
        .collect();
    Ok(Json(DecisionPage {
        decisions,
        next_before: next.next_before,
    }))
}
