//! `spawn_app()` and friends.

use std::collections::HashMap;
use std::ops::Deref;
use std::time::Duration;

use chrono::Utc;
use ingestion::Config;
use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_runtime::bus::Keys;
use shared_runtime::config::Secret;
use shared_runtime::redis_conn::RedisConn;
use shared_runtime::testing;
use shared_runtime::testing::app::TestService;
use shared_schemas::events::stream_reading::name_signals;
use sqlx::PgPool;

pub(crate) const JWT_SECRET: &str = "integration-test-secret-0123456789abcdef";
pub(crate) const ORG: &str = "acme";

/// A running app and handles on what it writes.
pub(crate) struct TestApp {
    service: TestService,
    /// The bootstrap device key.
    pub(crate) device_key: String,
}

impl Deref for TestApp {
    type Target = TestService;
    fn deref(&self) -> &TestService {
        &self.service
    }
}

/// The configuration a test app runs with.
pub(crate) fn test_config(database_url: &str, prefix: &str) -> Config {
    Config {
        common: testing::common_config(database_url, prefix, JWT_SECRET),
        max_future_s: 300,
        max_age_s: 30 * 86_400,
        max_batch: 10_000,
        dedupe_ttl_s: 600,
        audit_batch: 500,
        audit_reclaim_ms: 500,
        audit_yields_to: vec!["health".to_owned()],
        bootstrap_device_key: Some(Secret::new(format!(
            "fk_test_{}",
            uuid::Uuid::new_v4().simple()
        ))),
        bootstrap_org: ORG.to_owned(),
        claim_policy: ingestion::ownership::ClaimPolicy::FirstReading,
        backfill: ingestion::backlog::BacklogPolicy::default(),
        mqtt: None,
    }
}

pub(crate) async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// An app whose test configuration `adjust` changed first.
pub(crate) async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let database_url = testing::fresh_database("ingestion").await;
    let prefix = testing::unique_prefix("ingestion");
    let mut config = test_config(&database_url, &prefix);
    adjust(&mut config);
    let device_key = config
        .bootstrap_device_key
        .as_ref()
        .map(|k| k.expose().to_owned())
        .unwrap();
    let common = config.common.clone();
    let service = TestService::start(&common, |shutdown| ingestion::build(config, shutdown)).await;
    TestApp {
        service,
        device_key,
    }
}

/// A token for `role` in organization `org`.
pub(crate) fn token(role: Role, org: &str, vehicles: &[&str]) -> String {
    testing::token(JWT_SECRET, "tester", role, org, vehicles)
}

/// A valid canonical reading recorded `ago` seconds before now.
pub(crate) fn reading(vehicle: &str, reading_id: &str, ago_s: i64) -> Value {
    json!({
        "reading_id": reading_id,
        "vehicle_id": vehicle,
        "vin": "1M8GDM9AXKP042788",
        "recorded_at": (Utc::now() - chrono::Duration::seconds(ago_s)).to_rfc3339(),
        "odometer_km": 120_345.5,
        "engine_hours": 5_432.1,
        "location": {"lat": 48.85, "lon": 2.35},
        "signals": {"engine_rpm": 1450.0, "coolant_temp_c": 88.0, "dpf_diff_pressure_kpa": 6.5},
        "dtcs": [{"kind": "obd", "code": "P2463"}]
    })
}

impl TestApp {
    /// Stops the app (consumers, MQTT subscriber, server) and waits until it has.
    pub(crate) async fn stop(self) {
        self.service.stop().await;
    }

    pub(crate) async fn post_device(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("x-api-key", &self.device_key)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Every entry of an event type's stream: the envelope JSON and other fields.
    pub(crate) async fn stream(&self, event_type: &str) -> Vec<HashMap<String, String>> {
        stream_entries(&self.redis, &self.keys, event_type).await
    }

    /// Waits until the audit table holds `n` rows (fails after 20 s).
    pub(crate) async fn wait_audited(&self, n: i64) {
        wait_audited(&self.db, n).await;
    }
}

pub(crate) async fn stream_entries(
    redis: &RedisConn,
    keys: &Keys,
    event_type: &str,
) -> Vec<HashMap<String, String>> {
    testing::stream_entries(&mut redis.clone(), &keys.stream(event_type)).await
}

pub(crate) async fn wait_audited(db: &PgPool, n: i64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let count = ingestion::db::readings::count(db).await.unwrap();
        if count >= n {
            assert_eq!(count, n, "more audit rows than expected");
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "audit writer did not catch up: {count} of {n} rows"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The envelope JSON of a stream entry, its reading's signals named (they travel by
/// code, ADR 0027).
pub(crate) fn envelope(entry: &HashMap<String, String>) -> Value {
    let mut e: Value = serde_json::from_str(&entry["e"]).unwrap();
    name_signals(&mut e["payload"]["reading"]);
    e
}
