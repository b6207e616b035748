//! `GET /v1/metrics/...`: the dashboard's figures, scoped by role (admins and services:
//! every organization or the one asked for; fleet managers, technicians and support:
//! their organization; owners: their vehicles). Another organization answers like an
//! unknown one (404).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shared_runtime::auth::{Auth, Claims};
use shared_runtime::http::ApiQuery;
use shared_runtime::openapi::responses::{BadRequest, NotFound, Unauthorized};
use utoipa::{IntoParams, ToSchema};

use crate::db::metrics::query::{self, AlertFigures, AttentionVehicle};
use crate::db::metrics::{Filter, Scope};
use crate::domain::metrics::Window;
use crate::error::ApiError;
use crate::pipeline::metrics::Summary;
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
/// avoided, scheduling and warranty.
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

/// Vehicles per band on one day (each vehicle's last band of the day).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct DayBands {
    /// The UTC day.
    pub day: NaiveDate,
    /// Vehicles ending the day excellent.
    pub excellent: i64,
    /// Good.
    pub good: i64,
    /// Fair.
    pub fair: i64,
    /// Poor.
    pub poor: i64,
    /// Critical.
    pub critical: i64,
}

impl DayBands {
    fn add(&mut self, band: &str, n: i64) {
        match band {
            "excellent" => self.excellent += n,
            "good" => self.good += n,
            "fair" => self.fair += n,
            "poor" => self.poor += n,
            _ => self.critical += n,
        }
    }
}

/// The health distribution over time.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HealthSeries {
    /// First day.
    pub from: NaiveDate,
    /// Last day (today).
    pub to: NaiveDate,
    /// Every day of the window, oldest first (days without reports count zero).
    pub days: Vec<DayBands>,
}

/// The health distribution per day over the window.
pub(crate) async fn health_series(
    state: &AppState,
    scope: &Scope,
    window: Window,
) -> Result<HealthSeries, sqlx::Error> {
    let rows = query::band_days(state.metrics.db(), Filter { scope, window }).await?;
    let mut days: Vec<DayBands> = window
        .days()
        .map(|day| DayBands {
            day,
            ..DayBands::default()
        })
        .collect();
    for r in rows {
        if let Some(d) = days.iter_mut().find(|d| d.day == r.day) {
            d.add(&r.band, r.vehicles);
        }
    }
    Ok(HealthSeries {
        from: window.first_day,
        to: window.last_day,
        days,
    })
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
    Ok(Json(health_series(&state, &scope, window).await?))
}

/// Alerts raised on one day, by severity.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct DayAlerts {
    /// The UTC day.
    pub day: NaiveDate,
    /// Info.
    pub info: i64,
    /// Warning.
    pub warning: i64,
    /// Critical.
    pub critical: i64,
    /// Emergency.
    pub emergency: i64,
}

/// Alert volume and time to acknowledge, with the volume per day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertSeries {
    /// Totals over the window.
    pub totals: AlertFigures,
    /// Every day of the window, oldest first.
    pub days: Vec<DayAlerts>,
}

/// Alerts per day over the window, and the totals.
pub(crate) async fn alert_series(
    state: &AppState,
    scope: &Scope,
    window: Window,
) -> Result<AlertSeries, sqlx::Error> {
    let f = Filter { scope, window };
    let db = state.metrics.db();
    let (totals, rows) = tokio::try_join!(query::alerts(db, f), query::alert_days(db, f))?;
    let mut days: Vec<DayAlerts> = window
        .days()
        .map(|day| DayAlerts {
            day,
            ..DayAlerts::default()
        })
        .collect();
    for r in rows {
        if let Some(d) = days.iter_mut().find(|d| d.day == r.day) {
            match r.severity.as_str() {
                "info" => d.info += r.alerts,
                "warning" => d.warning += r.alerts,
                "critical" => d.critical += r.alerts,
                _ => d.emergency += r.alerts,
            }
        }
    }
    Ok(AlertSeries { totals, days })
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
    Ok(Json(alert_series(&state, &scope, window).await?))
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
