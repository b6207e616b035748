//! A vehicle's appointments (`GET /v1/vehicles/{id}/appointments`, which the agent
//! reads) and its service history (`GET /v1/vehicles/{id}/history`).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use shared_runtime::auth::{Auth, Claims, Role};
use shared_runtime::http::{ApiPath, ApiQuery};
use shared_runtime::openapi::responses::{BadRequest, NotFound, Unauthorized};
use utoipa::IntoParams;

use super::scope::{acting_org, technician_centers};
use crate::db::appointments::{self, Filter};
use crate::domain::appointment::Appointment;
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/vehicles/{vehicle_id}/appointments", get(appointments))
        .route("/v1/vehicles/{vehicle_id}/history", get(history))
}

/// Which appointments of the vehicle.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VehicleQuery {
    /// Organization (admins and services; others: their own).
    pub org_id: Option<String>,
    /// `open` (scheduled or in progress; default) or `all`.
    pub status: Option<String>,
}

/// The vehicle's appointments in the caller's scope.
fn filter(
    c: &Claims,
    vehicle_id: &str,
    q: &VehicleQuery,
    statuses: Option<Vec<String>>,
) -> Result<Filter, ApiError> {
    let org = acting_org(c, q.org_id.as_deref(), false)?;
    // This service keeps no vehicle registry: a vehicle outside an owner's token reads
    // as one without appointments, like another organization's vehicle of that name.
    let reaches = org
        .as_deref()
        .is_none_or(|o| c.role == Role::Technician || c.can_read_vehicle(o, vehicle_id));
    let vehicle_ids = if reaches {
        vec![vehicle_id.to_owned()]
    } else {
        Vec::new()
    };
    Ok(Filter {
        org_id: org,
        vehicle_ids: Some(vehicle_ids),
        center_ids: (c.role == Role::Technician).then(|| technician_centers(c)),
        statuses,
        from: None,
        to: None,
        limit: 500,
    })
}

/// The vehicle's appointments, by start: open ones (default) or all.
#[utoipa::path(get, path = "/v1/vehicles/{vehicle_id}/appointments", tag = "vehicles",
    params(("vehicle_id" = String, Path, description = "Vehicle id"), VehicleQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Appointment>), BadRequest, Unauthorized, NotFound))]
pub async fn appointments(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(vehicle_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<VehicleQuery>,
) -> Result<Json<Vec<Appointment>>, ApiError> {
    let statuses = match q.status.as_deref().unwrap_or("open") {
        "open" => Some(vec!["scheduled".to_owned(), "in_progress".to_owned()]),
        "all" => None,
        other => {
            return Err(ApiError::BadRequest(format!(
                "status {other:?} is not open or all"
            )));
        }
    };
    let f = filter(&c, &vehicle_id, &q, statuses)?;
    Ok(Json(appointments::list(&state.db, &f).await?))
}

/// The vehicle's service history: completed appointments with their work orders
/// (parts, labour, cost, notes), oldest first.
#[utoipa::path(get, path = "/v1/vehicles/{vehicle_id}/history", tag = "vehicles",
    params(("vehicle_id" = String, Path, description = "Vehicle id"), VehicleQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Appointment>), BadRequest, Unauthorized, NotFound))]
pub async fn history(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(vehicle_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<VehicleQuery>,
) -> Result<Json<Vec<Appointment>>, ApiError> {
    let f = filter(&c, &vehicle_id, &q, Some(vec!["completed".to_owned()]))?;
    Ok(Json(appointments::list(&state.db, &f).await?))
}
