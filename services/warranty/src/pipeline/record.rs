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

/// A vehicle in ingestion's registry.
#[derive(Deserialize)]
struct Registered {
    org_id: String,
}

#[derive(Deserialize)]
struct UsageDay {
    day: NaiveDate,
    #[serde(default)]
    distance_km: Option<f64>,
    #[serde(default)]
    odometer_km: Option<f64>,
}

#[derive(Deserialize)]
struct AlertPage {
    alerts: Vec<AlertRecord>,
}

/// What the services answered (`None`: no answer).
struct Found {
    history: Option<Vec<HealthPoint>>,
    anomalies: Option<Vec<Anomaly>>,
    around: Option<Vec<Reading>>,
    usage: Option<Vec<UsageDay>>,
    alerts: Option<AlertPage>,
    appointments: Option<Vec<AppointmentRecord>>,
}

impl Found {
    fn into_record(self, failure: DateTime<Utc>) -> VehicleRecord {
        let telemetry_available = self.history.is_some() || self.around.is_some();
        let reporting_at_failure = self.around.as_ref().map(|r| !r.is_empty());
        let around = self.around.unwrap_or_default();
        VehicleRecord {
            telemetry_available,
            first_reading_at: self
                .history
                .as_ref()
                .and_then(|h| h.first().map(|p| day_start(p.day))),
            last_reading_at: around.last().map(|r| r.recorded_at),
            reporting_at_failure,
            component_history: self.history.unwrap_or_default(),
            telemetry_odometer_km: closest_odometer(&around, failure),
            odometer_anomalies: self
                .anomalies
                .unwrap_or_default()
                .into_iter()
                .filter(|a| a.counter == "odometer")
                .map(|a| (a.after_at, a.kind))
                .collect(),
            alerts: self.alerts.map(|p| p.alerts).unwrap_or_default(),
            appointments: self.appointments.unwrap_or_default(),
            usage: self
                .usage
                .unwrap_or_default()
                .into_iter()
                .filter_map(|u| {
                    u.distance_km.map(|distance_km| DayUsage {
                        day: u.day,
                        distance_km,
                        odometer_km: u.odometer_km,
                    })
                })
                .collect(),
        }
    }
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

    /// The record of `claim`'s vehicle, as far as the services answer. Nothing is read
    /// for a vehicle registered to another organization: this service's token reaches
    /// every organization, the claimant must not.
    pub async fn gather(&self, claim: &Claim) -> VehicleRecord {
        let v = path_segment(&claim.vehicle_id);
        let registered_path = format!("/v1/vehicles/{v}");
        let (registered, found) = tokio::join!(
            self.get::<Registered>(self.sources.ingestion.as_ref(), &registered_path),
            self.lookups(claim, &v),
        );
        if let Some(r) = registered.filter(|r| r.org_id != claim.org_id) {
            tracing::warn!(claim = %claim.id, vehicle = %claim.vehicle_id, registered_to = %r.org_id,
                "claim on a vehicle of another organization: its record is not used");
            return VehicleRecord::default();
        }
        found.into_record(day_start(claim.failure_date))
    }

    /// Every lookup of the record, at once.
    async fn lookups(&self, claim: &Claim, v: &str) -> Found {
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
            self.component_history(v, claim, failure),
            self.get::<Vec<Anomaly>>(self.sources.health.as_ref(), &anomalies_path),
            self.readings_around(v, failure),
            self.get::<Vec<UsageDay>>(self.sources.ingestion.as_ref(), &usage_path),
            self.get::<AlertPage>(self.sources.alert.as_ref(), &alerts_path),
            self.get::<Vec<AppointmentRecord>>(
                self.sources.scheduling.as_ref(),
                &appointments_path
            ),
        );
        Found {
            history,
            anomalies,
            around,
            usage,
            alerts,
            appointments,
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::routing::get;
    use axum::{Json, Router};
    use chrono::NaiveDate;
    use serde_json::json;
    use shared_runtime::auth::{Jwt, ServiceTokens};
    use shared_runtime::config::Secret;

    use super::*;
    use crate::domain::model::{ClaimCost, RepairShop};

    /// Ingestion and health on one address, the vehicle registered to `org`.
    async fn services(org: &'static str) -> String {
        let app = Router::new()
            .route(
                "/v1/vehicles/{id}",
                get(move || async move { Json(json!({"vehicle_id": "VH-1", "org_id": org})) }),
            )
            .route(
                "/v1/vehicles/{id}/telemetry/daily",
                get(|| async {
                    Json(json!([
                        {"day": "2026-03-09", "readings": 600, "odometer_km": 1000.0, "distance_km": 310.5},
                        {"day": "2026-03-10", "readings": 12, "odometer_km": 1000.0},
                    ]))
                }),
            )
            .route(
                "/v1/vehicles/{id}/health/history",
                get(|| async {
                    Json(json!({"series": [{"points": [
                        {"at": "2026-03-09T00:00:00Z", "score": 0.42, "band": "poor", "rul_days": 3.0}
                    ]}]}))
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    fn claim() -> Claim {
        Claim {
            id: uuid::Uuid::from_u128(1),
            org_id: "acme".to_owned(),
            vehicle_id: "VH-1".to_owned(),
            vin: "1M8GDM9AXKP042788".to_owned(),
            component: shared_schemas::events::Component::Cooling,
            failure_date: NaiveDate::from_ymd_opt(2026, 3, 10).unwrap(),
            odometer_km: 1_000.0,
            description: "water pump".to_owned(),
            shop: RepairShop {
                id: "s".to_owned(),
                name: "S".to_owned(),
                region: "r".to_owned(),
            },
            cost: ClaimCost {
                parts: vec![],
                labour_hours: 1.0,
                labour_rate: 100.0,
                currency: "USD".to_owned(),
            },
            submitted_by: "u".to_owned(),
            submitted_at: Utc::now(),
        }
    }

    async fn gather(org: &'static str) -> VehicleRecord {
        let url = services(org).await;
        let jwt = Arc::new(Jwt::new(&Secret::new(
            "record-test-secret-0123456789abcdef",
        )));
        let records = Records::new(
            Sources {
                health: Some(url.clone()),
                ingestion: Some(url),
                ..Sources::default()
            },
            Some(Arc::new(ServiceTokens::development(jwt, "warranty"))),
            Duration::from_secs(2),
        )
        .unwrap();
        records.gather(&claim()).await
    }

    #[tokio::test]
    async fn the_record_of_a_vehicle_of_the_claims_organization_is_read() {
        let r = gather("acme").await;
        assert!(r.telemetry_available);
        assert_eq!(r.component_history.len(), 1);
        assert_eq!(r.component_history[0].score, 0.42);
        // A day without an odometer difference carries no distance.
        assert_eq!(
            r.usage,
            [DayUsage {
                day: NaiveDate::from_ymd_opt(2026, 3, 9).unwrap(),
                distance_km: 310.5,
                odometer_km: Some(1000.0),
            }]
        );
    }

    #[tokio::test]
    async fn nothing_is_read_for_a_vehicle_of_another_organization() {
        let r = gather("globex").await;
        assert_eq!(r, VehicleRecord::default());
    }
}
