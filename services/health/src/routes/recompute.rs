//! `POST …/recompute`: reassess from the stored states with the current model (after
//! a model update), announce the resulting transitions, report what changed. Admins
//! only.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;
use shared_runtime::auth::{Auth, Role};
use shared_runtime::http::{ApiPath, CorrelationId};
use shared_runtime::openapi::responses::{NotFound, Unauthorized};
use utoipa::ToSchema;

use crate::db::{services, vehicles};
use crate::domain::announce::TransitionView;
use crate::error::ApiError;
use crate::pipeline::Recomputed;
use crate::routes::vehicles::VehicleHealth;
use crate::state::AppState;

/// Vehicles per recompute transaction.
const PAGE: i64 = 100;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/vehicles/{vehicle_id}/health/recompute",
            post(recompute_vehicle),
        )
        .route("/v1/health/recompute", post(recompute_all))
}

/// One vehicle recomputed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VehicleRecompute {
    /// Vehicle.
    pub vehicle_id: String,
    /// Model used now.
    pub model_version: String,
    /// Model of the assessment before, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_model_version: Option<String>,
    /// Transitions made (and announced).
    pub transitions: Vec<TransitionView>,
    /// The new assessment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<VehicleHealth>,
}

/// Every vehicle recomputed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FleetRecompute {
    /// Model used now.
    pub model_version: String,
    /// Vehicles reassessed.
    pub vehicles: usize,
    /// Those whose assessment made transitions.
    pub changed: Vec<VehicleRecompute>,
}

fn view(r: Recomputed, model_version: &str) -> VehicleRecompute {
    VehicleRecompute {
        vehicle_id: r.vehicle_id,
        model_version: model_version.to_owned(),
        previous_model_version: r.previous_model_version,
        transitions: r.transitions,
        health: None,
    }
}

/// Reassess one vehicle with the current model.
#[utoipa::path(post, path = "/v1/vehicles/{vehicle_id}/health/recompute", tag = "recompute",
    params(("vehicle_id" = String, Path, description = "Vehicle id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = VehicleRecompute),
        Unauthorized,
        (status = 403, description = "Not an admin", body = shared_runtime::http::ErrorBody),
        NotFound,
    ))]
pub async fn recompute_vehicle(
    State(state): State<AppState>,
    Auth(claims): Auth,
    correlation: CorrelationId,
    ApiPath(vehicle_id): ApiPath<String>,
) -> Result<Json<VehicleRecompute>, ApiError> {
    claims.require(&[Role::Admin])?;
    let done = state
        .assessor
        .recompute(&[vehicle_id.as_str()], correlation.0)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::NotFound(format!("no health state for vehicle {vehicle_id}")))?;
    let mut out = view(done, state.assessor.model_version());
    let services = services::of_vehicle(&state.db, &vehicle_id).await?;
    out.health = vehicles::get(&state.db, &vehicle_id)
        .await?
        .and_then(VehicleHealth::from_row)
        .map(|h| h.with_services(&services));
    tracing::info!(%vehicle_id, by = %claims.sub, transitions = out.transitions.len(), "vehicle health recomputed");
    Ok(Json(out))
}

/// Reassess every vehicle with the current model (in transactions of 100 vehicles);
/// lists the vehicles whose assessment made transitions.
#[utoipa::path(post, path = "/v1/health/recompute", tag = "recompute",
    security(("bearer" = [])),
    responses(
        (status = 200, body = FleetRecompute),
        Unauthorized,
        (status = 403, description = "Not an admin", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn recompute_all(
    State(state): State<AppState>,
    Auth(claims): Auth,
    correlation: CorrelationId,
) -> Result<Json<FleetRecompute>, ApiError> {
    claims.require(&[Role::Admin])?;
    let model_version = state.assessor.model_version().to_owned();
    let mut out = FleetRecompute {
        model_version: model_version.clone(),
        vehicles: 0,
        changed: Vec::new(),
    };
    let mut after = String::new();
    loop {
        let ids = vehicles::ids_after(&state.db, &after, PAGE).await?;
        let Some(last) = ids.last() else { break };
        after.clone_from(last);
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        for r in state.assessor.recompute(&refs, correlation.0).await? {
            out.vehicles += 1;
            if !r.transitions.is_empty() {
                out.changed.push(view(r, &model_version));
            }
        }
        if (ids.len() as i64) < PAGE {
            break;
        }
    }
    tracing::info!(vehicles = out.vehicles, changed = out.changed.len(), by = %claims.sub, "fleet health recomputed");
    Ok(Json(out))
}
