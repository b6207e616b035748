//! `GET /v1/alerts/stats`: volume, time to acknowledge, deliveries.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_runtime::auth::{Auth, Role};
use shared_runtime::http::ApiQuery;
use shared_runtime::openapi::responses::{BadRequest, Unauthorized};
use utoipa::{IntoParams, ToSchema};

use crate::db::stats::{self, AckTimes, Count};
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/v1/alerts/stats", get(get_stats))
}

/// The window (default: the last 7 days).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// From (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// To (RFC 3339, default now).
    pub to: Option<DateTime<Utc>>,
}

/// Alert statistics of the caller's organization (admins: all).
#[derive(Debug, Serialize, ToSchema)]
pub struct Stats {
    /// Window start.
    pub from: DateTime<Utc>,
    /// Window end.
    pub to: DateTime<Utc>,
    /// Alerts created in the window.
    pub total: i64,
    /// By severity (`key`) and status.
    pub by_severity: Vec<Count>,
    /// By subject (component or staleness).
    pub by_subject: Vec<Count>,
    /// Time from creation to acknowledgement of the window's alerts.
    pub time_to_acknowledge: AckTimes,
    /// Deliveries planned in the window by channel (`key`) and status.
    pub deliveries: Vec<Count>,
}

/// Volume by severity, status and subject, time to acknowledge, deliveries by channel
/// and status.
#[utoipa::path(get, path = "/v1/alerts/stats", tag = "alerts", params(StatsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Stats),
        BadRequest,
        Unauthorized,
        (status = 403, description = "Owners and technicians see alerts, not statistics", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn get_stats(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> Result<Json<Stats>, ApiError> {
    claims.require(&[
        Role::Admin,
        Role::FleetManager,
        Role::Support,
        Role::Service,
    ])?;
    let to = q.to.unwrap_or_else(Utc::now);
    let from = q.from.unwrap_or(to - chrono::Duration::days(7));
    if from >= to {
        return Err(ApiError::BadRequest("from must be before to".to_owned()));
    }
    let window = stats::Window {
        org: claims.org_scope(),
        from,
        to,
    };
    let by_severity = stats::by_severity(&state.db, window).await?;
    Ok(Json(Stats {
        from,
        to,
        total: by_severity.iter().map(|c| c.count).sum(),
        by_subject: stats::by_subject(&state.db, window).await?,
        time_to_acknowledge: stats::ack_times(&state.db, window).await?,
        deliveries: stats::deliveries(&state.db, window).await?,
        by_severity,
    }))
}
