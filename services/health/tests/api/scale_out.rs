//! Scale-out on the local Redis Cluster (ADR 0026): two health processes share the
//! telemetry partitions; one is SIGKILLed mid-replay. Every reading is applied exactly
//! once, every vehicle ends in the state one process folding everything would reach,
//! and no health event (the cause of every decision and alert) is repeated.
//!
//! `FLEET_SCALE_OUT_READINGS` sets the replay's size (default 200,000, the issue's
//! figure: about a minute in a debug build on the 2-core machine).
//! The health binary is the one `cargo test` builds for this package.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fleetsim::simulate::{Merged, SimConfig, build_fleet};
use serde_json::Value;
use shared_runtime::bus::Keys;
use shared_runtime::testing;
use shared_schemas::Event;
use shared_schemas::events::TelemetryReceived;
use shared_schemas::telemetry::TelemetryReading;
use tokio::process::{Child, Command};

use crate::helpers::{JWT_SECRET, ORG, received, reference, stored_assessment};

const PARTITIONS: u32 = 4;

/// `n` readings of `vehicles` simulated vehicles, time-ordered across them.
fn fleet_readings(vehicles: u32, n: usize) -> Vec<TelemetryReading> {
    let end = crate::helpers::SIM_END;
    let cfg = SimConfig {
        start: end - 7 * 86_400,
        end,
        interval_s: 60,
        seed: 17,
    };
    Merged::new(build_fleet(vehicles, &cfg, 0.3), cfg).take_readings(n, cfg.seed)
}

/// A health process on the cluster, its log in `log`.
fn spawn_health(database_url: &str, prefix: &str, redis_url: &str, log: &PathBuf) -> Child {
    let file = std::fs::File::create(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_health"))
        .env("DATABASE_URL", database_url)
        .env("REDIS_URL", redis_url)
        .env("REDIS_PREFIX", prefix)
        .env("STREAM_PARTITIONS", PARTITIONS.to_string())
        .env("STREAM_LEASE_TTL_MS", "2000")
        .env("JWT_SECRET", JWT_SECRET)
        .env("BIND_ADDR", format!("127.0.0.1:{}", testing::free_port()))
        .env("HEALTH_BATCH", "1000")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .kill_on_drop(true)
        .spawn()
        .expect("start health")
}

async fn applied(db: &sqlx::PgPool) -> i64 {
    // The first instance creates the table; until then nothing is applied.
    health::db::applied::count(db).await.unwrap_or(0)
}

/// Every envelope on `event_type`'s live lanes, every partition.
async fn events(
    redis: &mut shared_runtime::redis_conn::RedisConn,
    keys: &Keys,
    t: &str,
) -> Vec<Value> {
    testing::stream_envelopes(redis, keys, t).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_one_killed_mid_replay_apply_every_reading_once() {
    let n: usize = std::env::var("FLEET_SCALE_OUT_READINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let cluster = testing::redis_cluster_url();
    let database_url = testing::fresh_database("health").await;
    let db = sqlx::PgPool::connect(&database_url).await.unwrap();
    let prefix = testing::unique_prefix("scale-out");
    let keys = Keys::partitioned(prefix.clone(), PARTITIONS, true);
    let mut redis = shared_runtime::bus::connect(&cluster).await.unwrap();
    let logs = std::env::temp_dir().join(format!("fleet-{}", prefix.trim_end_matches(':')));
    std::fs::create_dir_all(&logs).unwrap();

    let readings = fleet_readings(200, n);
    let events_in: Vec<_> = readings.iter().map(|r| received(r, ORG)).collect();
    testing::app::publish(&redis, &keys, &events_in).await;

    let mut a = spawn_health(&database_url, &prefix, &cluster, &logs.join("a.log"));
    let mut b = spawn_health(&database_url, &prefix, &cluster, &logs.join("b.log"));
    // Mid-replay: a third applied, both instances at work.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
    while applied(&db).await < (n / 3) as i64 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "a third not applied in 600 s"
        );
        assert!(a.try_wait().unwrap().is_none() && b.try_wait().unwrap().is_none());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    a.start_kill().unwrap(); // SIGKILL
    a.wait().await.unwrap();
    let killed_at = applied(&db).await;

    loop {
        let lag = shared_runtime::consumer::lag(
            &mut redis,
            &keys,
            health::events::GROUP,
            &[TelemetryReceived::TYPE],
        )
        .await
        .unwrap();
        if lag.lag == Some(0) && lag.pending == 0 && applied(&db).await >= n as i64 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not caught up in 600 s: {lag:?}; logs in {}",
            logs.display()
        );
        assert!(b.try_wait().unwrap().is_none(), "the survivor died");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(killed_at < n as i64, "the kill came before the end");
    assert_eq!(applied(&db).await, n as i64, "every reading applied once");

    let mut by_vehicle: HashMap<String, Vec<TelemetryReading>> = HashMap::new();
    for r in readings {
        by_vehicle.entry(r.vehicle_id.clone()).or_default().push(r);
    }
    for (vehicle, readings) in &by_vehicle {
        let stored = stored_assessment(&db, vehicle).await;
        let expected = reference(readings);
        assert_eq!(
            stored["overall_score"].as_f64(),
            Some(expected.overall_score),
            "{vehicle}"
        );
        assert_eq!(
            serde_json::to_value(&expected.components).unwrap(),
            stored["components"],
            "{vehicle}"
        );
    }

    // Wait for the outbox, then: one event per cause and type. (None is lost: an event
    // commits with the state it announces, in one transaction, and every state is
    // the one a single fold reaches. Which changes are announced depends on batch
    // boundaries, hysteresis and the recovery delay, so there is no list to compare.)
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut causes = HashSet::new();
    for t in [
        "vehicle.health.changed",
        "component.degraded",
        "component.critical",
    ] {
        for e in events(&mut redis, &keys, t).await {
            let cause = (t, e["causation_id"].to_string(), e["payload"].to_string());
            assert!(causes.insert(cause), "{t} repeated: {e}");
        }
    }
    b.start_kill().unwrap();
    testing::clean_up(&mut redis, &prefix, &database_url).await;
}
