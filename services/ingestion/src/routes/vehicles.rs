//! `/v1/vehicles`: which organization each vehicle belongs to (ADR 0008). Fleet
//! managers register their vehicles (or a device's first reading claims them); only an
//! admin moves one to another organization, and every move is recorded and announced.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shared_runtime::auth::{Auth, AuthError, Claims, Role};
use shared_runtime::http::{ApiJson, ApiPath, ApiQuery, CorrelationId};
use shared_runtime::openapi::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use shared_schemas::EventEnvelope;
use shared_schemas::events::OwnershipTransferred;
use shared_schemas::ids::{check_org_id, check_vehicle_id};
use utoipa::{IntoParams, ToSchema};

use crate::db::vehicles::{self, Register, TransferRow, VehicleRow};
use crate::domain::vin::check_vin;
use crate::error::ApiError;
use crate::state::AppState;

const MAX_LIMIT: i64 = 1_000;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/vehicles", get(list).post(register))
        .route("/v1/vehicles/{vehicle_id}", get(one))
        .route(
            "/v1/vehicles/{vehicle_id}/transfers",
            get(transfers).post(transfer),
        )
}

/// A vehicle to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterVehicle {
    /// The id its devices report under: 1–64 letters, digits and `. _ : -`.
    pub vehicle_id: String,
    /// Organization; admins must give it, fleet managers get their own.
    pub org_id: Option<String>,
    /// VIN (17 characters; check digit verified for North-American VINs).
    pub vin: Option<String>,
    /// A name for people: fleet number, plate (at most 100 characters).
    pub label: Option<String>,
}

/// Query of the vehicle list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Organization (admins; everyone else sees their own).
    pub org_id: Option<String>,
    /// Vehicles after this id (the `next_after` of the previous page).
    pub after: Option<String>,
    /// Page size, 1–1000 (default 200).
    pub limit: Option<i64>,
}

/// A page of vehicles, in id order.
#[derive(Debug, Serialize, ToSchema)]
pub struct VehiclePage {
    /// Vehicles.
    pub items: Vec<VehicleRow>,
    /// Pass as `after` for the next page; absent on the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}

/// A move to another organization.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// The organization the vehicle moves to.
    pub to_org_id: String,
    /// Why (1–500 characters), kept with the transfer for audit.
    pub reason: String,
}

fn org_id(field: &str, org: &str) -> Result<String, ApiError> {
    check_org_id(org).map_err(|m| ApiError::BadRequest(format!("`{field}` {m}")))?;
    Ok(org.to_owned())
}

/// The organization a manager acts for: an admin's choice, everyone else's own.
fn acting_org(claims: &Claims, requested: Option<&str>) -> Result<String, ApiError> {
    match (claims.role, requested) {
        (Role::Admin, Some(org)) => org_id("org_id", org),
        (Role::Admin, None) => Err(ApiError::BadRequest(
            "`org_id` is required for admins".to_owned(),
        )),
        (_, Some(org)) if org != claims.org => Err(ApiError::Auth(AuthError::Forbidden(format!(
            "you manage organization {}, not {org}",
            claims.org
        )))),
        _ => Ok(claims.org.clone()),
    }
}

/// The vehicle if the caller may see it; a vehicle of another organization and an
/// unknown one answer the same 404.
async fn visible(state: &AppState, claims: &Claims, id: &str) -> Result<VehicleRow, ApiError> {
    vehicles::get(&state.db, id)
        .await?
        .filter(|v| claims.can_read_vehicle(&v.org_id, &v.vehicle_id))
        .ok_or_else(|| ApiError::NotFound(format!("no vehicle {id}")))
}

/// Register a vehicle to an organization (admins; fleet managers for their own).
///
/// Vehicle ids are global: an id already registered, to any organization, answers
/// 409 and nothing about who holds it.
#[utoipa::path(post, path = "/v1/vehicles", tag = "vehicles", request_body = RegisterVehicle,
    security(("bearer" = [])),
    responses(
        (status = 201, body = VehicleRow),
        BadRequest,
        Unauthorized,
        Forbidden,
        (status = 409, description = "The id is already registered", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn register(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiJson(req): ApiJson<RegisterVehicle>,
) -> Result<(StatusCode, Json<VehicleRow>), ApiError> {
    claims.require(&[Role::Admin, Role::FleetManager])?;
    check_vehicle_id(&req.vehicle_id)
        .map_err(|m| ApiError::BadRequest(format!("`vehicle_id` {m}")))?;
    let vin = req.vin.as_deref().map(str::to_ascii_uppercase);
    if let Some(vin) = &vin {
        check_vin(vin).map_err(|m| ApiError::BadRequest(format!("`vin` {m}")))?;
    }
    let label = req
        .label
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty());
    if label.is_some_and(|l| l.chars().count() > 100) {
        return Err(ApiError::BadRequest(
            "`label` must be at most 100 characters".to_owned(),
        ));
    }
    let org = acting_org(&claims, req.org_id.as_deref())?;
    let row = vehicles::register(
        &state.db,
        &Register {
            vehicle_id: &req.vehicle_id,
            org_id: &org,
            vin: vin.as_deref(),
            label,
            by: &claims.sub,
        },
    )
    .await?
    .ok_or_else(|| {
        ApiError::Conflict(format!(
            "vehicle id {} is already registered; choose another id, or ask an admin to transfer it",
            req.vehicle_id
        ))
    })?;
    tracing::info!(vehicle_id = %row.vehicle_id, org = %row.org_id, by = %claims.sub, "vehicle registered");
    Ok((StatusCode::CREATED, Json(row)))
}

/// The vehicles the caller may see: an admin's or service's all (or one
/// organization's), an owner's own, everyone else's organization's.
#[utoipa::path(get, path = "/v1/vehicles", tag = "vehicles", params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = VehiclePage),
        BadRequest,
        Unauthorized,
        Forbidden,
    ))]
pub async fn list(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<VehiclePage>, ApiError> {
    let limit = q.limit.unwrap_or(200);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest("limit must be 1 to 1000".to_owned()));
    }
    let org = match claims.org_scope() {
        None => q.org_id,
        Some(own) => Some(acting_org(&claims, q.org_id.as_deref()).map(|_| own.to_owned())?),
    };
    let only = (claims.role == Role::Owner).then_some(&claims.vehicle_ids[..]);
    let items = vehicles::list(&state.db, org.as_deref(), only, q.after.as_deref(), limit).await?;
    let next_after = (items.len() as i64 == limit)
        .then(|| items.last().map(|v| v.vehicle_id.clone()))
        .flatten();
    Ok(Json(VehiclePage { items, next_after }))
}

/// One vehicle (404 when it is unknown or not visible to the caller).
#[utoipa::path(get, path = "/v1/vehicles/{vehicle_id}", tag = "vehicles",
    params(("vehicle_id" = String, Path, description = "Vehicle id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = VehicleRow),
        Unauthorized,
        NotFound,
    ))]
pub async fn one(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiPath(vehicle_id): ApiPath<String>,
) -> Result<Json<VehicleRow>, ApiError> {
    Ok(Json(visible(&state, &claims, &vehicle_id).await?))
}

/// The vehicle's moves between organizations, oldest first (admins).
#[utoipa::path(get, path = "/v1/vehicles/{vehicle_id}/transfers", tag = "vehicles",
    params(("vehicle_id" = String, Path, description = "Vehicle id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = [TransferRow]),
        Unauthorized,
        Forbidden,
        NotFound,
    ))]
pub async fn transfers(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiPath(vehicle_id): ApiPath<String>,
) -> Result<Json<Vec<TransferRow>>, ApiError> {
    claims.require(&[Role::Admin])?;
    visible(&state, &claims, &vehicle_id).await?;
    Ok(Json(vehicles::transfers_of(&state.db, &vehicle_id).await?))
}

/// Move a vehicle to another organization (admins). Recorded with its reason and
/// announced as `vehicle.ownership.transferred`: from now on the vehicle's readings
/// must come from the new organization's keys (every replica within 30 s), and its
/// health and alerts belong to it. Readings recorded before stay with the organization
/// that sent them.
#[utoipa::path(post, path = "/v1/vehicles/{vehicle_id}/transfers", tag = "vehicles",
    params(("vehicle_id" = String, Path, description = "Vehicle id")),
    request_body = TransferRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = TransferRow),
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        (status = 409, description = "It already belongs to that organization", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn transfer(
    State(state): State<AppState>,
    Auth(claims): Auth,
    correlation: CorrelationId,
    ApiPath(vehicle_id): ApiPath<String>,
    ApiJson(req): ApiJson<TransferRequest>,
) -> Result<(StatusCode, Json<TransferRow>), ApiError> {
    claims.require(&[Role::Admin])?;
    let to_org = org_id("to_org_id", &req.to_org_id)?;
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::BadRequest(
            "`reason` must be 1–500 characters".to_owned(),
        ));
    }
    let current = visible(&state, &claims, &vehicle_id).await?;
    if current.org_id == to_org {
        return Err(ApiError::Conflict(format!(
            "vehicle {vehicle_id} already belongs to {to_org}"
        )));
    }
    let mut tx = state.db.begin().await?;
    let row = vehicles::transfer(&mut tx, &vehicle_id, &to_org, reason, &claims.sub)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no vehicle {vehicle_id}")))?;
    let event = OwnershipTransferred {
        transfer_id: row.id,
        vehicle_id: row.vehicle_id.clone(),
        from_org_id: row.from_org_id.clone(),
        to_org_id: row.to_org_id.clone(),
        reason: row.reason.clone(),
        transferred_by: row.transferred_by.clone(),
        transferred_at: row.transferred_at,
    };
    let envelope = EventEnvelope::new("ingestion", correlation.0, event).at(row.transferred_at);
    shared_runtime::outbox::enqueue(&mut tx, &envelope)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    tx.commit().await?;
    state.relay.notify_one();
    state.owners.forget(&vehicle_id);
    tracing::info!(
        vehicle_id = %row.vehicle_id, from = %row.from_org_id, to = %row.to_org_id,
        by = %claims.sub, "vehicle transferred"
    );
    Ok((StatusCode::CREATED, Json(row)))
}
