//! A vehicle's claim history without money or fraud analysis
//! (`GET /v1/vehicles/{vehicle_id}/claims`): what failed, when, at what odometer and
//! how the claim stands. A technician diagnosing a repeat failure and the agent's tool
//! read it; the claims themselves (costs, fraud scores) stay with their readers.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shared_runtime::auth::{Auth, Role};
use shared_runtime::http::{ApiPath, ApiQuery};
use shared_runtime::openapi::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use shared_schemas::events::{Component, Coverage};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::scope::{limit, org_for};
use crate::db::claims::{self as db, Filter, StoredClaim};
use crate::domain::claim_status::ClaimStatus;
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/v1/vehicles/{vehicle_id}/claims", get(history))
}

/// Which claims.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// The vehicle's organization, when the caller knows it (a vehicle of another
    /// organization is then a 404).
    pub org_id: Option<String>,
    /// Most claims (1 to 500, default 100).
    pub limit: Option<i64>,
}

/// One claim as the vehicle's history shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClaimSummary {
    /// The claim.
    pub claim_id: Uuid,
    /// The failed component.
    pub component: Component,
    /// Where the claim stands.
    pub status: ClaimStatus,
    /// Day of the failure.
    pub failure_date: NaiveDate,
    /// Odometer at failure, km.
    pub odometer_km: f64,
    /// What the claimant described.
    pub description: String,
    /// The coverage it fell under, once checked.
    #[schema(value_type = Option<String>)]
    pub coverage: Option<Coverage>,
    /// When it was filed.
    pub submitted_at: DateTime<Utc>,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<StoredClaim> for ClaimSummary {
    fn from(s: StoredClaim) -> Self {
        Self {
            claim_id: s.claim.id,
            component: s.claim.component,
            status: s.status,
            failure_date: s.claim.failure_date,
            odometer_km: s.claim.odometer_km,
            description: s.claim.description,
            coverage: s.coverage,
            submitted_at: s.claim.submitted_at,
            decided_at: s.decided_at,
        }
    }
}

/// The vehicle's claims, newest first, without costs or fraud analysis. The vehicle is
/// known by its contract or its claims; one out of the caller's reach, or unknown, is
/// a 404.
#[utoipa::path(get, path = "/v1/vehicles/{vehicle_id}/claims", tag = "claims",
    params(("vehicle_id" = String, Path, description = "Vehicle id"), HistoryQuery),
    security(("bearer" = [])),
    responses((status = 200, body = [ClaimSummary]), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn history(
    State(state): State<AppState>,
    Auth(c): Auth,
    ApiPath(vehicle_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<Json<Vec<ClaimSummary>>, ApiError> {
    c.require(&[
        Role::Admin,
        Role::FleetManager,
        Role::Technician,
        Role::Owner,
        Role::Support,
        Role::Service,
    ])?;
    let named = match q.org_id.as_deref() {
        Some(org) => Some(org_for(&c, Some(org), None)?),
        None => None,
    };
    let limit = limit(q.limit)?;
    let not_found = || ApiError::NotFound(format!("no vehicle {vehicle_id}"));
    let vehicles = [vehicle_id.clone()];
    // The contract first: it takes a connection of its own, and holding ours across
    // it would need two per request.
    let contract = state.desk.contract(&vehicle_id).await?;
    let has_contract = contract.is_some();
    let mut conn = state.db.acquire().await?;
    let org = match (contract, named.or_else(|| c.org_scope().map(str::to_owned))) {
        (Some(k), wanted) if wanted.as_ref().is_none_or(|w| *w == k.org_id) => k.org_id,
        (Some(_), _) => return Err(not_found()),
        (None, Some(org)) => org,
        // No contract, a caller of every organization: the organization of its claims.
        (None, None) => db::list(&mut conn, &filter(None, &vehicles, 1))
            .await?
            .into_iter()
            .next()
            .map(|s| s.claim.org_id)
            .ok_or_else(not_found)?,
    };
    if !c.can_read_vehicle(&org, &vehicle_id) {
        return Err(not_found());
    }
    let claims = db::list(&mut conn, &filter(Some(&org), &vehicles, limit)).await?;
    if claims.is_empty() && !has_contract {
        // Neither a contract nor a claim in that organization: unknown here.
        return Err(not_found());
    }
    Ok(Json(claims.into_iter().map(ClaimSummary::from).collect()))
}

fn filter<'a>(org: Option<&'a str>, vehicles: &'a [String], limit: i64) -> Filter<'a> {
    Filter {
        org,
        vehicles: Some(vehicles),
        status: None,
        limit,
        oldest_first: false,
    }
}
