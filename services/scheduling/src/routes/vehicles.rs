//! A vehicle's appointments (`GET /v1/vehicles/{id}/appointments`, which the agent
//! reads), its service history (`GET /v1/vehicles/{id}/history`) and what could be
//! booked for it now (`GET /v1/vehicles/{id}/booking-options`, the agent's view of
//! capacity before it decides).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_runtime::auth::{Auth, Claims, Role};
use shared_runtime::http::{ApiPath, ApiQuery};
use shared_runtime::openapi::responses::{BadRequest, NotFound, Unauthorized};
use shared_schemas::events::{Component, Severity};
use utoipa::{IntoParams, ToSchema};

use super::scope::{PLANNING_READERS, acting_org, org_of, technician_centers};
use crate::db::appointments::{self, Filter};
use crate::domain::appointment::{Appointment, SlotView};
use crate::domain::job::{Job, Work};
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/vehicles/{vehicle_id}/appointments", get(appointments))
        .route("/v1/vehicles/{vehicle_id}/history", get(history))
        .route(
            "/v1/vehicles/{vehicle_id}/booking-options",
            get(booking_options),
        )
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

/// Which work to price.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OptionsQuery {
    /// Organization (admins and services must name it; others: their own).
    pub org_id: Option<String>,
    /// The component to repair.
    pub component: Component,
    /// How urgent (default medium): it picks the work (inspection, repair, emergency
    /// repair) and how the options weigh waiting.
    pub severity: Option<Severity>,
    /// Days until the work is due, 0 to 90 (default 7).
    pub within_days: Option<u32>,
}

/// What could be booked for a piece of work now. Nothing is held: options are offers.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingOptions {
    /// The vehicle.
    pub vehicle_id: String,
    /// The component.
    pub component: Component,
    /// The severity the work was priced at.
    pub severity: Severity,
    /// What would be done.
    pub title: String,
    /// The skill it needs.
    pub skill: String,
    /// How long it takes, minutes.
    pub duration_minutes: i64,
    /// Parts it needs: part -> quantity.
    pub parts: BTreeMap<String, u32>,
    /// When the work would be due.
    pub due_at: DateTime<Utc>,
    /// Up to three slots, best first (empty when no center can take it in the horizon).
    pub options: Vec<SlotView>,
}

/// The slots the booking engine would offer for work on the vehicle now, on the
/// organization's real capacity (centers, shifts, stock, bookings); nothing is booked.
#[utoipa::path(get, path = "/v1/vehicles/{vehicle_id}/booking-options", tag = "vehicles",
    params(("vehicle_id" = String, Path, description = "Vehicle id"), OptionsQuery),
    security(("bearer" = [])),
    responses((status = 200, body = BookingOptions), BadRequest, Unauthorized, NotFound))]
pub async fn booking_options(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(vehicle_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<OptionsQuery>,
) -> Result<Json<BookingOptions>, ApiError> {
    c.require(&PLANNING_READERS)?;
    let org = org_of(&c, q.org_id.as_deref())?;
    if !c.can_read_vehicle(&org, &vehicle_id) {
        return Err(ApiError::NotFound(format!("no vehicle {vehicle_id}")));
    }
    let within_days = q.within_days.unwrap_or(7);
    if within_days > 90 {
        return Err(ApiError::BadRequest(format!(
            "within_days {within_days} is above 90"
        )));
    }
    let location = state.booker.vehicles.position(&org, &vehicle_id).await;
    let job = Job::for_work(Work {
        org_id: &org,
        vehicle_id: &vehicle_id,
        component: q.component,
        severity: q.severity.unwrap_or(Severity::Medium),
        release: Utc::now(),
        within_days,
        location,
    });
    let options = state.booker.alternatives(&job).await?;
    Ok(Json(BookingOptions {
        vehicle_id,
        component: q.component,
        severity: job.severity,
        title: job.title,
        skill: job.skill,
        duration_minutes: job.duration_minutes,
        parts: job.parts,
        due_at: job.due_at,
        options,
    }))
}
