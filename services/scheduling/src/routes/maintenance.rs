//! Preventive-maintenance plans: `POST /v1/maintenance-plans` (one plan per vehicle
//! named), `GET /v1/maintenance-plans`, and `POST /v1/maintenance-plans/check`, which
//! checks the counters now instead of at the next period.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_runtime::auth::{Auth, Role};
use shared_runtime::http::{ApiJson, ApiQuery};
use shared_runtime::openapi::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use sqlx::types::Json as SqlJson;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::scope::{acting_org, org_of};
use crate::db::maintenance::{self, PlanRow};
use crate::domain::catalog;
use crate::error::ApiError;
use crate::state::AppState;

const MANAGERS: [Role; 2] = [Role::Admin, Role::FleetManager];

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/maintenance-plans", get(list).post(create))
        .route("/v1/maintenance-plans/check", post(check))
}

/// Plans to create: the same service for each vehicle named.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlans {
    /// Organization (admins must give it; fleet managers: their own).
    pub org_id: Option<String>,
    /// The vehicles (1..=500).
    pub vehicle_ids: Vec<String>,
    /// The service, e.g. "Oil and filter change" (1..=200 characters).
    pub title: String,
    /// Skill it needs.
    pub skill: String,
    /// Minutes (30..=600, a multiple of 30).
    pub duration_minutes: i64,
    /// Parts: part -> quantity.
    #[serde(default)]
    pub parts: BTreeMap<String, u32>,
    /// Every so many km …
    pub every_km: Option<f64>,
    /// … or engine hours …
    pub every_engine_hours: Option<f64>,
    /// … or days, whichever comes first (at least one).
    pub every_days: Option<u32>,
    /// When it was last done (default now).
    pub last_done_at: Option<DateTime<Utc>>,
    /// Odometer then (default: the current reading, when known).
    pub last_odometer_km: Option<f64>,
    /// Engine hours then (default: the current reading, when known).
    pub last_engine_hours: Option<f64>,
}

/// A plan as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MaintenancePlan {
    /// Its id.
    pub id: Uuid,
    /// Organization.
    pub org_id: String,
    /// Vehicle.
    pub vehicle_id: String,
    /// The service.
    pub title: String,
    /// Skill it needs.
    pub skill: String,
    /// Minutes.
    pub duration_minutes: i32,
    /// Parts.
    pub parts: BTreeMap<String, u32>,
    /// Interval, km.
    pub every_km: Option<f64>,
    /// Interval, engine hours.
    pub every_engine_hours: Option<f64>,
    /// Interval, days.
    pub every_days: Option<i32>,
    /// Last done.
    pub last_done_at: DateTime<Utc>,
    /// Odometer then.
    pub last_odometer_km: Option<f64>,
    /// Engine hours then.
    pub last_engine_hours: Option<f64>,
    /// The job it proposed and that is not done yet.
    pub open_job_id: Option<Uuid>,
}

impl From<PlanRow> for MaintenancePlan {
    fn from(p: PlanRow) -> Self {
        Self {
            id: p.id,
            org_id: p.org_id,
            vehicle_id: p.vehicle_id,
            title: p.title,
            skill: p.skill,
            duration_minutes: p.duration_minutes,
            parts: p.parts.0,
            every_km: p.every_km,
            every_engine_hours: p.every_engine_hours,
            every_days: p.every_days,
            last_done_at: p.last_done_at,
            last_odometer_km: p.last_odometer_km,
            last_engine_hours: p.last_engine_hours,
            open_job_id: p.open_job_id,
        }
    }
}

fn validate(b: &NewPlans) -> Result<(), ApiError> {
    let bad = |m: String| Err(ApiError::BadRequest(m));
    if b.vehicle_ids.is_empty() || b.vehicle_ids.len() > 500 {
        return bad("vehicle_ids must name 1 to 500 vehicles".into());
    }
    for v in &b.vehicle_ids {
        shared_schemas::ids::check_vehicle_id(v).map_err(ApiError::BadRequest)?;
    }
    if b.title.trim().is_empty() || b.title.chars().count() > 200 {
        return bad("title must be 1 to 200 characters".into());
    }
    catalog::validate_skills(std::slice::from_ref(&b.skill)).map_err(ApiError::BadRequest)?;
    if !(30..=600).contains(&b.duration_minutes) || b.duration_minutes % 30 != 0 {
        return bad("duration_minutes must be a multiple of 30 from 30 to 600".into());
    }
    super::check_parts(&b.parts)?;
    if b.every_km.is_none() && b.every_engine_hours.is_none() && b.every_days.is_none() {
        return bad("give at least one of every_km, every_engine_hours, every_days".into());
    }
    let positive = |v: Option<f64>| v.is_none_or(|x| x.is_finite() && x > 0.0 && x < 1e7);
    if !positive(b.every_km) || !positive(b.every_engine_hours) || b.every_days == Some(0) {
        return bad("intervals must be positive (km < 10,000,000)".into());
    }
    let counter = |v: Option<f64>| v.is_none_or(|x| x.is_finite() && x >= 0.0);
    if !counter(b.last_odometer_km) || !counter(b.last_engine_hours) {
        return bad("last_odometer_km and last_engine_hours must be >= 0".into());
    }
    Ok(())
}

/// Creates the plan for each vehicle; its last service defaults to now at the current
/// counters, so the first one falls due one interval from now.
#[utoipa::path(post, path = "/v1/maintenance-plans", tag = "plans",
    request_body = NewPlans,
    security(("bearer" = [])),
    responses((status = 201, body = Vec<MaintenancePlan>), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn create(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiJson(body): ApiJson<NewPlans>,
) -> Result<(StatusCode, Json<Vec<MaintenancePlan>>), ApiError> {
    c.require(&MANAGERS)?;
    validate(&body)?;
    let org = org_of(&c, body.org_id.as_deref())?;
    let now = Utc::now();
    let mut out = Vec::with_capacity(body.vehicle_ids.len());
    for v in &body.vehicle_ids {
        let facts = state.booker.vehicles.facts(&org, v).await;
        let row = PlanRow {
            id: Uuid::now_v7(),
            org_id: org.clone(),
            vehicle_id: v.clone(),
            title: body.title.trim().to_owned(),
            skill: body.skill.clone(),
            duration_minutes: i32::try_from(body.duration_minutes).unwrap_or(60),
            parts: SqlJson(body.parts.clone()),
            every_km: body.every_km,
            every_engine_hours: body.every_engine_hours,
            every_days: body.every_days.and_then(|d| i32::try_from(d).ok()),
            last_done_at: body.last_done_at.unwrap_or(now),
            last_odometer_km: body.last_odometer_km.or(facts.odometer_km),
            last_engine_hours: body.last_engine_hours.or(facts.engine_hours),
            open_job_id: None,
            active: true,
            created_at: now,
        };
        maintenance::insert(&state.db, &row).await?;
        out.push(row.into());
    }
    Ok((StatusCode::CREATED, Json(out)))
}

/// Which plans.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlanQuery {
    /// Organization (admins and services; others: their own).
    pub org_id: Option<String>,
    /// One vehicle.
    pub vehicle_id: Option<String>,
}

/// Maintenance plans in the caller's scope (owners: their vehicles').
#[utoipa::path(get, path = "/v1/maintenance-plans", tag = "plans",
    params(PlanQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<MaintenancePlan>), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn list(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiQuery(q): ApiQuery<PlanQuery>,
) -> Result<Json<Vec<MaintenancePlan>>, ApiError> {
    c.require(&[
        Role::Admin,
        Role::FleetManager,
        Role::Support,
        Role::Owner,
        Role::Service,
    ])?;
    let org = acting_org(&c, q.org_id.as_deref(), false)?;
    let rows = maintenance::list(&state.db, org.as_deref(), q.vehicle_id.as_deref()).await?;
    Ok(Json(
        rows.into_iter()
            .filter(|p| c.can_read_vehicle(&p.org_id, &p.vehicle_id))
            .map(MaintenancePlan::from)
            .collect(),
    ))
}

/// What the check proposed.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResult {
    /// Jobs proposed (their options are in `/v1/proposals`).
    pub proposed_jobs: Vec<Uuid>,
}

/// Checks the organization's plans against the counters now.
#[utoipa::path(post, path = "/v1/maintenance-plans/check", tag = "plans",
    request_body = super::plans::OptimizeRequest,
    security(("bearer" = [])),
    responses((status = 200, body = CheckResult), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn check(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiJson(body): ApiJson<super::plans::OptimizeRequest>,
) -> Result<Json<CheckResult>, ApiError> {
    c.require(&MANAGERS)?;
    let org = org_of(&c, body.org_id.as_deref())?;
    let proposed_jobs = state.booker.check_plans(Some(&org)).await?;
    Ok(Json(CheckResult { proposed_jobs }))
}
