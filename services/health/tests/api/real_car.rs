//! A healthy real car through the real path: a month of the carOBD logs (a 2014
//! Toyota Etios, bundled with fleetsim), thinned to one reading per 10 s, posted as
//! OBD-II PIDs to ingestion, raises no `component.degraded` or `component.critical`
//! in health, and the API says its battery is unknown (its gateway reports the voltage
//! only with the key on) rather than giving it a band.

use bytes::Bytes;
use chrono::{TimeZone, Utc};
use fleetsim::carobd::{self, replay};
use fleetsim::client::IngestClient;
use serde_json::Value;
use shared_runtime::auth::Role;
use tokio_util::sync::CancellationToken;

use crate::helpers::{ORG, spawn_with, token};
use crate::pipeline::spawn_ingestion;

const VEHICLE: &str = "ETIOS-2014";

#[tokio::test]
async fn a_healthy_real_car_posted_as_obd2_raises_no_alarm_and_its_battery_is_unknown() {
    let health = spawn_with(|_| {}).await;
    let ingestion_shutdown = CancellationToken::new();
    let _stop_ingestion = ingestion_shutdown.clone().drop_guard();
    let (ingestion, device_key) = spawn_ingestion(health.keys.prefix(), ingestion_shutdown).await;

    let trips = carobd::load_dir(&carobd::bundled_dir()).unwrap();
    let start = Utc.with_ymd_and_hms(2024, 3, 4, 0, 0, 0).unwrap();
    let samples = carobd::month(&trips, start, 30, Some(10.0));
    let requests: Vec<Bytes> = samples
        .iter()
        .map(|s| Bytes::from(s.obd2_request(VEHICLE).to_string()))
        .collect();
    let client = IngestClient::new(&ingestion, Some(&device_key), 16).unwrap();
    let counts = replay::post_all(&client, requests, 16).await.unwrap();
    assert_eq!(counts.accepted as usize, samples.len(), "{counts:?}");
    health.wait_caught_up().await;

    for event_type in ["component.degraded", "component.critical"] {
        let raised = health.stream(event_type).await;
        assert!(
            raised.is_empty(),
            "{event_type} on a healthy car: {raised:#?}"
        );
    }
    let manager = token(Role::FleetManager, ORG, &[]);
    let resp = health
        .get_as(&format!("/v1/vehicles/{VEHICLE}/health"), &manager)
        .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["unknown"][0]["component"], "battery", "{body:#}");
    let components = body["components"].as_array().unwrap();
    assert_eq!(components.len(), 1, "{body:#}");
    assert_eq!(components[0]["component"], "cooling");
    assert!(
        components[0]["band"] == "excellent" || components[0]["band"] == "good",
        "{body:#}"
    );
    // The snapshots (throttled) name the battery unknown, never with a band.
    let computed = health.stream("vehicle.health.computed").await;
    assert!(!computed.is_empty());
    for e in &computed {
        let unknown = e["payload"]["unknown"].as_array().unwrap();
        assert!(unknown.iter().any(|u| u["component"] == "battery"), "{e}");
        let judged = e["payload"]["components"].as_array().unwrap();
        assert!(judged.iter().all(|c| c["component"] != "battery"), "{e}");
    }
}
