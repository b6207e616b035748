//! Contracts: `PUT /v1/contracts/{vehicle_id}` (admins and the organization's fleet
//! managers), `GET /v1/contracts/{vehicle_id}` (also the vehicle's owner) and
//! `GET /v1/contracts` (scoped).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Datelike, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shared_runtime::auth::{Auth, Role};
use shared_runtime::http::{ApiJson, ApiPath, ApiQuery};
use shared_runtime::openapi::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use shared_schemas::events::{Component, Coverage};
use utoipa::{IntoParams, ToSchema};

use super::scope::{limit, org_for, vehicles_in_reach};
use crate::db::contracts;
use crate::domain::claim_input::{EARLIEST_YEAR, check_vin};
use crate::domain::coverage::standard_terms;
use crate::domain::model::{Contract, CoverageTerm};
use crate::error::ApiError;
use crate::state::AppState;

/// Who manages contracts.
const MANAGERS: [Role; 2] = [Role::Admin, Role::FleetManager];

pub(crate) fn router() -> axum::Router<AppState> {
    Router::new()
        .route("/v1/contracts", get(list))
        .route("/v1/contracts/{vehicle_id}", get(one).put(put))
}

/// A coverage a contract adds to the standard terms.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionInput {
    /// Which coverage (usually `extended`).
    #[schema(value_type = String)]
    pub coverage: Coverage,
    /// Months from the start date, 1 to 240.
    pub months: u32,
    /// Km from the start odometer, absent = unlimited.
    pub km: Option<f64>,
    /// The components it covers (at least one).
    pub components: Vec<Component>,
}

/// A vehicle's contract.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractInput {
    /// Organization (admins must give it; others use their own).
    pub org_id: Option<String>,
    /// The VIN (17 characters, no I, O or Q; the check digit is not enforced).
    pub vin: String,
    /// Delivery day (from 1900 to a year ahead).
    pub start_date: NaiveDate,
    /// Odometer at delivery, km.
    pub start_odometer_km: f64,
    /// Coverages beyond the standard ones.
    #[serde(default)]
    pub extensions: Vec<ExtensionInput>,
    /// Deductible per claim.
    pub deductible: f64,
    /// ISO 4217 code.
    pub currency: String,
}

/// A contract as stored: the standard terms and the extensions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContractView {
    /// The contract.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub contract: Contract,
}

/// A delivery day from 1900 to a year ahead (a contract may be set up before
/// delivery); anything else is a typo.
fn check_start(day: NaiveDate, problems: &mut Vec<String>) {
    let latest = Utc::now().date_naive() + Days::new(366);
    if day.year() < EARLIEST_YEAR || day > latest {
        problems.push(format!(
            "`start_date` must be from {EARLIEST_YEAR}-01-01 to {latest}, not {day}"
        ));
    }
}

fn contract_of(vehicle_id: String, org_id: String, b: ContractInput) -> Result<Contract, ApiError> {
    let mut problems = Vec::new();
    let vin = check_vin(&b.vin)
        .map_err(|e| problems.push(e))
        .unwrap_or_default();
    check_start(b.start_date, &mut problems);
    if !(0.0..=5_000_000.0).contains(&b.start_odometer_km) {
        problems.push(format!(
            "`start_odometer_km` must be 0 to 5,000,000, not {}",
            b.start_odometer_km
        ));
    }
    if !(0.0..=1_000_000.0).contains(&b.deductible) {
        problems.push(format!(
            "`deductible` must be 0 to 1,000,000, not {}",
            b.deductible
        ));
    }
    if b.currency.len() != 3 || !b.currency.bytes().all(|c| c.is_ascii_uppercase()) {
        problems.push(format!(
            "`currency` must be three capital letters, not {:?}",
            b.currency
        ));
    }
    let mut terms = standard_terms();
    for (i, e) in b.extensions.into_iter().enumerate() {
        if !(1..=240).contains(&e.months) {
            problems.push(format!(
                "`extensions[{i}].months` must be 1 to 240, not {}",
                e.months
            ));
        }
        if e.km.is_some_and(|k| !(1.0..=5_000_000.0).contains(&k)) {
            problems.push(format!(
                "`extensions[{i}].km` must be 1 to 5,000,000 or absent"
            ));
        }
        if e.components.is_empty() {
            problems.push(format!(
                "`extensions[{i}].components` must name at least one"
            ));
        }
        terms.push(CoverageTerm {
            coverage: e.coverage,
            months: e.months,
            km: e.km,
            components: e.components,
        });
    }
    if !problems.is_empty() {
        return Err(ApiError::BadRequest(problems.join("; ")));
    }
    Ok(Contract {
        vehicle_id,
        org_id,
        vin,
        start_date: b.start_date,
        start_odometer_km: b.start_odometer_km,
        terms,
        deductible: b.deductible,
        currency: b.currency,
    })
}

/// Sets a vehicle's contract: the standard terms plus the extensions given.
#[utoipa::path(put, path = "/v1/contracts/{vehicle_id}", tag = "contracts",
    params(("vehicle_id" = String, Path)), request_body = ContractInput,
    security(("bearer" = [])),
    responses((status = 200, body = ContractView), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn put(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(vehicle_id): ApiPath<String>,
    ApiJson(body): ApiJson<ContractInput>,
) -> Result<Json<ContractView>, ApiError> {
    c.require(&MANAGERS)?;
    shared_schemas::ids::check_vehicle_id(&vehicle_id)
        .map_err(|m| ApiError::BadRequest(format!("`vehicle_id` {m}")))?;
    let org = org_for(&c, body.org_id.as_deref(), None)?;
    let contract = contract_of(vehicle_id, org, body)?;
    let mut conn = state.db.acquire().await?;
    if !contracts::put(&mut conn, &contract, &c.sub).await? {
        return Err(ApiError::NotFound(format!(
            "no vehicle {} in {}",
            contract.vehicle_id, contract.org_id
        )));
    }
    Ok(Json(ContractView { contract }))
}

/// A vehicle's contract.
#[utoipa::path(get, path = "/v1/contracts/{vehicle_id}", tag = "contracts",
    params(("vehicle_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ContractView), Unauthorized, NotFound))]
pub async fn one(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(vehicle_id): ApiPath<String>,
) -> Result<Json<ContractView>, ApiError> {
    let mut conn = state.db.acquire().await?;
    contracts::get(&mut conn, &vehicle_id)
        .await?
        .filter(|k| c.can_read_vehicle(&k.org_id, &k.vehicle_id))
        .map(|contract| Json(ContractView { contract }))
        .ok_or_else(|| ApiError::NotFound(format!("no contract for vehicle {vehicle_id}")))
}

/// Filters of the contract list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ContractQuery {
    /// One vehicle.
    pub vehicle_id: Option<String>,
    /// Most contracts (1 to 500, default 100).
    pub limit: Option<i64>,
}

/// The contracts the caller reaches, by vehicle.
#[utoipa::path(get, path = "/v1/contracts", tag = "contracts", params(ContractQuery),
    security(("bearer" = [])),
    responses((status = 200, body = [ContractView]), BadRequest, Unauthorized))]
pub async fn list(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiQuery(q): ApiQuery<ContractQuery>,
) -> Result<Json<Vec<ContractView>>, ApiError> {
    let vehicles = vehicles_in_reach(&c, q.vehicle_id.as_deref());
    let mut conn = state.db.acquire().await?;
    let rows = contracts::list(
        &mut conn,
        c.org_scope(),
        vehicles.as_deref(),
        limit(q.limit)?,
    )
    .await?;
    Ok(Json(
        rows.into_iter()
            .map(|contract| ContractView { contract })
            .collect(),
    ))
}
