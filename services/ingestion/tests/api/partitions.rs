//! Partitioned streams (ADR 0026): each reading goes to its vehicle's partition, with
//! its idempotency key, refusals too; the statuses keep the batch's order; the audit
//! writer (a partitioned consumer group) records every reading once.

use serde_json::{Value, json};
use shared_runtime::bus::partition_of;
use shared_runtime::testing;

use crate::helpers::{reading, spawn_app_with};

const PARTITIONS: u32 = 4;

#[tokio::test]
async fn readings_go_to_their_vehicles_partition_once() {
    let app = spawn_app_with(|c| c.common.stream_partitions = PARTITIONS).await;
    let vehicle = |i: usize| format!("VH-P{:03}", i % 16);
    let mut readings: Vec<Value> = (0..64)
        .map(|i| reading(&vehicle(i), &format!("p-{i}"), 10))
        .collect();
    let mut bad = reading("VH-P007", "p-bad", 10);
    bad["odometer_km"] = json!(-5.0);
    readings.insert(5, bad);
    let batch = json!({ "readings": readings });

    let first: Value = app
        .post_device("/v1/telemetry/batch", &batch)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["accepted"], 64, "{first}");
    assert_eq!(first["results"][5]["status"], "rejected");
    assert_eq!(first["results"][6]["status"], "accepted");
    let again: Value = app
        .post_device("/v1/telemetry/batch", &batch)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["duplicates"], 64, "idempotent per partition: {again}");

    let mut conn = app.redis.clone();
    let mut received = 0;
    for p in 0..PARTITIONS {
        let keys = app.keys.partition(p);
        for (event_type, n) in [
            ("vehicle.telemetry.received", &mut received),
            ("vehicle.telemetry.rejected", &mut 0),
        ] {
            for entry in testing::stream_entries(&mut conn, &keys.stream(event_type)).await {
                let envelope: Value = serde_json::from_str(&entry["e"]).unwrap();
                let vehicle = envelope["vehicle_id"].as_str().unwrap();
                assert_eq!(partition_of(vehicle, PARTITIONS), p, "{vehicle} on {p}");
                *n += 1;
            }
        }
    }
    assert_eq!(received, 64, "each accepted reading once, on its partition");
    let rejected =
        testing::stream_envelopes(&mut conn, &app.keys, "vehicle.telemetry.rejected").await;
    assert_eq!(rejected.len(), 2, "the refusal, recorded each time");
    app.wait_audited(64).await;
}
