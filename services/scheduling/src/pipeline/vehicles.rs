//! What the health service knows of a vehicle that scheduling needs: where it is
//! (travel to a center) and its counters (maintenance plans). Answers are kept in
//! `vehicle_state` for ten minutes; when health is down or not configured, the last
//! known values (or none) are used: a booking never waits on them.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared_runtime::auth::ServiceTokens;
use shared_runtime::http::path_segment;
use sqlx::{FromRow, PgPool};

/// How long a fetched answer is used before asking again.
const FRESH_FOR: chrono::Duration = chrono::Duration::minutes(10);

/// A vehicle's position and counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, FromRow)]
pub struct VehicleFacts {
    /// Latitude, degrees.
    pub lat: Option<f64>,
    /// Longitude, degrees.
    pub lon: Option<f64>,
    /// Odometer, km.
    pub odometer_km: Option<f64>,
    /// Engine hours.
    pub engine_hours: Option<f64>,
    /// Recent distance per day, km.
    pub daily_km: Option<f64>,
}

#[derive(Clone)]
struct Remote {
    base: String,
    http: reqwest::Client,
    tokens: Arc<ServiceTokens>,
}

/// Vehicle facts from the health service.
#[derive(Clone)]
pub struct Vehicles {
    db: PgPool,
    remote: Option<Remote>,
}

impl std::fmt::Debug for Vehicles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vehicles")
            .field("health", &self.remote.as_ref().map(|r| &r.base))
            .finish_non_exhaustive()
    }
}

/// The part of health's vehicle view read here.
#[derive(Debug, Deserialize)]
struct HealthView {
    org_id: String,
    #[serde(default)]
    odometer_km: Option<f64>,
    #[serde(default)]
    engine_hours: Option<f64>,
    #[serde(default)]
    daily_km: Option<f64>,
    #[serde(default)]
    position: Option<Position>,
}

#[derive(Debug, Deserialize)]
struct Position {
    lat: f64,
    lon: f64,
}

impl Vehicles {
    /// Facts from the health service at `base`.
    pub fn remote(
        db: PgPool,
        base: &str,
        tokens: Arc<ServiceTokens>,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            db,
            remote: Some(Remote {
                base: base.trim_end_matches('/').to_owned(),
                http: reqwest::Client::builder().timeout(timeout).build()?,
                tokens,
            }),
        })
    }

    /// No health service: only what was recorded before.
    pub fn unknown(db: PgPool) -> Self {
        Self { db, remote: None }
    }

    /// Where the vehicle is, if known.
    pub async fn position(&self, org_id: &str, vehicle_id: &str) -> Option<[f64; 2]> {
        let f = self.facts(org_id, vehicle_id).await;
        f.lat.zip(f.lon).map(|(a, b)| [a, b])
    }

    /// The vehicle's facts: fresh from health when the record is old, else recorded.
    pub async fn facts(&self, org_id: &str, vehicle_id: &str) -> VehicleFacts {
        let stored = self.stored(org_id, vehicle_id).await;
        if let Some((facts, at)) = stored
            && Utc::now() - at < FRESH_FOR
        {
            return facts;
        }
        match self.fetch(org_id, vehicle_id).await {
            Ok(Some(facts)) => {
                if let Err(e) = self.record(org_id, vehicle_id, &facts).await {
                    tracing::warn!(error = %e, "recording vehicle facts");
                }
                facts
            }
            Ok(None) => stored.map(|s| s.0).unwrap_or_default(),
            Err(e) => {
                tracing::warn!(error = %e, vehicle_id, "health service unavailable; last known vehicle facts used");
                stored.map(|s| s.0).unwrap_or_default()
            }
        }
    }

    async fn stored(
        &self,
        org_id: &str,
        vehicle_id: &str,
    ) -> Option<(VehicleFacts, DateTime<Utc>)> {
        #[derive(FromRow)]
        struct Row {
            #[sqlx(flatten)]
            facts: VehicleFacts,
            fetched_at: DateTime<Utc>,
        }
        let row: Option<Row> = sqlx::query_as(
            "SELECT lat, lon, odometer_km, engine_hours, daily_km, fetched_at FROM vehicle_state \
             WHERE org_id = $1 AND vehicle_id = $2",
        )
        .bind(org_id)
        .bind(vehicle_id)
        .fetch_optional(&self.db)
        .await
        .ok()
        .flatten();
        row.map(|r| (r.facts, r.fetched_at))
    }

    async fn record(
        &self,
        org_id: &str,
        vehicle_id: &str,
        f: &VehicleFacts,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO vehicle_state (org_id, vehicle_id, lat, lon, odometer_km, engine_hours, \
               daily_km, fetched_at) VALUES ($1, $2, $3, $4, $5, $6, $7, now()) \
             ON CONFLICT (org_id, vehicle_id) DO UPDATE SET lat = $3, lon = $4, odometer_km = $5, \
               engine_hours = $6, daily_km = $7, fetched_at = now()",
        )
        .bind(org_id)
        .bind(vehicle_id)
        .bind(f.lat)
        .bind(f.lon)
        .bind(f.odometer_km)
        .bind(f.engine_hours)
        .bind(f.daily_km)
        .execute(&self.db)
        .await?;
        Ok(())
    }

    /// Health's view of the vehicle; `None` when health does not know it (in this org).
    async fn fetch(&self, org_id: &str, vehicle_id: &str) -> anyhow::Result<Option<VehicleFacts>> {
        let Some(r) = &self.remote else {
            return Ok(None);
        };
        let token = r.tokens.token().await?;
        let response = r
            .http
            .get(format!(
                "{}/v1/vehicles/{}/health",
                r.base,
                path_segment(vehicle_id)
            ))
            .bearer_auth(token)
            .send()
            .await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let view: HealthView = response.error_for_status()?.json().await?;
        if view.org_id != org_id {
            return Ok(None);
        }
        Ok(Some(VehicleFacts {
            lat: view.position.as_ref().map(|p| p.lat),
            lon: view.position.as_ref().map(|p| p.lon),
            odometer_km: view.odometer_km,
            engine_hours: view.engine_hours,
            daily_km: view.daily_km,
        }))
    }
}
