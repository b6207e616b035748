//! Batches the device names (`batch_id`, ADR 0027): a retry of the batch, whole or
//! grown, appends only what it did not append before, on every partition; a reading
//! twice in one batch is appended once; and the id is scoped to the organization.

use std::collections::HashMap;

use serde_json::{Value, json};
use shared_runtime::testing;

use crate::helpers::{TestApp, reading, spawn_app_with};

const PARTITIONS: u32 = 4;

async fn post(app: &TestApp, batch: &Value) -> Value {
    let r = app.post_device("/v1/telemetry/batch", batch).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// How many times each reading id is on the received streams.
async fn on_streams(app: &TestApp) -> HashMap<String, usize> {
    let mut conn = app.redis.clone();
    let mut seen = HashMap::new();
    for e in testing::stream_envelopes(&mut conn, &app.keys, "vehicle.telemetry.received").await {
        *seen
            .entry(e["payload"]["reading_id"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
    }
    seen
}

fn statuses(answer: &Value) -> Vec<&str> {
    answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_named_batch_retried_appends_only_what_it_had_not() {
    let app = spawn_app_with(|c| c.common.stream_partitions = PARTITIONS).await;
    let readings: Vec<Value> = (0..40)
        .map(|i| reading(&format!("VH-B{:02}", i % 12), &format!("b-{i}"), 10))
        .collect();
    let mut with_repeat = readings.clone();
    with_repeat.push(readings[3].clone());
    let first = post(
        &app,
        &json!({ "batch_id": "gw-7/000123", "readings": with_repeat }),
    )
    .await;
    assert_eq!(first["accepted"], 40, "{first}");
    assert_eq!(
        first["duplicates"], 1,
        "the repeat inside the batch: {first}"
    );
    assert_eq!(statuses(&first)[40], "duplicate");

    // The retry, grown by two readings: the 40 are duplicates, the two appended.
    let mut grown = readings.clone();
    grown.push(reading("VH-B01", "b-40", 5));
    grown.push(reading("VH-B02", "b-41", 5));
    let again = post(
        &app,
        &json!({ "batch_id": "gw-7/000123", "readings": grown }),
    )
    .await;
    assert_eq!(
        (again["accepted"].clone(), again["duplicates"].clone()),
        (json!(2), json!(40))
    );
    assert_eq!(statuses(&again)[40..], ["accepted", "accepted"]);

    let seen = on_streams(&app).await;
    assert_eq!(seen.len(), 42);
    assert!(
        seen.values().all(|&n| n == 1),
        "each reading once: {seen:?}"
    );
    app.wait_audited(42).await;

    // Under another batch id the same reading is new to ingestion (the audit trail
    // still stores it once).
    let other = post(
        &app,
        &json!({ "batch_id": "gw-7/000124", "readings": [readings[0]] }),
    )
    .await;
    assert_eq!(other["accepted"], 1, "{other}");
    assert_eq!(on_streams(&app).await["b-0"], 2);
}

#[tokio::test]
async fn a_batch_id_is_checked_and_named_in_the_refusal() {
    let app = spawn_app_with(|_| {}).await;
    let one = [reading("VH-B01", "c-1", 10)];
    for (id, expected) in [
        (json!(""), "1 to 128 characters"),
        (json!("x".repeat(129)), "1 to 128 characters"),
        (json!("a\nb"), "control character"),
        (json!(42), "batch_id"),
    ] {
        let r = app
            .post_device(
                "/v1/telemetry/batch",
                &json!({ "batch_id": id, "readings": one }),
            )
            .await;
        assert_eq!(r.status(), 400, "{id}");
        let body = r.text().await.unwrap();
        assert!(body.contains(expected), "{id}: {body}");
    }
    let ok = post(
        &app,
        &json!({ "batch_id": "é".repeat(128), "readings": one }),
    )
    .await;
    assert_eq!(ok["accepted"], 1, "{ok}");
}
