//! `GET /v1/fleet/health/summary`: health distribution and the vehicles most at risk.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shared_runtime::auth::{Auth, Role};
use shared_runtime::http::ApiQuery;
use shared_runtime::openapi::responses::Unauthorized;
use shared_schemas::events::{Component, ComponentHealth, HealthBand};
use utoipa::{IntoParams, ToSchema};

use crate::db::band_from_str;
use crate::db::vehicles::{self, Scope};
use crate::domain::component;
use crate::error::ApiError;
use crate::routes::vehicles::VehicleHealth;
use crate::state::AppState;

/// Most vehicles `top` may ask for.
const MAX_TOP: u32 = 100;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/v1/fleet/health/summary", get(summary))
}

/// Summary query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// How many of the vehicles most at risk to list, 0–100 (default 10).
    pub top: Option<u32>,
}

/// Vehicles per band.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct BandCounts {
    /// Score 0.8–1.
    pub excellent: i64,
    /// 0.6–0.8.
    pub good: i64,
    /// 0.4–0.6.
    pub fair: i64,
    /// 0.2–0.4.
    pub poor: i64,
    /// Below 0.2.
    pub critical: i64,
}

impl BandCounts {
    fn add(&mut self, band: HealthBand, n: i64) {
        let slot = match band {
            HealthBand::Excellent => &mut self.excellent,
            HealthBand::Good => &mut self.good,
            HealthBand::Fair => &mut self.fair,
            HealthBand::Poor => &mut self.poor,
            HealthBand::Critical => &mut self.critical,
        };
        *slot += n;
    }

    fn total(&self) -> i64 {
        self.excellent + self.good + self.fair + self.poor + self.critical
    }
}

/// A vehicle at risk, with its worst component.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AtRisk {
    /// Vehicle.
    pub vehicle_id: String,
    /// Organization.
    pub org_id: String,
    /// Worst component score.
    pub overall_score: f64,
    /// Its band.
    pub overall_band: HealthBand,
    /// The newest reading.
    pub newest_reading_at: chrono::DateTime<chrono::Utc>,
    /// The worst component (lowest score, then shortest RUL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worst_component: Option<ComponentHealth>,
}

/// The fleet's health at a glance.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FleetSummary {
    /// The organization summarized (absent: every organization, for admins).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    /// Vehicles assessed.
    pub vehicles: i64,
    /// Vehicles per overall band.
    pub overall: BandCounts,
    /// Per component: vehicles per band of that component (every component listed).
    pub components: BTreeMap<Component, BandCounts>,
    /// The vehicles most at risk, worst first.
    pub at_risk: Vec<AtRisk>,
}

/// Health distribution of the caller's vehicles (an admin's: every organization; an
/// owner's: their vehicles) and the `top` vehicles most at risk.
#[utoipa::path(get, path = "/v1/fleet/health/summary", tag = "fleet",
    params(SummaryQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = FleetSummary),
        (status = 400, description = "Bad `top`", body = shared_runtime::http::ErrorBody),
        Unauthorized,
    ))]
pub async fn summary(
    State(state): State<AppState>,
    Auth(claims): Auth,
    ApiQuery(q): ApiQuery<SummaryQuery>,
) -> Result<Json<FleetSummary>, ApiError> {
    let top = q.top.unwrap_or(10);
    if top > MAX_TOP {
        return Err(ApiError::BadRequest(format!(
            "`top` must be 0..={MAX_TOP}, got {top}"
        )));
    }
    let scope = Scope {
        org_id: claims.org_scope(),
        vehicle_ids: (claims.role == Role::Owner).then_some(claims.vehicle_ids.as_slice()),
    };
    let mut overall = BandCounts::default();
    for (band, n) in vehicles::overall_bands(&state.db, scope).await? {
        if let Some(b) = band_from_str(&band) {
            overall.add(b, n);
        }
    }
    let mut components: BTreeMap<Component, BandCounts> = Component::ALL
        .into_iter()
        .map(|c| (c, BandCounts::default()))
        .collect();
    for (c, band, n) in vehicles::component_bands(&state.db, scope).await? {
        if let (Ok(c), Some(b)) = (component::parse(&c), band_from_str(&band)) {
            components.entry(c).or_default().add(b, n);
        }
    }
    let at_risk = vehicles::most_at_risk(&state.db, scope, i64::from(top))
        .await?
        .into_iter()
        .filter_map(VehicleHealth::from_row)
        .map(|v| AtRisk {
            worst_component: v
                .components
                .iter()
                .map(|c| &c.health)
                .min_by(|a, b| {
                    a.score
                        .total_cmp(&b.score)
                        .then(a.rul_days.total_cmp(&b.rul_days))
                })
                .cloned(),
            vehicle_id: v.vehicle_id,
            org_id: v.org_id,
            overall_score: v.overall_score,
            overall_band: v.overall_band,
            newest_reading_at: v.newest_reading_at,
        })
        .collect();
    Ok(Json(FleetSummary {
        org_id: scope.org_id.map(str::to_owned),
        vehicles: overall.total(),
        overall,
        components,
        at_risk,
    }))
}
