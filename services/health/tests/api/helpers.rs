//! `spawn_app()`, simulated readings, publishing and waiting.

use std::ops::Deref;
use std::time::Duration;

use chrono::Utc;
use fleetsim::degradation::{Degradation, FailureMode};
use fleetsim::profile::DutyProfile;
use fleetsim::simulate::{SimConfig, VehicleSim};
use fleetsim::vehicle::Vehicle;
use health::Config;
use models::health::{Assessment, Engine, VehicleState};
use serde_json::Value;
use shared_runtime::auth::Role;
use shared_runtime::testing;
use shared_runtime::testing::app::TestService;
use shared_schemas::events::TelemetryReceived;
use shared_schemas::telemetry::{Protocol, TelemetryReading};
use shared_schemas::{Event, EventEnvelope};
use sqlx::PgPool;
use uuid::Uuid;

pub(crate) const JWT_SECRET: &str = "integration-test-secret-0123456789abcdef";
pub(crate) const ORG: &str = "acme";
/// Simulated runs end here, so a seed always gives the same readings.
pub(crate) const SIM_END: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

/// A running health app and handles on what it writes.
pub(crate) struct TestApp(TestService);

impl Deref for TestApp {
    type Target = TestService;
    fn deref(&self) -> &TestService {
        &self.0
    }
}

/// The configuration a test app runs with.
pub(crate) fn test_config(database_url: &str, prefix: &str) -> Config {
    Config {
        common: testing::common_config(database_url, prefix, JWT_SECRET),
        batch: 1_000,
        computed_every: Duration::from_secs(60),
        model_path: None,
        reclaim_idle: Duration::from_secs(2),
        cache_vehicles: 1_000,
        // Maintenance prunes marks of simulated (past) readings; tests that want it
        // shorten this.
        maintenance_every: Duration::from_secs(3_600),
        // Simulated readings are in the past: keep their history.
        history_retention_days: 36_500,
    }
}

/// A health app on a fresh database and Redis prefix.
pub(crate) async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

/// A health app on a fresh database and Redis prefix, with a tweaked configuration.
pub(crate) async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let database_url = testing::fresh_database("health").await;
    let prefix = testing::unique_prefix("health");
    let mut config = test_config(&database_url, &prefix);
    tweak(&mut config);
    spawn_config(config).await
}

/// A health app with exactly this configuration (e.g. an existing database and prefix).
pub(crate) async fn spawn_config(config: Config) -> TestApp {
    let common = config.common.clone();
    TestApp(TestService::start(&common, |shutdown| health::build(config, shutdown)).await)
}

/// A token for `role` in organization `org`.
pub(crate) fn token(role: Role, org: &str, vehicles: &[&str]) -> String {
    testing::token(JWT_SECRET, "tester", role, org, vehicles)
}

/// One simulated vehicle's readings over `days` days ending at [`SIM_END`], reported
/// every `interval_s` while driving; with `dpf` a DPF clogging from 30 % to 90 % of the
/// run. The vehicle's id is `VH-{index + 1:06}`.
pub(crate) fn simulate(
    seed: u64,
    index: u32,
    profile: DutyProfile,
    days: i64,
    interval_s: u32,
    dpf: bool,
) -> Vec<TelemetryReading> {
    let start = SIM_END - days * 86_400;
    let cfg = SimConfig {
        start,
        end: SIM_END,
        interval_s,
        seed,
    };
    let mut vehicle = Vehicle::generate(seed, index, profile, days as f64);
    if dpf {
        let span = SIM_END - start;
        vehicle.degradation = Some(Degradation {
            mode: FailureMode::DpfClogging,
            onset: start + span * 3 / 10,
            failure: start + span * 9 / 10,
            wheel: 0,
        });
    }
    VehicleSim::new(vehicle.clone(), cfg)
        .map(|s| s.to_reading(&vehicle, seed))
        .collect()
}

/// What the engine makes of `readings` applied once each, in one go: the reference
/// a service run must reproduce.
pub(crate) fn reference(readings: &[TelemetryReading]) -> Assessment {
    let mut state = VehicleState::new();
    for r in readings {
        state.apply(r);
    }
    Engine::bundled().unwrap().assess(&state).unwrap()
}

/// The `vehicle.telemetry.received` event ingestion would publish for `reading`.
pub(crate) fn received(reading: &TelemetryReading, org: &str) -> EventEnvelope<TelemetryReceived> {
    let payload = TelemetryReceived {
        org_id: org.to_owned(),
        reading_id: reading.reading_id.clone().unwrap(),
        protocol: Protocol::Canonical,
        received_at: Utc::now(),
        reading: reading.clone(),
    };
    EventEnvelope::new("ingestion", Uuid::now_v7(), payload).at(reading.recorded_at)
}

impl TestApp {
    /// `POST path` with a bearer token and no body.
    pub(crate) async fn post_as(&self, path: &str, token: &str) -> reqwest::Response {
        let request = self.client.post(self.url(path)).bearer_auth(token);
        request.send().await.unwrap()
    }

    /// Cancels the app and waits until it has stopped (consumer, relay, server).
    pub(crate) async fn stop(self) {
        self.0.stop().await;
    }

    /// Waits until the consumer has handled every telemetry entry and the relay has
    /// published every event (fails after 60 s).
    pub(crate) async fn wait_caught_up(&self) {
        let types = [TelemetryReceived::TYPE];
        let within = Duration::from_secs(60);
        self.0
            .wait_caught_up(health::events::GROUP, &types, within)
            .await;
    }

    /// Waits until `group` has handled every entry of `types` and the relay has
    /// published every event (fails after 60 s).
    pub(crate) async fn wait_group(&self, group: &str, types: &[&str]) {
        self.0
            .wait_caught_up(group, types, Duration::from_secs(60))
            .await;
    }

    /// The stored assessment of a vehicle, as JSON (`null` fields before one).
    pub(crate) async fn stored(&self, vehicle_id: &str) -> Value {
        stored_assessment(&self.db, vehicle_id).await
    }
}

pub(crate) async fn stored_assessment(db: &PgPool, vehicle_id: &str) -> Value {
    let row: (Value,) = sqlx::query_as(
        "SELECT jsonb_build_object(
             'newest_at', newest_at, 'odometer_km', odometer_km, 'dtcs', dtcs,
             'overall_score', overall_score, 'overall_band', overall_band,
             'daily_km', daily_km, 'components', components,
             'model_version', model_version)
         FROM vehicles WHERE vehicle_id = $1",
    )
    .bind(vehicle_id)
    .fetch_one(db)
    .await
    .unwrap();
    row.0
}
