//! `POST /v1/orchestrate`: a person or service asks the agent to diagnose a vehicle's
//! component now.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use shared_runtime::auth::{Auth, Claims, Role};
use shared_runtime::http::{ApiJson, CorrelationId};
use shared_runtime::openapi::responses::{BadRequest, Forbidden, Unauthorized};
use shared_schemas::events::Component;
use shared_schemas::ids::{check_org_id, check_vehicle_id};
use shared_schemas::telemetry::Dtc;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::decisions;
use crate::domain::case::{Case, HealthSource, Trigger};
use crate::domain::decision::Decision;
use crate::error::ApiError;
use crate::events::record::Recorded;
use crate::state::AppState;
use crate::tools::ToolError;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/v1/orchestrate", post(orchestrate))
}

/// A manual diagnosis request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrchestrateRequest {
    /// The vehicle.
    pub vehicle_id: String,
    /// The component to diagnose.
    pub component: Component,
    /// Idempotency key, scoped to the caller's organization: the same id returns the
    /// same decision (default: a new one).
    #[serde(default)]
    pub request_id: Option<Uuid>,
    /// What the requester observed, passed to the worker.
    #[serde(default)]
    pub note: Option<String>,
    /// Trouble codes read by a technician.
    #[serde(default)]
    pub dtcs: Vec<Dtc>,
    /// Remaining life in days, used only when the health service cannot be reached.
    #[serde(default)]
    pub rul_days: Option<f64>,
    /// Organization of the vehicle, used only when the health service cannot be reached
    /// (admins and services; others are limited to their own organization).
    #[serde(default)]
    pub org_id: Option<String>,
}

/// Diagnoses a vehicle's component now and records the decision (announced like any
/// other). The component's health comes from the health service; when it is down the
/// request's `rul_days` and `dtcs` are used and the decision is degraded (and usually
/// escalated). 201 with the new decision, 200 with the existing one for a repeated
/// `request_id`. Admins, fleet managers, technicians and services.
#[utoipa::path(post, path = "/v1/orchestrate", tag = "orchestrate",
    request_body = OrchestrateRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Decided", body = Decision),
        (status = 200, description = "Already decided for this request_id", body = Decision),
        BadRequest,
        Unauthorized,
        Forbidden,
        (status = 404, description = "The vehicle has no assessment of the component, or is not visible to the caller", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn orchestrate(
    State(state): State<AppState>,
    auth: Auth,
    correlation: CorrelationId,
    ApiJson(req): ApiJson<OrchestrateRequest>,
) -> Result<(StatusCode, Json<Decision>), ApiError> {
    let claims = &auth.0;
    claims.require(&[
        Role::Admin,
        Role::FleetManager,
        Role::Technician,
        Role::Service,
    ])?;
    let vehicle_id = req.vehicle_id.trim().to_owned();
    check_request(&req, &vehicle_id)?;
    let request_id = req.request_id.unwrap_or_else(Uuid::now_v7);
    let trigger = manual_trigger(&claims.org, request_id);
    if let Some(existing) = decisions::by_trigger(&state.db, trigger).await? {
        if !claims.can_read_vehicle(&existing.org_id, &existing.vehicle_id) {
            return Err(ApiError::NotFound(format!(
                "no decision for request {request_id}"
            )));
        }
        return Ok((StatusCode::OK, Json(existing)));
    }

    let OrchestrateRequest {
        component,
        note,
        dtcs,
        rul_days,
        org_id,
        ..
    } = req;
    let mut case = Case {
        trigger_event_id: trigger,
        trigger: Trigger::Manual,
        correlation_id: correlation.0,
        org_id: String::new(),
        vehicle_id,
        component,
        score: None,
        band: None,
        previous_band: None,
        previous_score: None,
        change_reason: None,
        rul_days,
        rul_km: None,
        rul_interval_days: None,
        health_confidence: None,
        factors: Vec::new(),
        dtcs,
        odometer_km: None,
        daily_km: None,
        detected_at: Utc::now(),
        health_source: HealthSource::Event,
        note,
    };
    complete_case(&state, claims, &mut case, org_id).await?;
    let decision = state.agent.decide(case).await;
    match state
        .recorder
        .record(decision, None, Some(&claims.sub))
        .await
        .map_err(ApiError::Internal)?
    {
        Recorded::New(d) => Ok((StatusCode::CREATED, Json(d))),
        Recorded::Existing(d) => Ok((StatusCode::OK, Json(d))),
    }
}

/// Completes a manual case with the component's health from the health service; with
/// the service down, places it in the caller's organization (or the requested one, for
/// callers of every organization) and keeps what the request says.
async fn complete_case(
    state: &AppState,
    claims: &Claims,
    case: &mut Case,
    org_id: Option<String>,
) -> Result<(), ApiError> {
    let vehicle_id = case.vehicle_id.clone();
    match state.agent.tools().health().vehicle(&vehicle_id).await {
        Ok(v) => {
            if !claims.can_read_vehicle(&v.org_id, &vehicle_id) {
                return Err(not_assessed(&vehicle_id));
            }
            let h = v
                .components
                .iter()
                .find(|h| h.component == case.component)
                .ok_or_else(|| {
                    ApiError::NotFound(format!(
                        "vehicle {vehicle_id} has no {} assessment",
                        case.component.as_str()
                    ))
                })?;
            case.org_id = v.org_id.clone();
            case.enrich(h, v.daily_km, v.odometer_km);
        }
        // Unknown to health, or another organization's: the same answer.
        Err(ToolError::NotFound(_)) => return Err(not_assessed(&vehicle_id)),
        // Health is down: decide from what the request says, under the caller's
        // organization (nothing of another organization's is read or changed).
        Err(e) => {
            case.org_id = match (claims.org_scope(), org_id) {
                (None, Some(org)) => org,
                (None, None) => {
                    return Err(ApiError::Unavailable(format!(
                        "the health service cannot tell the vehicle's organization ({e}); pass org_id"
                    )));
                }
                (Some(own), _) => own.to_owned(),
            };
            if !claims.can_read_vehicle(&case.org_id, &vehicle_id) {
                return Err(not_assessed(&vehicle_id));
            }
            case.health_source = HealthSource::Unavailable {
                reason: e.to_string(),
            };
        }
    }
    Ok(())
}

fn not_assessed(vehicle_id: &str) -> ApiError {
    ApiError::NotFound(format!("no health assessment for vehicle {vehicle_id}"))
}

/// The trigger id of a manual request: the request id within the caller's
/// organization, so two organizations using the same request id get their own
/// decisions and neither can read, or learn of, the other's.
fn manual_trigger(org: &str, request_id: Uuid) -> Uuid {
    const NAMESPACE: Uuid = Uuid::from_u128(0x5b0e_1f0c_4e4a_4f7e_9d1c_0a6f_2c1e_8b3d);
    Uuid::new_v5(&NAMESPACE, format!("{org}/{request_id}").as_bytes())
}

/// Longest RUL a request may state (a century): larger values are not a prognosis.
const MAX_RUL_DAYS: f64 = 36_500.0;
/// Most trouble codes one request may carry.
const MAX_DTCS: usize = 64;

/// What a manual request must satisfy; the error names the field.
fn check_request(req: &OrchestrateRequest, vehicle_id: &str) -> Result<(), ApiError> {
    check_vehicle_id(vehicle_id).map_err(|m| ApiError::BadRequest(format!("`vehicle_id` {m}")))?;
    if let Some(rul) = req.rul_days
        && !(rul.is_finite() && (0.0..=MAX_RUL_DAYS).contains(&rul))
    {
        return Err(ApiError::BadRequest(format!(
            "`rul_days` must be a number of days from 0 to {MAX_RUL_DAYS}"
        )));
    }
    if req.note.as_ref().is_some_and(|n| n.chars().count() > 2_000) {
        return Err(ApiError::BadRequest(
            "`note` must be at most 2000 characters".to_owned(),
        ));
    }
    if req.dtcs.len() > MAX_DTCS {
        return Err(ApiError::BadRequest(format!(
            "`dtcs` has {} codes; at most {MAX_DTCS} are allowed",
            req.dtcs.len()
        )));
    }
    if let Some(org) = &req.org_id {
        check_org_id(org).map_err(|m| ApiError::BadRequest(format!("`org_id` {m}")))?;
    }
    Ok(())
}
