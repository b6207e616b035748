//! The dashboard's figures: [`Metrics`] runs the read-model queries of a scope and
//! window concurrently and assembles the summary (ADR 0014 defines each figure).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde::Serialize;
use shared_schemas::events::HealthBand;
use sqlx::PgPool;
use utoipa::ToSchema;

use crate::db::metrics::query::{
    self, AlertFigures, AvoidedCost, BandRow, DecisionFigures, PredictionFigures, ServiceFigures,
};
use crate::db::metrics::{Filter, Scope};
use crate::domain::metrics::{self as rules, BANDS, Window};

/// What cost avoided needs and no event carries: said in every answer instead of a
/// made-up constant.
pub const BREAKDOWN_COST_MISSING: &str = "No event carries the cost of a breakdown (towing, \
     downtime, collateral damage), so cost avoided = sum over failures avoided of (breakdown \
     cost - predicted repair cost) cannot be computed; the predicted repair costs of the \
     failures avoided are given.";

/// How uptime is counted (ADR 0014).
pub const UPTIME_BASIS: &str = "Share of vehicle-days with a health report whose day-end \
     overall band was not critical; days without a report are not counted.";

/// The dashboard summary of a scope over a window.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Summary {
    /// The organization counted (`null`: every one the caller sees).
    pub org: Option<String>,
    /// First day of the window (UTC).
    pub from: chrono::NaiveDate,
    /// Last day of the window (UTC, today).
    pub to: chrono::NaiveDate,
    /// The fleet now.
    pub fleet: Fleet,
    /// Uptime over the window.
    pub uptime: Uptime,
    /// Alerts raised in the window.
    pub alerts: AlertFigures,
    /// Decisions made in the window.
    pub decisions: Decisions,
    /// Prediction episodes begun in the window.
    pub predictions: PredictionFigures,
    /// Cost avoided by failures avoided in the window.
    pub cost_avoided: CostAvoided,
    /// Scheduling and warranty activity in the window.
    pub service: Service,
}

/// The fleet's current health.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Fleet {
    /// Vehicles with a health assessment.
    pub vehicles: i64,
    /// Of which need attention (overall fair or worse, or a component poor or worse).
    pub needing_attention: i64,
    /// Mean overall score, 0..1.
    pub mean_score: Option<f64>,
    /// Vehicles per overall band, best first.
    pub by_band: Vec<BandCount>,
}

/// Vehicles in one band.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BandCount {
    /// Band.
    pub band: HealthBand,
    /// Vehicles.
    pub vehicles: i64,
}

/// Uptime and its inputs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Uptime {
    /// Vehicle-days with a report.
    pub observed_vehicle_days: i64,
    /// Of which ended critical.
    pub critical_vehicle_days: i64,
    /// Operable share, 0..1 (`null` without any report).
    pub ratio: Option<f64>,
    /// How it is counted.
    pub basis: &'static str,
}

/// Decisions and the fallback rate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Decisions {
    /// Counts.
    #[serde(flatten)]
    pub figures: DecisionFigures,
    /// Share answered by the rule-based fallback, 0..1.
    pub fallback_rate: Option<f64>,
}

/// Cost avoided: what events give, and what they do not.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CostAvoided {
    /// Failures avoided (predicted, then serviced before failing).
    pub failures_avoided: i64,
    /// Their predicted repair costs per currency.
    pub repair_estimates: Vec<AvoidedCost>,
    /// Cost avoided; `null` because no event carries breakdown costs (see `missing`).
    pub value: Option<f64>,
    /// What is missing to compute it.
    pub missing: &'static str,
}

/// Scheduling and warranty, with the claim approval rate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Service {
    /// Counts.
    #[serde(flatten)]
    pub figures: ServiceFigures,
    /// Approved / (approved + rejected), 0..1.
    pub claim_approval_rate: Option<f64>,
}

/// How long a summary is served from memory: dashboards poll it, many users of one
/// organization see the same one, and its figures move by the minute at most.
pub const SUMMARY_TTL: Duration = Duration::from_secs(5);

/// Most summaries kept (scopes and windows); expired ones go first, then all.
const CACHE_MAX: usize = 1_000;

type SummaryCache = Arc<Mutex<HashMap<(Scope, Window), (Instant, Summary)>>>;

/// The figures of the read models.
#[derive(Debug, Clone)]
pub struct Metrics {
    db: PgPool,
    cache: SummaryCache,
}

impl Metrics {
    /// Figures from `db`.
    pub fn new(db: PgPool) -> Self {
        Self {
            db,
            cache: SummaryCache::default(),
        }
    }

    /// The summary of `scope` over `window`, at most [`SUMMARY_TTL`] old.
    pub async fn summary(&self, scope: &Scope, window: Window) -> Result<Summary, sqlx::Error> {
        let key = (scope.clone(), window);
        let hit = self
            .cached()
            .get(&key)
            .filter(|(at, _)| at.elapsed() < SUMMARY_TTL)
            .map(|(_, s)| s.clone());
        if let Some(s) = hit {
            return Ok(s);
        }
        let fresh = self.compute(scope, window).await?;
        let mut cache = self.cached();
        if cache.len() >= CACHE_MAX {
            cache.retain(|_, (at, _)| at.elapsed() < SUMMARY_TTL);
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
        }
        cache.insert(key, (Instant::now(), fresh.clone()));
        Ok(fresh)
    }

    fn cached(&self) -> std::sync::MutexGuard<'_, HashMap<(Scope, Window), (Instant, Summary)>> {
        // A panic while holding it leaves a usable map (entries are whole or absent).
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The database (for the routes' lists and series).
    pub fn db(&self) -> &PgPool {
        &self.db
    }

    /// The health distribution per day (see [`health_series`]).
    pub async fn health_series(
        &self,
        scope: &Scope,
        window: Window,
    ) -> Result<HealthSeries, sqlx::Error> {
        health_series(&self.db, scope, window).await
    }

    /// Alerts per day and their totals (see [`alert_series`]).
    pub async fn alert_series(
        &self,
        scope: &Scope,
        window: Window,
    ) -> Result<AlertSeries, sqlx::Error> {
        alert_series(&self.db, scope, window).await
    }

    /// The summary of `scope` over `window` from the database, its queries run
    /// concurrently.
    async fn compute(&self, scope: &Scope, window: Window) -> Result<Summary, sqlx::Error> {
        let f = Filter { scope, window };
        let db = &self.db;
        let (bands, uptime, alerts, decisions, predictions, avoided, service) = tokio::try_join!(
            query::bands(db, f),
            query::uptime(db, f),
            query::alerts(db, f),
            query::decisions(db, f),
            query::predictions(db, f),
            query::avoided_costs(db, f),
            query::service(db, f),
        )?;
        Ok(Summary {
            org: scope.org.clone(),
            from: window.first_day,
            to: window.last_day,
            fleet: fleet(&bands),
            uptime: Uptime {
                observed_vehicle_days: uptime.observed,
                critical_vehicle_days: uptime.critical,
                ratio: rules::uptime(uptime.observed, uptime.critical),
                basis: UPTIME_BASIS,
            },
            alerts,
            decisions: Decisions {
                fallback_rate: rules::ratio(decisions.fallback_used, decisions.total),
                figures: decisions,
            },
            predictions,
            cost_avoided: CostAvoided {
                failures_avoided: avoided.iter().map(|a| a.failures).sum(),
                repair_estimates: avoided,
                value: None,
                missing: BREAKDOWN_COST_MISSING,
            },
            service: Service {
                claim_approval_rate: rules::ratio(
                    service.claims_approved,
                    service.claims_approved + service.claims_rejected,
                ),
                figures: service,
            },
        })
    }
}

/// The fleet figures from the per-band counts.
fn fleet(rows: &[BandRow]) -> Fleet {
    let vehicles: i64 = rows.iter().map(|r| r.vehicles).sum();
    let score_sum: f64 = rows.iter().map(|r| r.score_sum).sum();
    Fleet {
        vehicles,
        needing_attention: rows.iter().map(|r| r.attention).sum(),
        mean_score: (vehicles > 0).then(|| score_sum / vehicles as f64),
        by_band: BANDS
            .iter()
            .map(|b| BandCount {
                band: *b,
                vehicles: rows
                    .iter()
                    .filter(|r| r.band == b.as_str())
                    .map(|r| r.vehicles)
                    .sum(),
            })
            .collect(),
    }
}

/// Vehicles per band on one day (each vehicle's last band of the day).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct DayBands {
    /// The UTC day.
    pub day: NaiveDate,
    /// Vehicles ending the day excellent.
    pub excellent: i64,
    /// Good.
    pub good: i64,
    /// Fair.
    pub fair: i64,
    /// Poor.
    pub poor: i64,
    /// Critical.
    pub critical: i64,
}

impl DayBands {
    fn add(&mut self, band: &str, n: i64) {
        match band {
            "excellent" => self.excellent += n,
            "good" => self.good += n,
            "fair" => self.fair += n,
            "poor" => self.poor += n,
            _ => self.critical += n,
        }
    }
}

/// The health distribution over time.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HealthSeries {
    /// First day.
    pub from: NaiveDate,
    /// Last day (today).
    pub to: NaiveDate,
    /// Every day of the window, oldest first (days without reports count zero).
    pub days: Vec<DayBands>,
}

/// The health distribution per day over the window.
pub async fn health_series(
    db: &PgPool,
    scope: &Scope,
    window: Window,
) -> Result<HealthSeries, sqlx::Error> {
    let rows = query::band_days(db, Filter { scope, window }).await?;
    let mut days: Vec<DayBands> = window
        .days()
        .map(|day| DayBands {
            day,
            ..DayBands::default()
        })
        .collect();
    for r in rows {
        if let Some(d) = days.iter_mut().find(|d| d.day == r.day) {
            d.add(&r.band, r.vehicles);
        }
    }
    Ok(HealthSeries {
        from: window.first_day,
        to: window.last_day,
        days,
    })
}

/// Alerts raised on one day, by severity.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct DayAlerts {
    /// The UTC day.
    pub day: NaiveDate,
    /// Info.
    pub info: i64,
    /// Warning.
    pub warning: i64,
    /// Critical.
    pub critical: i64,
    /// Emergency.
    pub emergency: i64,
}

/// Alert volume and time to acknowledge, with the volume per day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertSeries {
    /// Totals over the window.
    pub totals: AlertFigures,
    /// Every day of the window, oldest first.
    pub days: Vec<DayAlerts>,
}

/// Alerts per day over the window, and the totals.
pub async fn alert_series(
    db: &PgPool,
    scope: &Scope,
    window: Window,
) -> Result<AlertSeries, sqlx::Error> {
    let f = Filter { scope, window };
    let (totals, rows) = tokio::try_join!(query::alerts(db, f), query::alert_days(db, f))?;
    let mut days: Vec<DayAlerts> = window
        .days()
        .map(|day| DayAlerts {
            day,
            ..DayAlerts::default()
        })
        .collect();
    for r in rows {
        if let Some(d) = days.iter_mut().find(|d| d.day == r.day) {
            match r.severity.as_str() {
                "info" => d.info += r.alerts,
                "warning" => d.warning += r.alerts,
                "critical" => d.critical += r.alerts,
                _ => d.emergency += r.alerts,
            }
        }
    }
    Ok(AlertSeries { totals, days })
}
