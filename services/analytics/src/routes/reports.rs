//! Reports on demand (`GET /v1/reports/{kind}` as CSV or PDF) and the caller's report
//! schedules (`/v1/report-schedules`: daily or weekly, by email with the PDF attached).
//! Scoped like the metrics; schedules are the caller's own (another user's answers
//! 404 like an unknown one).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_runtime::auth::{Auth, AuthError, Claims};
use shared_runtime::http::{ApiJson, ApiPath, ApiQuery};
use shared_runtime::openapi::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db::reports::{self as db, ScheduleRow};
use crate::domain::report::{Frequency, Kind, csv, pdf};
use crate::error::ApiError;
use crate::routes::metrics::scope_and_window;
use crate::state::AppState;

/// Most schedules per user.
pub const MAX_SCHEDULES: i64 = 20;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/reports/{kind}", get(report))
        .route("/v1/report-schedules", get(list).post(create))
        .route("/v1/report-schedules/{id}", delete(remove))
}

/// The format of a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// The detail table as CSV.
    Csv,
    /// Figures, chart and table as PDF.
    #[default]
    Pdf,
}

/// Which report, whose, over how many days.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// `csv` or `pdf` (default).
    pub format: Option<Format>,
    /// Organization (admins and services; others may only name their own).
    pub org: Option<String>,
    /// Days up to and including today (UTC), 1..=366 (default 30).
    pub days: Option<u32>,
}

/// A report now: `fleet_health`, `alerts` or `maintenance`, as CSV (the detail rows) or
/// PDF (figures, chart, rows).
#[utoipa::path(get, path = "/v1/reports/{kind}", tag = "reports",
    params(("kind" = Kind, Path, description = "fleet_health, alerts or maintenance"), ReportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", content(
            (String = "text/csv"),
            (Vec<u8> = "application/pdf"))),
        BadRequest, Unauthorized, NotFound))]
pub async fn report(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiPath(kind): ApiPath<Kind>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    let (scope, window) = scope_and_window(&claims, q.org.as_deref(), q.days)?;
    let report = state
        .reports
        .build(kind, &scope, window, Utc::now())
        .await?;
    let (body, content_type, ext) = match q.format.unwrap_or_default() {
        Format::Csv => (
            csv::render(&report).into_bytes(),
            "text/csv; charset=utf-8",
            "csv",
        ),
        Format::Pdf => (pdf::render(&report), "application/pdf", "pdf"),
    };
    let disposition = format!("attachment; filename=\"{}.{ext}\"", report.file_stem());
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// A schedule to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSchedule {
    /// Which report.
    pub kind: Kind,
    /// How often.
    pub frequency: Frequency,
    /// Organization (admins only; default every one). Others' reports follow their
    /// scope when each is sent.
    pub org: Option<String>,
}

/// A scheduled report of the caller's.
#[derive(Debug, Serialize, ToSchema)]
pub struct Schedule {
    /// Its id.
    pub id: Uuid,
    /// Which report.
    pub kind: String,
    /// How often.
    pub frequency: String,
    /// An admin's chosen organization.
    pub org: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Next due (the first is due at once).
    pub next_run_at: DateTime<Utc>,
    /// The last failure to send the current occurrence, if any (retried).
    pub last_error: Option<String>,
}

impl From<ScheduleRow> for Schedule {
    fn from(r: ScheduleRow) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            frequency: r.frequency,
            org: r.org_id,
            created_at: r.created_at,
            next_run_at: r.next_run_at,
            last_error: r.last_error,
        }
    }
}

/// The caller's schedules.
#[derive(Debug, Serialize, ToSchema)]
pub struct Schedules {
    /// Oldest first.
    pub schedules: Vec<Schedule>,
}

/// The caller's user account id: scheduled reports belong to users (mailed to the
/// address identity has for them), not to services or development tokens.
async fn user_of(state: &AppState, claims: &Claims) -> Result<Uuid, ApiError> {
    let refuse = || {
        ApiError::Auth(AuthError::Forbidden(
            "scheduled reports belong to an enabled user account; this token's subject is not one"
                .to_owned(),
        ))
    };
    let id: Uuid = claims.sub.parse().map_err(|_| refuse())?;
    match db::recipient(&state.db, id).await? {
        Some(u) if !u.disabled => Ok(id),
        _ => Err(refuse()),
    }
}

/// Schedules a report, emailed to the caller daily (covering the day before) or weekly
/// (Mondays, the 7 days before) with the PDF attached; the first is sent at once.
#[utoipa::path(post, path = "/v1/report-schedules", tag = "reports", request_body = NewSchedule,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Schedule), BadRequest, Unauthorized, Forbidden, NotFound,
        (status = 409, description = "The caller has the most schedules allowed", body = shared_runtime::http::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiJson(body): ApiJson<NewSchedule>,
) -> Result<(StatusCode, Json<Schedule>), ApiError> {
    let user = user_of(&state, &claims).await?;
    let (scope, _) = scope_and_window(&claims, body.org.as_deref(), None)?;
    let wake = state.report_wake.clone();
    if db::count_for(&state.db, user).await? >= MAX_SCHEDULES {
        return Err(ApiError::Conflict(format!(
            "at most {MAX_SCHEDULES} report schedules per user"
        )));
    }
    let org = body
        .org
        .as_deref()
        .filter(|_| scope.vehicles.is_none() && claims.org_scope().is_none());
    let row = db::create(
        &state.db,
        user,
        body.kind.as_str(),
        body.frequency.as_str(),
        org,
    )
    .await?;
    wake.notify_one();
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// The caller's report schedules.
#[utoipa::path(get, path = "/v1/report-schedules", tag = "reports",
    security(("bearer" = [])),
    responses((status = 200, body = Schedules), Unauthorized, Forbidden))]
pub async fn list(
    State(state): State<AppState>,
    Auth(claims): Auth,
) -> Result<Json<Schedules>, ApiError> {
    let user = user_of(&state, &claims).await?;
    let schedules = db::list_for(&state.db, user)
        .await?
        .into_iter()
        .map(Schedule::from)
        .collect();
    Ok(Json(Schedules { schedules }))
}

/// Deletes one of the caller's report schedules.
#[utoipa::path(delete, path = "/v1/report-schedules/{id}", tag = "reports",
    params(("id" = Uuid, Path, description = "The schedule")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn remove(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let user = user_of(&state, &claims).await?;
    if db::delete(&state.db, user, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!(
            "report schedule {id} not found"
        )))
    }
}
