//! Audit ingest rate on this machine: the consumer path the service runs (Redis
//! streams -> consumer group `analytics-audit` -> `AuditRecorder` -> one Postgres
//! transaction per batch appending to the organizations' hash chains), against the real
//! Postgres and Redis (a fresh database and Redis prefix, like the tests), then one
//! verification of every chain.
//!
//! ```text
//! cargo run --release -p analytics --example audit_bench -- 200000 20 2000
//! ```
//!
//! Arguments: events, organizations, vehicles. The events (90 % accepted readings of
//! about 1 KB, 5 % health snapshots, 5 % audited requests; vehicles spread over the
//! organizations) are in their streams before the consumer starts; it reports events
//! and entries recorded per second until the group has caught up, then the time to
//! verify every chain. Needs the `make test` setup (`TEST_DATABASE_URL`,
//! `TEST_REDIS_URL` to override). Generator, consumer, Postgres and Redis share the
//! machine: figures are a floor.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use analytics::events::audit::{AuditRecorder, GROUP, consumer_config, event_types};
use analytics::pipeline::audit::Auditor;
use chrono::Utc;
use serde_json::json;
use shared_runtime::bus::{Keys, Publisher};
use shared_runtime::consumer::BatchConsumer;
use shared_runtime::testing;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Event `i` of the run, as `(event_type, envelope JSON)`.
fn event(i: usize, orgs: usize, vehicles: usize) -> (String, String) {
    let v = i % vehicles;
    let vehicle = format!("VH-{v:06}");
    let org = format!("org-{:03}", v % orgs);
    let now = Utc::now();
    let (event_type, payload) = match i % 20 {
        0 => (
            "audit.request.recorded",
            json!({
                "service": "ingestion", "method": "POST", "route": "/v1/vehicles/{id}",
                "path": format!("/v1/vehicles/{vehicle}"), "vehicle_id": vehicle,
                "status": 200, "outcome": "success",
                "actor": {"sub": format!("user-{}", i % 97), "role": "fleet_manager", "org": org},
                "remote_addr": "203.0.113.9", "request_id": Uuid::now_v7(),
                "received_at": now, "duration_ms": 2.5,
            }),
        ),
        1 => (
            "vehicle.health.computed",
            json!({"org_id": org, "vehicle_id": vehicle, "overall_score": 81.5,
                   "components": [{"component": "brakes", "score": 72.0, "band": "fair"}]}),
        ),
        _ => (
            "vehicle.telemetry.received",
            json!({
                "org_id": org, "reading_id": format!("r-{i}"), "protocol": "canonical",
                "received_at": now,
                "reading": {
                    "vehicle_id": vehicle, "reading_id": format!("r-{i}"), "recorded_at": now,
                    "signals": {"engine_rpm": 1840.0, "coolant_temp_c": 91.5,
                        "oil_pressure_kpa": 310.0, "oil_temp_c": 104.2, "battery_v": 13.9,
                        "vehicle_speed_kmh": 82.0, "fuel_level_pct": 55.0,
                        "odometer_km": 182_345.6, "engine_hours": 6_123.4,
                        "brake_pad_front_mm": 7.1, "brake_pad_rear_mm": 8.3,
                        "dpf_soot_load_pct": 42.0, "def_level_pct": 63.0,
                        "trans_temp_c": 88.0, "tire_pressure_fl_kpa": 760.0},
                    "dtcs": ["P0420"],
                    "location": {"lat": 41.88, "lon": -87.63},
                },
            }),
        ),
    };
    let envelope = json!({
        "event_id": Uuid::now_v7(), "event_type": event_type, "schema_version": 1,
        "occurred_at": now, "producer": "bench", "correlation_id": Uuid::now_v7(),
        "vehicle_id": vehicle, "payload": payload,
    });
    (event_type.to_owned(), envelope.to_string())
}

async fn caught_up(redis: &mut shared_runtime::redis_conn::RedisConn, keys: &Keys) -> bool {
    let lag = shared_runtime::consumer::lag(redis, keys, GROUP, &event_types())
        .await
        .unwrap();
    lag.lag == Some(0) && lag.pending == 0
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("a number"))
        .collect();
    let n = args.first().copied().unwrap_or(200_000);
    let orgs = args.get(1).copied().unwrap_or(20).max(1);
    let vehicles = args.get(2).copied().unwrap_or(2_000).max(1);
    let database_url = testing::fresh_database("audit_bench").await;
    let prefix = testing::unique_prefix("audit-bench");
    let keys = Keys::new(prefix.clone());
    let mut redis = shared_runtime::bus::connect(&testing::redis_url())
        .await
        .unwrap();
    let db = shared_runtime::db::connect(&database_url, 8).await.unwrap();
    shared_runtime::db::migrate(&db, &sqlx::migrate!("./migrations"))
        .await
        .unwrap();

    eprintln!("publishing {n} events ({orgs} organizations, {vehicles} vehicles)…");
    let publisher = Publisher::new(redis.clone(), keys.clone(), 100_000_000);
    for start in (0..n).step_by(1_000) {
        let chunk: Vec<_> = (start..n.min(start + 1_000))
            .map(|i| event(i, orgs, vehicles))
            .collect();
        publisher.publish_raw(&chunk).await.unwrap();
    }

    let auditor = Auditor::new(db.clone());
    let consumer = BatchConsumer::new(
        redis::Client::open(testing::redis_url()).unwrap(),
        keys.clone(),
        consumer_config(),
        AuditRecorder::new(auditor.clone()),
    );
    let shutdown = CancellationToken::new();
    let started = Instant::now();
    let running = tokio::spawn(consumer.run(shutdown.clone()));
    while !caught_up(&mut redis, &keys).await {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let s = started.elapsed().as_secs_f64();
    shutdown.cancel();
    running.await.unwrap().unwrap();
    let entries: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_entries")
        .fetch_one(&db)
        .await
        .unwrap();
    println!(
        "ingest: {n} events -> {entries} entries in {s:.1} s: {:.0} events/s",
        n as f64 / s
    );

    let started = Instant::now();
    let report = auditor.verify(None).await.unwrap();
    let s = started.elapsed().as_secs_f64();
    assert!(report.ok, "{:?}", report.broken);
    println!(
        "verify: {} entries in {} chains in {s:.1} s: {:.0} entries/s",
        report.checked,
        report.chains.len(),
        report.checked as f64 / s
    );
    db.close().await;
    testing::clean_up(&mut redis, &prefix, &database_url).await;
}
