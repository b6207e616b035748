//! Work waiting for a slot or booked: `GET /v1/jobs`. A job no center can take stays
//! pending with a note saying why; routine wear waits here for the next batch re-plan.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use shared_runtime::auth::Auth;
use shared_runtime::http::ApiQuery;
use shared_runtime::openapi::responses::{BadRequest, Forbidden, Unauthorized};
use utoipa::IntoParams;

use super::scope::{PLANNING_READERS, acting_org, vehicles_in_reach};
use crate::db::jobs;
use crate::domain::job::Job;
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/v1/jobs", get(list))
}

/// Which jobs.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct JobQuery {
    /// Organization (admins and services; others: their own).
    pub org_id: Option<String>,
    /// One vehicle.
    pub vehicle_id: Option<String>,
    /// `open` (pending or proposed; default), `pending`, `proposed`, `booked`, `done`,
    /// `cancelled` or `all`.
    pub status: Option<String>,
    /// At most (1..=1000, default 200).
    pub limit: Option<i64>,
}

const STATUSES: [&str; 5] = ["pending", "proposed", "booked", "done", "cancelled"];

/// Jobs in the caller's scope, newest first: what still needs a slot (with why, when
/// nothing could take it), what is proposed, booked or done.
#[utoipa::path(get, path = "/v1/jobs", tag = "plans",
    params(JobQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Job>), BadRequest, Unauthorized, Forbidden))]
pub async fn list(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiQuery(q): ApiQuery<JobQuery>,
) -> Result<Json<Vec<Job>>, ApiError> {
    c.require(&PLANNING_READERS)?;
    let limit = q.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::BadRequest("limit must be 1 to 1000".into()));
    }
    let statuses: Vec<&str> = match q.status.as_deref().unwrap_or("open") {
        "open" => vec!["pending", "proposed"],
        "all" => STATUSES.to_vec(),
        s if STATUSES.contains(&s) => vec![s],
        other => {
            return Err(ApiError::BadRequest(format!(
                "status {other:?} is not open, all or one of {STATUSES:?}"
            )));
        }
    };
    let org = acting_org(&c, q.org_id.as_deref(), false)?;
    let vehicles = vehicles_in_reach(&c, q.vehicle_id.as_ref());
    Ok(Json(
        jobs::list(
            &state.db,
            org.as_deref(),
            vehicles.as_deref(),
            &statuses,
            limit,
        )
        .await?,
    ))
}
