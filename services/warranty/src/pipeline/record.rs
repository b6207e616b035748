//! The vehicle's own record for a claim, gathered from the other services over REST
//! with this service's token: the claimed component's daily health (health), odometer
//! anomalies (health), the readings around the failure day and the km driven per day
//! in the weeks around it (ingestion), the alerts
//! (alert) and the appointments (scheduling). A service that is down or not configured
//! leaves its part empty and says so: the analysis then trusts the claim less.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use shared_runtime::auth::ServiceTokens;
use shared_runtime::http::path_segment;

use crate::domain::model::{
    AlertRecord, AppointmentRecord, Claim, DayUsage, HealthPoint, VehicleRecord,
};

/// How far back the component's health is read before the failure.
const HISTORY_DAYS: i64 = 180;
/// Days of use read before the failure day (and one after it).
const USAGE_DAYS_BEFORE: i64 = 14;

/// Base URLs of the services a record is gathered from (each optional).
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Health (component history, odometer anomalies).
    pub health: Option<String>,
    /// Ingestion (readings around the failure day).
    pub ingestion: Option<String>,
    /// Alert (warnings and their acknowledgement).
    pub alert: Option<String>,
    /// Scheduling (service booked or not).
    pub scheduling: Option<String>,
}

/// Gathers vehicle records.
#[derive(Clone)]
pub struct Records {
    sources: Sources,
    http: reqwest::Client,
    tokens: Option<Arc<ServiceTokens>>,
}

impl std::fmt::Debug for Records {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records")
            .field("sources", &self.sources)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct History {
    series: Vec<Series>,
}

#[derive(Deserialize)]
struct Series {
    points: Vec<Point>,
}

#[derive(Deserialize)]
struct Point {
    at: DateTime<Utc>,
    score: f64,
    band: String,
    rul_days: f64,
}

#[derive(Deserialize)]
struct Anomaly {
    counter: String,
    kind: String,
    after_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct ReadingPage {
    items: Vec<ReadingItem>,
}

#[derive(Deserialize)]
struct ReadingItem {
    reading: Reading,
}

#[derive(Deserialize)]
struct Reading {
    recorded_at: DateTime<Utc>,
    #[serde(default)]
    odometer_km: Option<f64>,
}

#[derive(Deserialize)]
struct UsageDay {
    day: NaiveDate,
    #[serde(default)]
    distance_km: Option<f64>,
}

#[derive(Deserialize)]
struct AlertPage {
    alerts: Vec<AlertRecord>,
}

impl Records {
    /// Records from `sources`, called with `tokens` (none: nothing is asked).
    pub fn new(
        sources: Sources,
        tokens: Option<Arc<ServiceTokens>>,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            sources,
            http: reqwest::Client::builder().timeout(timeout).build()?,
            tokens,
        })
    }

    async fn get<T: DeserializeOwned>(&self, base: Option<&String>, path: &str) -> Option<T> {
        let (base, tokens) = (base?, self.tokens.as_ref()?);
        let token = match tokens.token().await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, "no service token: the vehicle record stays partial");
                return None;
            }
        };
        let url = format!("{base}{path}");
        let response = self.http.get(&url).bearer_auth(token).send().await;
        match response {
            Ok(r) if r.status().is_success() => r.json().await.ok(),
            Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND => None,
            Ok(r) => {
                tracing::warn!(%url, status = %r.status(), "vehicle record lookup failed");
                None
            }
            Err(e) => {
                tracing::warn!(%url, error = %e, "vehicle record lookup failed");
                None
            }
        }
    }

    /// The record of `claim`'s vehicle, as far as the services answer.
    pub async fn gather(&self, claim: &Claim) -> VehicleRecord {
        let v = path_segment(&claim.vehicle_id);
        let failure = day_start(claim.failure_date);
        let anomalies_path = format!("/v1/vehicles/{v}/counters/anomalies?limit=500");
        let alerts_path = format!("/v1/alerts?vehicle_id={v}&limit=200");
        let appointments_path = format!(
            "/v1/vehicles/{v}/appointments?status=all&org_id={}",
            path_segment(&claim.org_id)
        );
        let usage_path = format!(
            "/v1/vehicles/{v}/telemetry/daily?from={}&to={}",
            claim.failure_date - TimeDelta::days(USAGE_DAYS_BEFORE),
            claim.failure_date + TimeDelta::days(1),
        );
        let (history, anomalies, around, usage, alerts, appointments) = tokio::join!(
            self.component_history(&v, claim, failure),
            self.get::<Vec<Anomaly>>(self.sources.health.as_ref(), &anomalies_path),
            self.readings_around(&v, failure),
            self.get::<Vec<UsageDay>>(self.sources.ingestion.as_ref(), &usage_path),
            self.get::<AlertPage>(self.sources.alert.as_ref(), &alerts_path),
            self.get::<Vec<AppointmentRecord>>(
                self.sources.scheduling.as_ref(),
                &appointments_path
            ),
        );
        let telemetry_available = history.is_some() || around.is_some();
        let reporting_at_failure = around.as_ref().map(|r| !r.is_empty());
        let around = around.unwrap_or_default();
        VehicleRecord {
            telemetry_available,
            first_reading_at: history
                .as_ref()
                .and_then(|h| h.first().map(|p| day_start(p.day))),
            last_reading_at: around.last().map(|r| r.recorded_at),
            reporting_at_failure,
            component_history: history.unwrap_or_default(),
            telemetry_odometer_km: closest_odometer(&around, failure),
            odometer_anomalies: anomalies
                .unwrap_or_default()
                .into_iter()
                .filter(|a| a.counter == "odometer")
                .map(|a| (a.after_at, a.kind))
                .collect(),
            alerts: alerts.map(|p| p.alerts).unwrap_or_default(),
            appointments: appointments.unwrap_or_default(),
            usage: usage
                .unwrap_or_default()
                .into_iter()
                .filter_map(|u| {
                    u.distance_km.map(|distance_km| DayUsage {
                        day: u.day,
                        distance_km,
                    })
                })
                .collect(),
        }
    }

    /// The claimed component's daily health over the months before the failure.
    async fn component_history(
        &self,
        v: &str,
        claim: &Claim,
        failure: DateTime<Utc>,
    ) -> Option<Vec<HealthPoint>> {
        let from = failure - TimeDelta::days(HISTORY_DAYS);
        let to = failure + TimeDelta::days(1);
        let path = format!(
            "/v1/vehicles/{v}/health/history?component={}&from={}&to={}&bucket=1d&points=400",
            claim.component.as_str(),
            from.format("%Y-%m-%dT%H:%M:%SZ"),
            to.format("%Y-%m-%dT%H:%M:%SZ"),
        );
        let h: History = self.get(self.sources.health.as_ref(), &path).await?;
        Some(
            h.series
                .into_iter()
                .flat_map(|s| s.points)
                .map(|p| HealthPoint {
                    day: p.at.date_naive(),
                    score: p.score,
                    band: p.band,
                    rul_days: Some(p.rul_days).filter(|d| d.is_finite()),
                })
                .collect(),
        )
    }

    /// The readings within a day either side of the failure day (a page).
    async fn readings_around(&self, v: &str, failure: DateTime<Utc>) -> Option<Vec<Reading>> {
        let path = format!(
            "/v1/vehicles/{v}/telemetry?from={}&to={}&limit=500",
            (failure - TimeDelta::days(1)).format("%Y-%m-%dT%H:%M:%SZ"),
            (failure + TimeDelta::days(2)).format("%Y-%m-%dT%H:%M:%SZ"),
        );
        let page: ReadingPage = self.get(self.sources.ingestion.as_ref(), &path).await?;
        Some(page.items.into_iter().map(|i| i.reading).collect())
    }
}

fn day_start(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// The odometer of the reading nearest to the failure day's noon.
fn closest_odometer(readings: &[Reading], failure: DateTime<Utc>) -> Option<f64> {
    let noon = failure + TimeDelta::hours(12);
    readings
        .iter()
        .filter_map(|r| {
            r.odometer_km
                .map(|km| ((r.recorded_at - noon).num_seconds().abs(), km))
        })
        .min_by_key(|(gap, _)| *gap)
        .map(|(_, km)| km)
}
