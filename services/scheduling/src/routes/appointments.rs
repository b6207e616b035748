//! Appointments: `POST /v1/appointments` (book a chosen slot), `GET /v1/appointments`
//! (scoped: an owner's vehicles, a technician's centers, a manager's organization),
//! `GET /v1/appointments/{id}` and its `calendar.ics`, and the life of one:
//! reschedule, cancel, no-show, start, complete, assign.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared_runtime::auth::{Auth, Claims, Role};
use shared_runtime::http::{ApiJson, ApiPath, ApiQuery};
use shared_runtime::openapi::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use shared_schemas::events::{AppointmentKind, Component, Severity};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::scope::{acting_org, can_see, org_of, technician_centers, vehicles_in_reach};
use crate::db::appointments::{self, Completion, Filter};
use crate::domain::appointment::{Appointment, AppointmentStatus};
use crate::domain::calendar;
use crate::domain::catalog;
use crate::domain::job::{Job, JobStatus};
use crate::error::{ApiError, ConflictBody};
use crate::pipeline::lifecycle::Choice;
use crate::state::AppState;

/// Who books and changes bookings: managers, and owners for their vehicles.
const BOOKERS: [Role; 3] = [Role::Admin, Role::FleetManager, Role::Owner];
/// Who runs work orders: technicians of the center, and managers.
const WORKERS: [Role; 3] = [Role::Admin, Role::FleetManager, Role::Technician];

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/appointments", get(list).post(create))
        .route("/v1/appointments/{id}", get(one))
        .route("/v1/appointments/{id}/calendar.ics", get(calendar))
        .route("/v1/appointments/{id}/reschedule", post(reschedule))
        .route("/v1/appointments/{id}/cancel", post(cancel))
        .route("/v1/appointments/{id}/no-show", post(no_show))
        .route("/v1/appointments/{id}/start", post(start))
        .route("/v1/appointments/{id}/complete", post(complete))
        .route("/v1/appointments/{id}/assign", post(assign))
}

/// The appointment if the caller may see it (else 404, so existence does not leak).
pub(crate) async fn visible(
    state: &AppState,
    c: &Claims,
    id: Uuid,
) -> Result<Appointment, ApiError> {
    let mut conn = state.db.acquire().await?;
    appointments::get(&mut conn, id)
        .await?
        .filter(|a| can_see(c, &a.org_id, &a.vehicle_id, Some(a.center_id)))
        .ok_or_else(|| ApiError::NotFound(format!("no appointment {id}")))
}

/// A slot to book for new work.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAppointment {
    /// Organization (admins must give it; others default to their own).
    pub org_id: Option<String>,
    /// The vehicle.
    pub vehicle_id: String,
    /// The service center.
    pub center_id: Uuid,
    /// Start (UTC, on the 30-minute grid).
    pub starts_at: DateTime<Utc>,
    /// The technician; any free one with the skill when absent.
    pub technician_id: Option<Uuid>,
    /// The component to service: fills skill, duration, parts and title from the work
    /// catalog unless given.
    pub component: Option<Component>,
    /// Kind of work (default: by severity with a component, else routine).
    pub kind: Option<AppointmentKind>,
    /// How urgent (default medium).
    pub severity: Option<Severity>,
    /// Skill needed (required without a component).
    pub skill: Option<String>,
    /// Minutes (required without a component; 30..=600).
    pub duration_minutes: Option<i64>,
    /// Parts: part -> quantity.
    pub parts: Option<BTreeMap<String, u32>>,
    /// What is to be done (required without a component).
    pub title: Option<String>,
}

fn new_job(c: &Claims, body: &NewAppointment) -> Result<Job, ApiError> {
    let org_id = org_of(c, body.org_id.as_deref())?;
    shared_schemas::ids::check_vehicle_id(&body.vehicle_id).map_err(ApiError::BadRequest)?;
    if !c.can_read_vehicle(&org_id, &body.vehicle_id) {
        return Err(ApiError::NotFound(format!(
            "no vehicle {}",
            body.vehicle_id
        )));
    }
    let severity = body.severity.unwrap_or(Severity::Medium);
    let kind = body.kind.unwrap_or(if body.component.is_some() {
        catalog::kind_for(severity)
    } else {
        AppointmentKind::Routine
    });
    let template = body.component.map(|comp| catalog::work(comp, kind));
    let skill = body
        .skill
        .clone()
        .or_else(|| template.as_ref().map(|t| t.skill.to_owned()))
        .ok_or_else(|| ApiError::BadRequest("skill is required without a component".into()))?;
    if !catalog::SKILLS.contains(&skill.as_str()) {
        return Err(ApiError::BadRequest(format!(
            "skill {skill:?} is not one of {:?}",
            catalog::SKILLS
        )));
    }
    let duration = body
        .duration_minutes
        .or(template.as_ref().map(|t| t.duration_minutes))
        .ok_or_else(|| {
            ApiError::BadRequest("duration_minutes is required without a component".into())
        })?;
    if !(30..=600).contains(&duration) || duration % 30 != 0 {
        return Err(ApiError::BadRequest(
            "duration_minutes must be a multiple of 30 from 30 to 600".into(),
        ));
    }
    let title = body
        .title
        .clone()
        .or_else(|| template.as_ref().map(|t| t.title.to_owned()))
        .ok_or_else(|| ApiError::BadRequest("title is required without a component".into()))?;
    if title.trim().is_empty() || title.chars().count() > 200 {
        return Err(ApiError::BadRequest(
            "title must be 1 to 200 characters".into(),
        ));
    }
    let parts = match &body.parts {
        Some(p) => {
            super::check_parts(p)?;
            p.clone()
        }
        None => template
            .as_ref()
            .map(|t| t.parts.iter().map(|(p, q)| ((*p).to_owned(), *q)).collect())
            .unwrap_or_default(),
    };
    let now = Utc::now();
    Ok(Job {
        id: Uuid::now_v7(),
        org_id,
        vehicle_id: body.vehicle_id.clone(),
        decision_id: None,
        plan_id: None,
        component: body.component,
        kind,
        severity,
        skill,
        duration_minutes: duration,
        parts,
        title: title.trim().to_owned(),
        release_at: now,
        due_at: body.starts_at.max(now) + chrono::Duration::minutes(duration),
        location: None,
        status: JobStatus::Booked,
        note: None,
    })
}

/// Books new work at a chosen slot. A slot taken meanwhile (or not feasible: closed,
/// no skilled technician free, parts short) answers 409 with the slots free now.
#[utoipa::path(post, path = "/v1/appointments", tag = "appointments",
    request_body = NewAppointment,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Appointment),
        (status = 409, description = "The slot is taken or not feasible; alternatives", body = ConflictBody),
        BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn create(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiJson(body): ApiJson<NewAppointment>,
) -> Result<(StatusCode, Json<Appointment>), ApiError> {
    c.require(&BOOKERS)?;
    let mut job = new_job(&c, &body)?;
    job.location = state
        .booker
        .vehicles
        .position(&job.org_id, &job.vehicle_id)
        .await;
    let choice = Choice {
        center_id: body.center_id,
        technician_id: body.technician_id,
        starts_at: body.starts_at,
    };
    let a = state.booker.book_new(job, choice, &c.sub).await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// Which appointments.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Organization (admins and services; others see their own).
    pub org_id: Option<String>,
    /// One vehicle.
    pub vehicle_id: Option<String>,
    /// One center.
    pub center_id: Option<Uuid>,
    /// One status.
    pub status: Option<AppointmentStatus>,
    /// Starting at or after.
    pub from: Option<DateTime<Utc>>,
    /// Starting before.
    pub to: Option<DateTime<Utc>>,
    /// At most (1..=1000, default 200).
    pub limit: Option<i64>,
}

/// Appointments in the caller's scope, by start: an owner's vehicles, a technician's
/// centers (their job list), a manager's organization.
#[utoipa::path(get, path = "/v1/appointments", tag = "appointments",
    params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Appointment>), BadRequest, Unauthorized, NotFound))]
pub async fn list(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<Appointment>>, ApiError> {
    let limit = q.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::BadRequest("limit must be 1 to 1000".into()));
    }
    let org_id = acting_org(&c, q.org_id.as_deref(), false)?;
    let mut f = Filter {
        org_id,
        vehicle_ids: vehicles_in_reach(&c, q.vehicle_id.as_ref()),
        center_ids: q.center_id.map(|id| vec![id]),
        statuses: q.status.map(|s| vec![s.as_str().to_owned()]),
        from: q.from,
        to: q.to,
        limit,
    };
    if c.role == Role::Technician {
        let mine: Vec<Uuid> = technician_centers(&c)
            .into_iter()
            .filter(|id| q.center_id.is_none_or(|w| w == *id))
            .collect();
        f.center_ids = Some(mine);
    }
    Ok(Json(appointments::list(&state.db, &f).await?))
}

/// One appointment, with its work order once started.
#[utoipa::path(get, path = "/v1/appointments/{id}", tag = "appointments",
    params(("id" = Uuid, Path, description = "Appointment id")),
    security(("bearer" = [])),
    responses((status = 200, body = Appointment), BadRequest, Unauthorized, NotFound))]
pub async fn one(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Appointment>, ApiError> {
    Ok(Json(visible(&state, &c, id).await?))
}

/// The appointment as an iCalendar file (RFC 5545): a confirmed event with a reminder,
/// or a cancelled one; the same file the confirmation email carries.
#[utoipa::path(get, path = "/v1/appointments/{id}/calendar.ics", tag = "appointments",
    params(("id" = Uuid, Path, description = "Appointment id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "text/calendar", content((String = "text/calendar"))),
        BadRequest, Unauthorized, NotFound))]
pub async fn calendar(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let a = visible(&state, &c, id).await?;
    let entry = calendar_entry(&a);
    let method = if entry.cancelled { "CANCEL" } else { "REQUEST" };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                format!("text/calendar; charset=utf-8; method={method}"),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"appointment-{}.ics\"", a.id),
            ),
        ],
        calendar::render(&entry),
    )
        .into_response())
}

/// The calendar event of an appointment.
fn calendar_entry(a: &Appointment) -> calendar::CalendarEntry {
    let what = a
        .component
        .map(|c| format!(" ({})", c.as_str().replace('_', " ")))
        .unwrap_or_default();
    calendar::CalendarEntry {
        appointment_id: a.id,
        sequence: u32::try_from(a.sequence).unwrap_or(0),
        cancelled: matches!(
            a.status,
            AppointmentStatus::Cancelled | AppointmentStatus::NoShow
        ),
        stamp: Utc::now(),
        starts_at: a.starts_at,
        ends_at: a.ends_at,
        summary: format!("{}: {}{what}", a.vehicle_id, a.title),
        description: format!(
            "Vehicle {} at {}, bay {}, with {}.\nWork: {}{what}.\nAppointment {} ({}).",
            a.vehicle_id,
            a.center_name,
            a.bay,
            a.technician_name,
            a.title,
            a.id,
            if a.auto_booked {
                "booked automatically: critical"
            } else {
                "booked"
            },
        ),
        location: if a.center_address.is_empty() {
            a.center_name.clone()
        } else {
            format!("{}, {}", a.center_name, a.center_address)
        },
        organizer_email: None,
    }
}

/// Where to move an appointment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Move {
    /// New start (UTC, on the 30-minute grid).
    pub starts_at: DateTime<Utc>,
    /// Another center (default: the same).
    pub center_id: Option<Uuid>,
    /// Another technician (default: any free one with the skill).
    pub technician_id: Option<Uuid>,
}

/// Moves an appointment to another slot (one more revision; the calendar invitation
/// is replaced). A slot not free answers 409 with alternatives.
#[utoipa::path(post, path = "/v1/appointments/{id}/reschedule", tag = "appointments",
    params(("id" = Uuid, Path, description = "Appointment id")),
    request_body = Move,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Appointment),
        (status = 409, description = "Not free, or the appointment cannot move", body = ConflictBody),
        BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn reschedule(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<Move>,
) -> Result<Json<Appointment>, ApiError> {
    c.require(&BOOKERS)?;
    let a = visible(&state, &c, id).await?;
    let choice = Choice {
        center_id: body.center_id.unwrap_or(a.center_id),
        technician_id: body.technician_id,
        starts_at: body.starts_at,
    };
    Ok(Json(state.booker.reschedule(&a, choice).await?))
}

/// Why an appointment is called off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// Why (1..=500 characters).
    pub reason: String,
}

fn reason(r: &Reason) -> Result<&str, ApiError> {
    let s = r.reason.trim();
    if s.is_empty() || s.chars().count() > 500 {
        return Err(ApiError::BadRequest(
            "reason must be 1 to 500 characters".into(),
        ));
    }
    Ok(s)
}

/// Cancels a scheduled appointment: slot and parts are freed, the work waits for a new
/// slot (batch re-planning picks it up).
#[utoipa::path(post, path = "/v1/appointments/{id}/cancel", tag = "appointments",
    params(("id" = Uuid, Path, description = "Appointment id")),
    request_body = Reason,
    security(("bearer" = [])),
    responses((status = 200, body = Appointment), (status = 409, description = "Not scheduled"),
        BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn cancel(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Json<Appointment>, ApiError> {
    c.require(&BOOKERS)?;
    let why = reason(&body)?;
    let a = visible(&state, &c, id).await?;
    Ok(Json(state.booker.cancel(&a, &c.sub, why, false).await?))
}

/// Records that the vehicle did not come: like a cancellation, flagged as a no-show.
#[utoipa::path(post, path = "/v1/appointments/{id}/no-show", tag = "appointments",
    params(("id" = Uuid, Path, description = "Appointment id")),
    request_body = Reason,
    security(("bearer" = [])),
    responses((status = 200, body = Appointment), (status = 409, description = "Not scheduled"),
        BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn no_show(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Json<Appointment>, ApiError> {
    c.require(&WORKERS)?;
    let why = reason(&body)?;
    let a = visible(&state, &c, id).await?;
    Ok(Json(state.booker.cancel(&a, &c.sub, why, true).await?))
}

/// The technician recording the work: themselves (technicians) or the booked one.
async fn worker(state: &AppState, c: &Claims, a: &Appointment) -> Result<Uuid, ApiError> {
    if c.role != Role::Technician {
        return Ok(a.technician_id);
    }
    let id: Option<Uuid> = sqlx::query_scalar(
        "SELECT id FROM technicians WHERE user_id = $1 AND center_id = $2 AND active LIMIT 1",
    )
    .bind(&c.sub)
    .bind(a.center_id)
    .fetch_optional(&state.db)
    .await?;
    Ok(id.unwrap_or(a.technician_id))
}

/// Starts the work order (technicians of the center, managers).
#[utoipa::path(post, path = "/v1/appointments/{id}/start", tag = "appointments",
    params(("id" = Uuid, Path, description = "Appointment id")),
    security(("bearer" = [])),
    responses((status = 200, body = Appointment), (status = 409, description = "Not scheduled"),
        BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn start(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Appointment>, ApiError> {
    c.require(&WORKERS)?;
    let a = visible(&state, &c, id).await?;
    let tech = worker(&state, &c, &a).await?;
    Ok(Json(state.booker.start(&a, tech).await?))
}

/// What was done.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkDone {
    /// Components serviced (default: the job's component): health resets each one's
    /// baseline.
    pub components_serviced: Option<Vec<Component>>,
    /// Parts used: part -> quantity.
    #[serde(default)]
    pub parts_used: BTreeMap<String, u32>,
    /// Labour, hours (0..=100).
    pub labour_hours: Option<f64>,
    /// Total cost (>= 0), with `currency`.
    pub cost: Option<f64>,
    /// ISO 4217 code (default USD).
    pub currency: Option<String>,
    /// Notes (up to 4000 characters).
    pub notes: Option<String>,
    /// Odometer at service, km.
    pub odometer_km: Option<f64>,
    /// Engine hours at service.
    pub engine_hours: Option<f64>,
}

fn check_work(w: &WorkDone) -> Result<(), ApiError> {
    let bad = |m: &str| Err(ApiError::BadRequest(m.to_owned()));
    if w.labour_hours.is_some_and(|h| !(0.0..=100.0).contains(&h)) {
        return bad("labour_hours must be 0 to 100");
    }
    if w.cost.is_some_and(|x| !x.is_finite() || x < 0.0) {
        return bad("cost must be a number >= 0");
    }
    if w.currency
        .as_ref()
        .is_some_and(|c| c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return bad("currency must be an ISO 4217 code like USD");
    }
    if w.notes.as_ref().is_some_and(|n| n.chars().count() > 4000) {
        return bad("notes must be at most 4000 characters");
    }
    for v in [w.odometer_km, w.engine_hours].into_iter().flatten() {
        if !v.is_finite() || v < 0.0 {
            return bad("odometer_km and engine_hours must be numbers >= 0");
        }
    }
    super::check_parts(&w.parts_used)
}

/// Completes the work order: parts used come off stock, the job is done, a maintenance
/// plan's last service moves, and `appointment.completed` tells health which
/// components to reset.
#[utoipa::path(post, path = "/v1/appointments/{id}/complete", tag = "appointments",
    params(("id" = Uuid, Path, description = "Appointment id")),
    request_body = WorkDone,
    security(("bearer" = [])),
    responses((status = 200, body = Appointment), (status = 409, description = "Not open"),
        BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn complete(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<WorkDone>,
) -> Result<Json<Appointment>, ApiError> {
    c.require(&WORKERS)?;
    check_work(&body)?;
    let a = visible(&state, &c, id).await?;
    let tech = worker(&state, &c, &a).await?;
    let components = body
        .components_serviced
        .clone()
        .unwrap_or_else(|| a.component.into_iter().collect());
    let names: Vec<String> = components.iter().map(|c| c.as_str().to_owned()).collect();
    let currency = body.currency.clone().unwrap_or_else(|| "USD".to_owned());
    let completion = Completion {
        technician_id: tech,
        at: Utc::now(),
        labour_hours: body.labour_hours,
        parts_used: &body.parts_used,
        components: &names,
        cost: body.cost.map(|x| (x, currency.as_str())),
        notes: body.notes.as_deref(),
        odometer_km: body.odometer_km,
        engine_hours: body.engine_hours,
    };
    Ok(Json(
        state.booker.complete(&a, &completion, components).await?,
    ))
}

/// Whom to assign.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assign {
    /// A technician of the appointment's center with the skill, free at that time.
    pub technician_id: Uuid,
}

/// Gives the appointment to another technician of its center (managers).
#[utoipa::path(post, path = "/v1/appointments/{id}/assign", tag = "appointments",
    params(("id" = Uuid, Path, description = "Appointment id")),
    request_body = Assign,
    security(("bearer" = [])),
    responses((status = 200, body = Appointment), (status = 409, description = "The technician is busy then"),
        BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn assign(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<Assign>,
) -> Result<Json<Appointment>, ApiError> {
    c.require(&[Role::Admin, Role::FleetManager])?;
    let a = visible(&state, &c, id).await?;
    Ok(Json(state.booker.assign(&a, body.technician_id).await?))
}
