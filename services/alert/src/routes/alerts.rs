//! `GET /v1/alerts`, `GET /v1/alerts/{id}`, `POST /v1/alerts/{id}/acknowledge` and
//! `POST /v1/alerts/{id}/resolve`.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use shared_runtime::auth::{Auth, Claims, Role};
use shared_runtime::http::{ApiJson, ApiPath, ApiQuery};
use shared_runtime::openapi::responses::{BadRequest, NotFound, Unauthorized};
use shared_schemas::events::{AckVia, AlertSeverity, Component};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db::alerts::{self, Filter, HistoryEntry};
use crate::db::deliveries::{self, Delivery};
use crate::db::listing::{Page, Scope};
use crate::domain::alert::{Alert, Status};
use crate::domain::policy::rank;
use crate::error::ApiError;
use crate::pipeline::{Outcome, STALENESS};
use crate::state::AppState;

/// Largest page.
pub const MAX_LIMIT: u32 = 200;

/// Roles that may acknowledge and resolve (support is read-only).
pub const ACTORS: [Role; 5] = [
    Role::Admin,
    Role::FleetManager,
    Role::Technician,
    Role::Owner,
    Role::Service,
];

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/alerts", get(list))
        .route("/v1/alerts/{alert_id}", get(one))
        .route("/v1/alerts/{alert_id}/acknowledge", post(acknowledge))
        .route("/v1/alerts/{alert_id}/resolve", post(resolve))
}

/// Filters and paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `open`, `acknowledged` or `resolved`.
    pub status: Option<String>,
    /// Minimum severity: `info`, `warning`, `critical`, `emergency`.
    pub severity: Option<String>,
    /// One vehicle.
    pub vehicle_id: Option<String>,
    /// A component (`dpf`, `brakes`, …) or `staleness`.
    pub subject: Option<String>,
    /// Created at or after (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u32>,
}

/// A page of alerts, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertPage {
    /// The alerts.
    pub alerts: Vec<Alert>,
    /// Pass as `cursor` for the next page (absent on the last).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// An alert with its deliveries and history.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDetail {
    /// The alert.
    #[serde(flatten)]
    pub alert: Alert,
    /// Every planned message: recipient, channel, step, status, attempts.
    pub deliveries: Vec<Delivery>,
    /// What happened, oldest first.
    pub history: Vec<HistoryEntry>,
}

/// `POST /v1/alerts/{id}/resolve` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    /// Why, e.g. `repaired`, `false alarm` (1–500 characters).
    pub resolution: String,
}

pub(crate) fn parse_filter<T: serde::de::DeserializeOwned>(
    what: &str,
    v: &str,
    expected: &str,
) -> Result<T, ApiError> {
    serde_json::from_value(serde_json::Value::String(v.to_owned()))
        .map_err(|_| ApiError::BadRequest(format!("unknown {what} {v:?}; expected {expected}")))
}

/// The cursor after an alert: its creation time (UTC, `Z`, microseconds: exactly what is
/// stored) and id. Only characters that need no escaping in a query string, so it can
/// be passed back as it is (an offset like `+00:00` would come back as ` 00:00`).
pub(crate) fn next_cursor(created_at: DateTime<Utc>, alert_id: Uuid) -> String {
    format!(
        "{}_{alert_id}",
        created_at.to_rfc3339_opts(SecondsFormat::Micros, true)
    )
}

pub(crate) fn cursor(c: &str) -> Result<(DateTime<Utc>, Uuid), ApiError> {
    let bad = || ApiError::BadRequest(format!("cursor {c:?} is not a cursor this API returned"));
    let (t, id) = c.split_once('_').ok_or_else(bad)?;
    let t = DateTime::parse_from_rfc3339(t)
        .map_err(|_| bad())?
        .with_timezone(&Utc);
    Ok((t, Uuid::parse_str(id).map_err(|_| bad())?))
}

/// A page size: 1 to [`MAX_LIMIT`], default 50.
pub(crate) fn page_size(limit: Option<u32>) -> Result<i64, ApiError> {
    match limit.unwrap_or(50) {
        n @ 1..=MAX_LIMIT => Ok(i64::from(n)),
        _ => Err(ApiError::BadRequest("limit must be 1 to 200".to_owned())),
    }
}

fn visible(claims: &Claims, a: &Alert) -> bool {
    claims.can_read_vehicle(&a.org_id, &a.vehicle_id)
}

/// The alerts the caller may see (their organization; owners their vehicles; admins
/// everything), newest first, filtered.
#[utoipa::path(get, path = "/v1/alerts", tag = "alerts", params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AlertPage),
        BadRequest,
        Unauthorized,
    ))]
pub async fn list(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<AlertPage>, ApiError> {
    let status = q
        .status
        .as_deref()
        .map(|s| {
            Status::parse(s).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "unknown status {s:?}; expected open, acknowledged or resolved"
                ))
            })
        })
        .transpose()?;
    let min_rank = q
        .severity
        .as_deref()
        .map(|s| {
            parse_filter::<AlertSeverity>("severity", s, "info, warning, critical or emergency")
                .map(rank)
        })
        .transpose()?;
    if let Some(s) = q.subject.as_deref()
        && s != STALENESS
    {
        parse_filter::<Component>(
            "subject",
            s,
            "a component (engine_oil, cooling, dpf, scr_def, brakes, battery, transmission, tires) or staleness",
        )?;
    }
    let limit = page_size(q.limit)?;
    let before = q.cursor.as_deref().map(cursor).transpose()?;
    let owner_vehicles = (claims.role == Role::Owner).then_some(&claims.vehicle_ids[..]);
    let rows = alerts::list(
        &state.db,
        &Filter {
            scope: Scope {
                org_id: claims.org_scope(),
                vehicle_ids: owner_vehicles,
                vehicle_id: q.vehicle_id.as_deref(),
            },
            status: status.map(Status::as_str),
            min_rank,
            subject: q.subject.as_deref(),
            since: q.since,
            page: Page { before, limit },
        },
    )
    .await?;
    let next_cursor = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|a| next_cursor(a.created_at, a.alert_id)))
        .flatten();
    Ok(Json(AlertPage {
        alerts: rows,
        next_cursor,
    }))
}

/// One alert with every delivery (recipient, channel, step, status, attempts, error)
/// and its history.
#[utoipa::path(get, path = "/v1/alerts/{alert_id}", tag = "alerts",
    params(("alert_id" = Uuid, Path, description = "Alert id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AlertDetail),
        BadRequest,
        Unauthorized,
        (status = 404, description = "Unknown, or not visible to the caller", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn one(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiPath(alert_id): ApiPath<Uuid>,
) -> Result<Json<AlertDetail>, ApiError> {
    let alert = alerts::get(&state.db, alert_id)
        .await?
        .filter(|a| visible(&claims, a))
        .ok_or_else(|| ApiError::NotFound(format!("no alert {alert_id}")))?;
    Ok(Json(AlertDetail {
        deliveries: deliveries::of_alert(&state.db, alert_id).await?,
        history: alerts::history_of(&state.db, alert_id).await?,
        alert,
    }))
}

async fn visible_alert(
    state: &AppState,
    claims: &Claims,
    alert_id: Uuid,
) -> Result<Alert, ApiError> {
    alerts::get(&state.db, alert_id)
        .await?
        .filter(|a| visible(claims, a))
        .ok_or_else(|| ApiError::NotFound(format!("no alert {alert_id}")))
}

/// Acknowledges: escalation stops and unsent messages are cancelled. Acknowledging
/// again answers the alert as it is.
#[utoipa::path(post, path = "/v1/alerts/{alert_id}/acknowledge", tag = "alerts",
    params(("alert_id" = Uuid, Path, description = "Alert id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Alert),
        Unauthorized,
        (status = 403, description = "Read-only role", body = shared_runtime::http::ErrorBody),
        NotFound,
        (status = 409, description = "Already resolved", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn acknowledge(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiPath(alert_id): ApiPath<Uuid>,
) -> Result<Json<Alert>, ApiError> {
    claims.require(&ACTORS)?;
    visible_alert(&state, &claims, alert_id).await?;
    match state
        .alerting
        .acknowledge(alert_id, &claims.sub, AckVia::Rest)
        .await?
    {
        Outcome::Done(a) | Outcome::Already(a) => Ok(Json(a)),
        Outcome::Conflict(a) => Err(ApiError::Conflict(format!(
            "alert {alert_id} was resolved at {}; nothing to acknowledge",
            a.resolved_at.map(|t| t.to_rfc3339()).unwrap_or_default()
        ))),
        Outcome::Missing => Err(ApiError::NotFound(format!("no alert {alert_id}"))),
    }
}

/// Resolves: closed; a new event for the vehicle and subject opens a new alert.
#[utoipa::path(post, path = "/v1/alerts/{alert_id}/resolve", tag = "alerts",
    params(("alert_id" = Uuid, Path, description = "Alert id")),
    request_body = ResolveRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Alert),
        BadRequest,
        Unauthorized,
        (status = 403, description = "Read-only role", body = shared_runtime::http::ErrorBody),
        NotFound,
    ))]
pub async fn resolve(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiPath(alert_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ResolveRequest>,
) -> Result<Json<Alert>, ApiError> {
    claims.require(&ACTORS)?;
    let resolution = body.resolution.trim();
    if resolution.is_empty() || resolution.chars().count() > 500 {
        return Err(ApiError::BadRequest(
            "resolution must be 1 to 500 characters".to_owned(),
        ));
    }
    visible_alert(&state, &claims, alert_id).await?;
    match state
        .alerting
        .resolve(alert_id, Some(&claims.sub), resolution, None)
        .await?
    {
        Outcome::Done(a) | Outcome::Already(a) | Outcome::Conflict(a) => Ok(Json(a)),
        Outcome::Missing => Err(ApiError::NotFound(format!("no alert {alert_id}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_survive_a_query_string_unescaped_and_round_trip() {
        let t = DateTime::parse_from_rfc3339("2026-03-02T12:00:00.123456+00:00")
            .unwrap()
            .with_timezone(&Utc);
        let id = Uuid::now_v7();
        let c = next_cursor(t, id);
        assert!(
            c.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "-_.:".contains(ch)),
            "{c}"
        );
        assert_eq!(cursor(&c).unwrap(), (t, id));
        assert!(cursor("zzz").is_err());
    }
}
