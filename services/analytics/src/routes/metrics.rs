//! `GET /v1/metrics/...`: the dashboard's figures, scoped by role (admins and services:
//! every organization or the one asked for; fleet managers, technicians and support:
//! their organization; owners: their vehicles). Another organization answers like an
//! unknown one (404).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use shared_runtime::auth::{Auth, Claims};
use shared_runtime::http::ApiQuery;
use shared_runtime::openapi::responses::{BadRequest, NotFound, Unauthorized};
use utoipa::{IntoParams, ToSchema};

use crate::db::metrics::query::{self, AttentionVehicle};
use crate::db::metrics::{Filter, Scope};
use crate::domain::metrics::Window;
use crate::error::ApiError;
use crate::pipeline::metrics::{AlertSeries, HealthSeries, Summary};
use crate::state::AppState;

/// Days counted when the query does not say.
pub const DEFAULT_DAYS: u32 = 30;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/metrics/summary", get(summary))
        .route("/v1/metrics/health", get(health))
        .route("/v1/metrics/alerts", get(alerts))
        .route("/v1/metrics/attention", get(attention))
}

/// Whose figures, over how many days.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MetricsQuery {
    /// Organization (admins and services; others may only name their own).
    pub org: Option<String>,
    /// Days up to and including today (UTC), 1..=366 (default 30).
    pub days: Option<u32>,
}

/// The caller's scope and the window asked for.
pub(crate) fn scope_and_window(
    claims: &Claims,
    org: Option<&str>,
    days: Option<u32>,
) -> Result<(Scope, Window), ApiError> {
    let scope = Scope::for_caller(claims.role, &claims.org, &claims.vehicle_ids, org)
        .map_err(ApiError::NotFound)?;
    let window = Window::last_days(days.unwrap_or(DEFAULT_DAYS), Utc::now())
        .map_err(ApiError::BadRequest)?;
    Ok((scope, window))
}

/// The dashboard summary: fleet health now, uptime, alerts and time to acknowledge,
/// decisions and fallback rate, failures predicted vs happened with lead time, cost
/// avoided, scheduling and warranty. Served from memory for up to 5 s.
#[utoipa::path(get, path = "/v1/metrics/summary", tag = "metrics", params(MetricsQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Summary), BadRequest, Unauthorized, NotFound))]
pub async fn summary(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiQuery(q): ApiQuery<MetricsQuery>,
) -> Result<Json<Summary>, ApiError> {
    let (scope, window) = scope_and_window(&claims, q.org.as_deref(), q.days)?;
    Ok(Json(state.metrics.summary(&scope, window).await?))
}

/// Health distribution over time: vehicles per band, each day of the window.
#[utoipa::path(get, path = "/v1/metrics/health", tag = "metrics", params(MetricsQuery),
    security(("bearer" = [])),
    responses((status = 200, body = HealthSeries), BadRequest, Unauthorized, NotFound))]
pub async fn health(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiQuery(q): ApiQuery<MetricsQuery>,
) -> Result<Json<HealthSeries>, ApiError> {
    let (scope, window) = scope_and_window(&claims, q.org.as_deref(), q.days)?;
    Ok(Json(state.metrics.health_series(&scope, window).await?))
}

/// Alert volume per day and severity, time to acknowledge.
#[utoipa::path(get, path = "/v1/metrics/alerts", tag = "metrics", params(MetricsQuery),
    security(("bearer" = [])),
    responses((status = 200, body = AlertSeries), BadRequest, Unauthorized, NotFound))]
pub async fn alerts(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiQuery(q): ApiQuery<MetricsQuery>,
) -> Result<Json<AlertSeries>, ApiError> {
    let (scope, window) = scope_and_window(&claims, q.org.as_deref(), q.days)?;
    Ok(Json(state.metrics.alert_series(&scope, window).await?))
}

/// Whose vehicles, how many.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AttentionQuery {
    /// Organization (admins and services; others may only name their own).
    pub org: Option<String>,
    /// Most vehicles listed, 1..=1000 (default 100).
    pub limit: Option<i64>,
}

/// Vehicles needing attention.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttentionList {
    /// Lowest overall score first.
    pub vehicles: Vec<AttentionVehicle>,
}

/// Vehicles needing attention (overall fair or worse, or a component poor or worse),
/// lowest score first.
#[utoipa::path(get, path = "/v1/metrics/attention", tag = "metrics", params(AttentionQuery),
    security(("bearer" = [])),
    responses((status = 200, body = AttentionList), BadRequest, Unauthorized, NotFound))]
pub async fn attention(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiQuery(q): ApiQuery<AttentionQuery>,
) -> Result<Json<AttentionList>, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be between 1 and 1000, got {limit}"
        )));
    }
    let (scope, window) = scope_and_window(&claims, q.org.as_deref(), None)?;
    let vehicles = query::attention(
        state.metrics.db(),
        Filter {
            scope: &scope,
            window,
        },
        limit,
    )
    .await?;
    Ok(Json(AttentionList { vehicles }))
}
