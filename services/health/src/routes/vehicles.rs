//! `GET /v1/vehicles/{vehicle_id}/health…`: a vehicle's current health, one component,
//! and the downsampled history.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_runtime::auth::Auth;
use shared_runtime::http::{ApiPath, ApiQuery};
use shared_runtime::openapi::responses::Unauthorized;
use shared_schemas::events::{Component, ComponentHealth, ComponentUnknown, HealthBand};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db::history::{self, Point};
use crate::db::services::{self, Service};
use crate::db::vehicles::{self, HealthRow};
use crate::domain::position::Position;
use crate::domain::{component, history as plan};
use crate::error::ApiError;
use crate::pipeline::band;
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/vehicles/{vehicle_id}/health", get(current))
        .route("/v1/vehicles/{vehicle_id}/health/history", get(history))
        .route(
            "/v1/vehicles/{vehicle_id}/health/{component}",
            get(one_component),
        )
}

/// A vehicle's current health.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VehicleHealth {
    /// Vehicle.
    pub vehicle_id: String,
    /// Organization.
    pub org_id: String,
    /// The newest reading: the instant assessed.
    pub newest_reading_at: DateTime<Utc>,
    /// When the assessment was made (wall clock).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assessed_at: Option<DateTime<Utc>>,
    /// The worst component's score, 0..1.
    pub overall_score: f64,
    /// Its band.
    pub overall_band: HealthBand,
    /// Recent distance per calendar day, km (RUL in km derives from it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daily_km: Option<f64>,
    /// Odometer of the newest reading, km.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub odometer_km: Option<f64>,
    /// Engine hours of the newest reading (or the latest one before it that had them), h.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine_hours: Option<f64>,
    /// The newest GPS fix: the position of the newest reading that had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    /// Version of the model that assessed it.
    pub model_version: String,
    /// Every component the vehicle reports on: score, band, RUL (days, km),
    /// confidence, factors, and its latest service when known.
    pub components: Vec<ComponentView>,
    /// Components the vehicle reports signals of whose health its readings cannot
    /// judge (their indicators' operating conditions never occurred), with the evidence
    /// each needs: unknown, with no score, band or RUL.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<ComponentUnknown>,
}

/// A component's health and its latest service.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComponentView {
    /// The component's health.
    #[serde(flatten)]
    pub health: ComponentHealth,
    /// When the component was last serviced (`appointment.completed`): its baseline is
    /// learned from the readings after it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serviced_at: Option<DateTime<Utc>>,
    /// The appointment of that service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serviced_appointment_id: Option<Uuid>,
}

impl VehicleHealth {
    /// Adds each component's latest service.
    pub fn with_services(mut self, services: &[Service]) -> Self {
        for c in &mut self.components {
            if let Some(s) = services
                .iter()
                .find(|s| s.component == c.health.component.as_str())
            {
                c.serviced_at = Some(s.serviced_at);
                c.serviced_appointment_id = Some(s.appointment_id);
            }
        }
        self
    }

    /// The view of a stored row (without services); `None` before its first assessment.
    pub fn from_row(row: HealthRow) -> Option<Self> {
        Some(Self {
            newest_reading_at: row.newest_at?,
            overall_score: row.overall_score?,
            overall_band: band(row.overall_band.as_deref())?,
            model_version: row.model_version?,
            vehicle_id: row.vehicle_id,
            org_id: row.org_id,
            assessed_at: row.assessed_at,
            daily_km: row.daily_km,
            odometer_km: row.odometer_km,
            engine_hours: row.engine_hours,
            position: Position::of(row.position_lat, row.position_lon, row.position_at),
            components: row
                .components
                .0
                .into_iter()
                .map(|health| ComponentView {
                    health,
                    serviced_at: None,
                    serviced_appointment_id: None,
                })
                .collect(),
            unknown: row.unknown_components.0,
        })
    }
}

/// One component of a vehicle.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComponentDetail {
    /// Vehicle.
    pub vehicle_id: String,
    /// The newest reading: the instant assessed.
    pub newest_reading_at: DateTime<Utc>,
    /// Recent distance per calendar day, km.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daily_km: Option<f64>,
    /// The component's health and latest service.
    #[serde(flatten)]
    pub health: ComponentView,
}

/// The assessed vehicle (with its services) if the caller may see it; an unknown
/// vehicle and one out of scope both answer 404, so existence does not leak.
pub(crate) async fn visible(
    state: &AppState,
    auth: &Auth,
    vehicle_id: &str,
) -> Result<VehicleHealth, ApiError> {
    // Services first: a repair committing between the two reads then shows the reset
    // health without its service date for a moment, never the old health as serviced.
    let services = services::of_vehicle(&state.db, vehicle_id).await?;
    let health = vehicles::get(&state.db, vehicle_id)
        .await?
        .filter(|r| auth.0.can_read_vehicle(&r.org_id, vehicle_id))
        .and_then(VehicleHealth::from_row)
        .ok_or_else(|| {
            ApiError::NotFound(format!("no health assessment for vehicle {vehicle_id}"))
        })?;
    Ok(health.with_services(&services))
}

/// A vehicle's current health: every component's score, band, RUL in days and km,
/// confidence, factors and latest service, the overall score, and the newest
/// reading's time, odometer, engine hours and the newest GPS fix.
#[utoipa::path(get, path = "/v1/vehicles/{vehicle_id}/health", tag = "health",
    params(("vehicle_id" = String, Path, description = "Vehicle id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = VehicleHealth),
        Unauthorized,
        (status = 404, description = "Not assessed yet, or not visible to the caller", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn current(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(vehicle_id): ApiPath<String>,
) -> Result<Json<VehicleHealth>, ApiError> {
    Ok(Json(visible(&state, &auth, &vehicle_id).await?))
}

/// One component of a vehicle.
#[utoipa::path(get, path = "/v1/vehicles/{vehicle_id}/health/{component}", tag = "health",
    params(
        ("vehicle_id" = String, Path, description = "Vehicle id"),
        ("component" = Component, Path, description = "Component"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ComponentDetail),
        (status = 400, description = "Unknown component; the valid ones are named", body = shared_runtime::http::ErrorBody),
        Unauthorized,
        (status = 404, description = "Not assessed, not reported by this vehicle, or not visible to the caller", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn one_component(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((vehicle_id, name)): ApiPath<(String, String)>,
) -> Result<Json<ComponentDetail>, ApiError> {
    let c = component::parse(&name).map_err(ApiError::BadRequest)?;
    let health = visible(&state, &auth, &vehicle_id).await?;
    let detail = health
        .components
        .into_iter()
        .find(|h| h.health.component == c)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "vehicle {vehicle_id} has no {} assessment (it does not report on it)",
                c.as_str()
            ))
        })?;
    Ok(Json(ComponentDetail {
        vehicle_id: health.vehicle_id,
        newest_reading_at: health.newest_reading_at,
        daily_km: health.daily_km,
        health: detail,
    }))
}

/// History query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// One component (default: every component).
    pub component: Option<String>,
    /// Start (inclusive, RFC 3339); default 7 days before `to`.
    pub from: Option<DateTime<Utc>>,
    /// End (exclusive, RFC 3339); default now.
    pub to: Option<DateTime<Utc>>,
    /// `raw`, `auto` (default: the finest bucket that fits `points`), a duration such
    /// as `15m`, `1h`, `6h`, `1d`, a number of seconds, or ISO 8601 (`PT1H`, `P1D`);
    /// at least 60 s.
    pub bucket: Option<String>,
    /// Most points per component, 1–5000 (default 500).
    pub points: Option<u32>,
}

/// A component's series.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Series {
    /// Component.
    pub component: Component,
    /// Points, oldest first.
    pub points: Vec<HistoryPoint>,
}

/// One point: a bucket's averages and minima (or one raw record).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryPoint {
    /// Bucket start (raw: the instant assessed).
    pub at: DateTime<Utc>,
    /// Average score.
    pub score: f64,
    /// Lowest score.
    pub score_min: f64,
    /// Band of the lowest score.
    pub band: HealthBand,
    /// Average RUL, days.
    pub rul_days: f64,
    /// Lowest RUL, days.
    pub rul_days_min: f64,
    /// Average RUL, km, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rul_km: Option<f64>,
    /// Average confidence.
    pub confidence: f64,
    /// Records in the bucket.
    pub samples: i64,
}

/// A vehicle's health history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HealthHistory {
    /// Vehicle.
    pub vehicle_id: String,
    /// Start (inclusive).
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
    /// `raw` or the bucket width, e.g. `1h`.
    pub bucket: String,
    /// Bucket width, seconds (absent for raw).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket_seconds: Option<i64>,
    /// Most points per series.
    pub max_points: u32,
    /// One series per component with records in the range.
    pub series: Vec<Series>,
}

/// A vehicle's component health over time, downsampled for charts: per bucket the
/// average and minimum score and RUL (buckets aligned on `from`).
#[utoipa::path(get, path = "/v1/vehicles/{vehicle_id}/health/history", tag = "health",
    params(("vehicle_id" = String, Path, description = "Vehicle id"), HistoryQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = HealthHistory),
        (status = 400, description = "Bad component, range, bucket or points", body = shared_runtime::http::ErrorBody),
        Unauthorized,
        (status = 404, description = "Not assessed, or not visible to the caller", body = shared_runtime::http::ErrorBody),
    ))]
pub async fn history(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(vehicle_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<Json<HealthHistory>, ApiError> {
    let component = q
        .component
        .as_deref()
        .map(component::parse)
        .transpose()
        .map_err(ApiError::BadRequest)?;
    let p = plan::plan(q.from, q.to, q.bucket.as_deref(), q.points, Utc::now())
        .map_err(ApiError::BadRequest)?;
    visible(&state, &auth, &vehicle_id).await?;
    let name = component.map(Component::as_str);
    let rows = match p.bucket_s {
        Some(bucket_s) => {
            history::bucketed(&state.db, &vehicle_id, name, p.from, p.to, bucket_s).await?
        }
        None => {
            let rows = history::raw(
                &state.db,
                &vehicle_id,
                name,
                p.from,
                p.to,
                i64::from(p.points) + 1,
            )
            .await?;
            if rows.iter().any(|r| r.samples > i64::from(p.points)) {
                return Err(ApiError::BadRequest(format!(
                    "more than `points` = {} raw records per component in the range; \
                     use a bucket (e.g. `auto`), a shorter range or more points (at most {})",
                    p.points,
                    plan::MAX_POINTS
                )));
            }
            rows.into_iter()
                .map(|r| Point { samples: 1, ..r })
                .collect()
        }
    };
    Ok(Json(HealthHistory {
        vehicle_id,
        from: p.from,
        to: p.to,
        bucket: p.bucket_label(),
        bucket_seconds: p.bucket_s,
        max_points: p.points,
        series: series(rows),
    }))
}

/// Groups rows (ordered by component, then time) into series.
fn series(rows: Vec<Point>) -> Vec<Series> {
    let mut out: Vec<Series> = Vec::new();
    for r in rows {
        let Ok(c) = component::parse(&r.component) else {
            continue;
        };
        let point = HistoryPoint {
            at: r.at,
            score: round(r.score),
            score_min: r.score_min,
            band: HealthBand::from_score(r.score_min),
            rul_days: round(r.rul_days),
            rul_days_min: r.rul_days_min,
            rul_km: r.rul_km.map(round),
            confidence: round(r.confidence),
            samples: r.samples,
        };
        match out.last_mut() {
            Some(s) if s.component == c => s.points.push(point),
            _ => out.push(Series {
                component: c,
                points: vec![point],
            }),
        }
    }
    out
}

/// Averages to 4 decimals (scores are stored with 4).
fn round(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}
