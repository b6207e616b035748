//! Readings in: acceptance, idempotency, validation, adapters, batches.

use serde_json::{Value, json};

use crate::helpers::{envelope, reading, spawn_app};

#[tokio::test]
async fn accepted_reading_is_in_the_stream_once_and_audited() {
    let app = spawn_app().await;
    let body = reading("VH-1", "r-1", 5);

    let first = app.post_device("/v1/telemetry", &body).await;
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["status"], "accepted");
    assert_eq!(first["reading_id"], "r-1");

    let retry = app.post_device("/v1/telemetry", &body).await;
    assert_eq!(retry.status(), 202);
    assert_eq!(retry.json::<Value>().await.unwrap()["status"], "duplicate");

    let entries = app.stream("vehicle.telemetry.received").await;
    assert_eq!(entries.len(), 1, "a retried reading is appended once");
    let e = envelope(&entries[0]);
    assert_eq!(e["event_type"], "vehicle.telemetry.received");
    assert_eq!(e["vehicle_id"], "VH-1");
    assert_eq!(e["payload"]["org_id"], "acme");
    assert_eq!(e["payload"]["reading"]["signals"]["engine_rpm"], 1450.0);
    // On the wire, v2: signals by catalog code.
    let wire: Value = serde_json::from_str(&entries[0]["e"]).unwrap();
    assert_eq!(wire["schema_version"], 2);
    let rpm = shared_schemas::signals::code("engine_rpm")
        .unwrap()
        .to_string();
    assert_eq!(wire["payload"]["reading"]["signals"][rpm], 1450.0);
    app.wait_audited(1).await;
}

#[tokio::test]
async fn concurrent_single_readings_each_get_their_own_status() {
    // Requests are grouped into shared script calls: every request must still get
    // the status of its own reading, and each reading sent twice at once must be
    // accepted exactly once.
    let app = spawn_app().await;
    let requests = (0..200).map(|i| {
        let body = reading("TRUCK-GC", &format!("gc-{}", i / 2), 1 + i64::from(i / 2));
        let app = &app;
        async move {
            let response = app.post_device("/v1/telemetry", &body).await;
            assert_eq!(response.status(), 202);
            let answer: Value = response.json().await.unwrap();
            assert_eq!(answer["reading_id"], format!("gc-{}", i / 2));
            answer["status"].as_str().unwrap().to_owned()
        }
    });
    let statuses = futures::future::join_all(requests).await;
    for pair in statuses.chunks(2) {
        let mut pair = pair.to_vec();
        pair.sort();
        assert_eq!(pair, ["accepted", "duplicate"], "one of each per reading");
    }
    assert_eq!(app.stream("vehicle.telemetry.received").await.len(), 100);
    app.wait_audited(100).await;
}

#[tokio::test]
async fn invalid_reading_is_refused_naming_every_problem() {
    let app = spawn_app().await;
    let mut body = reading("VH-1", "r-bad", 0);
    body["recorded_at"] = json!((chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339());
    body["vin"] = json!("1M8GDM9AYKP042788"); // wrong check digit
    body["signals"]["coolant_temp_c"] = json!(900.0);

    let resp = app.post_device("/v1/telemetry", &body).await;
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "validation_failed");
    let fields: Vec<&str> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    for f in ["recorded_at", "vin", "signals.coolant_temp_c"] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    assert!(app.stream("vehicle.telemetry.received").await.is_empty());
    let rejected = app.stream("vehicle.telemetry.rejected").await;
    assert_eq!(rejected.len(), 1);
    assert_eq!(envelope(&rejected[0])["payload"]["reading_id"], "r-bad");
}

#[tokio::test]
async fn malformed_json_and_wrong_types_are_4xx_not_5xx() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/v1/telemetry"))
        .header("x-api-key", &app.device_key)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let resp = app
        .post_device(
            "/v1/telemetry",
            &json!({"vehicle_id": 7, "signals": {"engine_rpm": "fast"}}),
        )
        .await;
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    let text = body["message"].as_str().unwrap();
    for f in ["vehicle_id", "recorded_at", "signals.engine_rpm"] {
        assert!(text.contains(f), "{f} not named in {text}");
    }
}

#[tokio::test]
async fn unknown_signal_is_dropped_with_a_warning() {
    let app = spawn_app().await;
    let mut body = reading("VH-1", "r-w", 0);
    body["signals"]["flux_capacitor_gw"] = json!(1.21);
    let resp = app.post_device("/v1/telemetry", &body).await;
    assert_eq!(resp.status(), 202);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["warnings"][0]["field"], "signals.flux_capacitor_gw");
    let e = envelope(&app.stream("vehicle.telemetry.received").await[0]);
    assert!(
        e["payload"]["reading"]["signals"]
            .get("flux_capacitor_gw")
            .is_none()
    );
}

#[tokio::test]
async fn device_key_is_required_and_checked() {
    let app = spawn_app().await;
    let body = reading("VH-1", "r-1", 0);
    let none = app
        .client
        .post(app.url("/v1/telemetry"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(none.json::<Value>().await.unwrap()["code"], "unauthorized");
    let wrong = app
        .client
        .post(app.url("/v1/telemetry"))
        .header("x-api-key", "fk_0000000000000000000000000000000000000000")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(app.stream("vehicle.telemetry.received").await.is_empty());
}

#[tokio::test]
async fn batch_reports_a_result_per_reading() {
    let app = spawn_app().await;
    let mut bad = reading("VH-2", "b-bad", 0);
    bad["odometer_km"] = json!(-5.0);
    let batch = json!({"readings": [
        reading("VH-1", "b-1", 10),
        bad,
        {"vehicle_id": "VH-3"},
        reading("VH-1", "b-2", 5),
        reading("VH-1", "b-1", 10),
    ]});
    let resp = app.post_device("/v1/telemetry/batch", &batch).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["accepted"], 2);
    assert_eq!(body["duplicates"], 1);
    assert_eq!(body["rejected"], 2);
    let statuses: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["accepted", "rejected", "rejected", "accepted", "duplicate"]
    );
    assert_eq!(body["results"][1]["problems"][0]["field"], "odometer_km");
    assert_eq!(body["results"][2]["problems"][0]["field"], "recorded_at");
    assert_eq!(app.stream("vehicle.telemetry.received").await.len(), 2);
    assert_eq!(app.stream("vehicle.telemetry.rejected").await.len(), 2);
    app.wait_audited(2).await;
}

#[tokio::test]
async fn batch_shape_errors_are_400_and_oversized_413() {
    let app = spawn_app().await;
    let empty = app
        .post_device("/v1/telemetry/batch", &json!({"readings": []}))
        .await;
    assert_eq!(empty.status(), 400);
    let wrong = app.post_device("/v1/telemetry/batch", &json!([1, 2])).await;
    assert_eq!(wrong.status(), 400);
    let one = reading("VH-1", "x", 0);
    let huge: Vec<Value> = (0..10_001).map(|_| one.clone()).collect();
    let resp = app
        .post_device("/v1/telemetry/batch", &json!({"readings": huge}))
        .await;
    assert_eq!(resp.status(), 413);
    assert!(app.stream("vehicle.telemetry.received").await.is_empty());
}

#[tokio::test]
async fn obd2_pids_are_decoded_and_raw_input_audited() {
    let app = spawn_app().await;
    let body = json!({
        "reading_id": "obd-1",
        "vehicle_id": "CAR-9",
        "recorded_at": chrono::Utc::now().to_rfc3339(),
        "pids": {"0C": "1AF8", "05": "7B", "42": "310B"},
        "dtcs": ["P0420"]
    });
    let resp = app.post_device("/v1/telemetry/obd2", &body).await;
    assert_eq!(resp.status(), 202, "{}", resp.text().await.unwrap());
    let e = envelope(&app.stream("vehicle.telemetry.received").await[0]);
    let signals = &e["payload"]["reading"]["signals"];
    assert_eq!(signals["engine_rpm"], 1726.0);
    assert_eq!(signals["coolant_temp_c"], 83.0);
    assert_eq!(e["payload"]["protocol"], "obd2");
    app.wait_audited(1).await;
    let raw: Option<String> = sqlx::query_scalar("SELECT raw FROM readings")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(raw.unwrap().contains("1AF8"));

    let bad = json!({"vehicle_id": "CAR-9", "recorded_at": chrono::Utc::now().to_rfc3339(), "pids": {"0C": "zz"}});
    let resp = app.post_device("/v1/telemetry/obd2", &bad).await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("pids.0C"));
}

#[tokio::test]
async fn j1939_frames_are_decoded() {
    let app = spawn_app().await;
    let body = json!({
        "reading_id": "can-1",
        "vehicle_id": "TRK-1",
        "recorded_at": chrono::Utc::now().to_rfc3339(),
        "frames": [
            {"id": "0CF00400", "data": "FF FF FF 68 13 FF FF FF"},
            {"id": "18FEEE00", "data": "7D FF FF FF FF FF FF FF"}
        ]
    });
    let resp = app.post_device("/v1/telemetry/j1939", &body).await;
    assert_eq!(resp.status(), 202, "{}", resp.text().await.unwrap());
    let e = envelope(&app.stream("vehicle.telemetry.received").await[0]);
    let signals = &e["payload"]["reading"]["signals"];
    assert_eq!(signals["engine_rpm"], 621.0);
    assert_eq!(signals["coolant_temp_c"], 85.0);
}

#[tokio::test]
async fn generic_json_is_normalized() {
    let app = spawn_app().await;
    let body = json!({
        "vehicleId": "VAN-4",
        "timestamp": chrono::Utc::now().timestamp(),
        "coolant_temp_f": 212.0,
        "rpm": 800
    });
    let resp = app.post_device("/v1/telemetry/generic", &body).await;
    assert_eq!(resp.status(), 202, "{}", resp.text().await.unwrap());
    let e = envelope(&app.stream("vehicle.telemetry.received").await[0]);
    let signals = &e["payload"]["reading"]["signals"];
    assert!((signals["coolant_temp_c"].as_f64().unwrap() - 100.0).abs() < 1e-9);
    assert_eq!(signals["engine_rpm"], 800.0);
}

#[tokio::test]
async fn accepted_device_calls_are_audited_by_their_events_and_refused_ones_as_requests() {
    let app = spawn_app().await;
    let accepted = app
        .post_device("/v1/telemetry", &reading("VH-1", "r-1", 5))
        .await;
    assert_eq!(accepted.status(), 202);
    let refused = app
        .client
        .post(app.url("/v1/telemetry"))
        .header("x-api-key", "fk_not_a_key_0123456789abcdef")
        .json(&reading("VH-1", "r-2", 5))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    // A state-changing request of another route, recorded like any other.
    let _ = app
        .client
        .delete(app.url("/v1/device-keys/nope"))
        .send()
        .await
        .unwrap();
    let requests = shared_runtime::testing::app::wait_until(
        std::time::Duration::from_secs(10),
        "two request events",
        || async {
            let e = app.stream("audit.request.recorded").await;
            (e.len() >= 2).then_some(e)
        },
    )
    .await;
    let statuses: Vec<(String, u64)> = requests
        .iter()
        .map(|e| {
            let p = &envelope(e)["payload"];
            (
                p["route"].as_str().unwrap().to_owned(),
                p["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        statuses.contains(&("/v1/telemetry".to_owned(), 401)),
        "{statuses:?}"
    );
    assert!(
        !statuses
            .iter()
            .any(|(r, s)| r == "/v1/telemetry" && *s == 202),
        "the accepted reading is audited by its vehicle.telemetry.received: {statuses:?}"
    );
    assert_eq!(app.stream("vehicle.telemetry.received").await.len(), 1);
}
