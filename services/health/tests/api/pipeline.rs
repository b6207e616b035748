//! End to end: readings posted to the real ingestion service flow through the stream
//! to health, which flags the clogging DPF of a simulated truck.

use std::time::Duration;

use fleetsim::profile::DutyProfile;
use ingestion::Config as IngestionConfig;
use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_runtime::config::{CommonConfig, Secret};
use shared_runtime::testing;
use tokio_util::sync::CancellationToken;

use crate::helpers::{JWT_SECRET, ORG, simulate, spawn_with, token};

/// Ingestion on its own fresh database and the given Redis prefix; returns its address
/// and device key. Simulated readings are in the past: the age limit is lifted.
pub(crate) async fn spawn_ingestion(prefix: &str, shutdown: CancellationToken) -> (String, String) {
    let database_url = testing::fresh_database("ingestion").await;
    let device_key = format!("fk_test_{}", uuid::Uuid::new_v4().simple());
    let config = IngestionConfig {
        common: CommonConfig {
            db_max_connections: 4,
            ..testing::common_config(&database_url, prefix, JWT_SECRET)
        },
        max_future_s: 300,
        max_age_s: 10 * 365 * 86_400,
        max_batch: 10_000,
        dedupe_ttl_s: 600,
        audit_batch: 1_000,
        audit_reclaim_ms: 5_000,
        audit_yields_to: vec!["health".to_owned()],
        bootstrap_device_key: Some(Secret::new(device_key.clone())),
        bootstrap_org: ORG.to_owned(),
        claim_policy: ingestion::ownership::ClaimPolicy::FirstReading,
        backfill: ingestion::backlog::BacklogPolicy::default(),
        mqtt: None,
    };
    let app = ingestion::build(config, shutdown)
        .await
        .expect("build ingestion");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run());
    (address, device_key)
}

#[tokio::test]
async fn a_clogging_dpf_posted_to_ingestion_is_flagged_by_health() {
    let health = spawn_with(|_| {}).await;
    let ingestion_shutdown = CancellationToken::new();
    let _stop_ingestion = ingestion_shutdown.clone().drop_guard();
    let (ingestion, device_key) = spawn_ingestion(health.keys.prefix(), ingestion_shutdown).await;

    // A long-haul truck whose DPF clogs from 30 % of a 28-day run and fails at 90 %.
    let readings = simulate(1, 0, DutyProfile::LongHaul, 28, 300, true);
    let vehicle = readings[0].vehicle_id.clone();
    assert!(readings.len() > 2_000, "{} readings", readings.len());
    for chunk in readings.chunks(500) {
        let resp = health
            .client
            .post(format!("{ingestion}/v1/telemetry/batch"))
            .header("x-api-key", &device_key)
            .json(&json!({ "readings": chunk }))
            .timeout(Duration::from_secs(60))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["accepted"], chunk.len(), "{body}");
    }
    health.wait_caught_up().await;

    // The REST API shows the DPF in a poor or critical band with a finite RUL.
    let manager = token(Role::FleetManager, ORG, &[]);
    let resp = health
        .get_as(&format!("/v1/vehicles/{vehicle}/health"), &manager)
        .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    let dpf = body["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["component"] == "dpf")
        .unwrap_or_else(|| panic!("no dpf in {body}"));
    assert!(
        dpf["band"] == "poor" || dpf["band"] == "critical",
        "dpf not flagged: {dpf}"
    );
    let rul = dpf["rul_days"].as_f64().unwrap();
    assert!(rul.is_finite() && rul < 365.0, "dpf RUL {rul}");
    // With its 80 % interval, which holds the RUL.
    let [low, high] = [0, 1].map(|i| dpf["rul_interval_days"][i].as_f64().unwrap());
    assert!(
        low <= rul && rul <= high && low < high,
        "dpf interval {dpf}"
    );
    assert_eq!(body["org_id"], ORG);
    assert_eq!(
        body["newest_reading_at"],
        json!(readings.last().unwrap().recorded_at)
    );

    // component.degraded for the DPF exactly once, caused by a telemetry event.
    // Simulated history is weeks old: ingestion put it on the backfill lane.
    let telemetry_ids: Vec<Value> = health
        .lanes("vehicle.telemetry.received")
        .await
        .iter()
        .map(|e| e["event_id"].clone())
        .collect();
    let degraded: Vec<Value> = health
        .stream("component.degraded")
        .await
        .into_iter()
        .filter(|e| e["payload"]["component"] == "dpf")
        .collect();
    assert_eq!(degraded.len(), 1, "{degraded:#?}");
    let d = &degraded[0];
    assert_eq!(d["vehicle_id"], vehicle.as_str());
    assert_eq!(d["producer"], "health");
    assert!(telemetry_ids.contains(&d["causation_id"]), "{d}");
    assert!(d["payload"]["odometer_km"].as_f64().unwrap() > 0.0, "{d}");

    // Significant changes were announced, and history recorded.
    let changed = health.stream("vehicle.health.changed").await;
    assert!(
        changed.iter().any(|e| e["payload"]["component"] == "dpf"),
        "{changed:#?}"
    );
    assert!(!health.stream("vehicle.health.computed").await.is_empty());
    let history = health::db::history::count(&health.db, &vehicle)
        .await
        .unwrap();
    assert!(history > 0);
    let resp = health
        .get_as(
            &format!(
                "/v1/vehicles/{vehicle}/health/history?component=dpf&from=2025-12-01T00:00:00Z&to=2026-01-02T00:00:00Z"
            ),
            &manager,
        )
        .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["series"][0]["component"], "dpf", "{body}");
}
