//! Throughput and latency of the health consumer on this machine, against the real
//! Postgres and Redis (a fresh database and Redis prefix, like the tests).
//!
//! ```text
//! cargo run --release -p health --example consumer_bench -- backlog 2000 200000
//! cargo run --release -p health --example consumer_bench -- paced 2000 10000 30
//! ```
//!
//! `backlog <vehicles> <readings>`: the readings (simulated with fleetsim, time-ordered
//! across the vehicles) are in the stream before the service starts; reports readings
//! applied per second until it has caught up.
//!
//! `BENCH_BATCH` sets the consumer's batch size (default 5,000, the service's
//! `HEALTH_BATCH` default). Scale-out (ADR 0026): `BENCH_INSTANCES` (default 1) health
//! instances in this process share the group, over `BENCH_PARTITIONS` partitions
//! (default 1, or 8 with more than one instance or on a cluster); `BENCH_REDIS_URL` a
//! comma-separated node list runs against Redis Cluster (`scripts/redis-cluster.sh`).
//!
//! `paced <vehicles> <rate> <seconds>`: publishes `rate` readings per second (in 100 ms
//! slices, `received_at` = publish time) for `seconds`; reports the time from each
//! slice's publication until the group had acknowledged it (p50, p99, max over slices:
//! the latency of each slice's last reading), and the service's own
//! `health_ingest_to_health_seconds` histogram from `/metrics`.
//!
//! Needs the `make test` setup (role `fleet` with CREATEDB; `TEST_DATABASE_URL`,
//! `TEST_REDIS_URL` to override). The generator, the service, Postgres and Redis share
//! the machine: figures are a floor.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use chrono::Utc;
use fleetsim::simulate::{Merged, SimConfig, build_fleet};
use health::Config;
use shared_runtime::bus::{Keys, Publisher};
use shared_runtime::config::{CommonConfig, Secret};
use shared_runtime::testing;
use shared_schemas::events::TelemetryReceived;
use shared_schemas::telemetry::{Protocol, TelemetryReading};
use shared_schemas::{Event, EventEnvelope};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

fn readings(vehicles: u32, n: usize) -> Vec<TelemetryReading> {
    let end = 1_767_225_600;
    let cfg = SimConfig {
        start: end - 7 * 86_400,
        end,
        interval_s: 60,
        seed: 11,
    };
    Merged::new(build_fleet(vehicles, &cfg, 0.2), cfg).take_readings(n, cfg.seed)
}

fn envelope(r: &TelemetryReading) -> (String, String) {
    let payload = TelemetryReceived {
        org_id: "bench".to_owned(),
        reading_id: r.reading_id.clone().unwrap_or_default(),
        protocol: Protocol::Canonical,
        received_at: Utc::now(),
        reading: r.clone(),
    };
    let e = EventEnvelope::new("ingestion", Uuid::now_v7(), payload).at(r.recorded_at);
    (
        TelemetryReceived::TYPE.to_owned(),
        serde_json::to_string(&e).unwrap(),
    )
}

async fn caught_up(redis: &mut shared_runtime::redis_conn::RedisConn, keys: &Keys) -> bool {
    let lag = shared_runtime::consumer::lag(
        redis,
        keys,
        health::events::GROUP,
        &[TelemetryReceived::TYPE],
    )
    .await
    .unwrap();
    lag.lag == Some(0) && lag.pending == 0
}

/// `BENCH_REDIS_URL` (a comma-separated list: a cluster), or the test Redis.
fn redis_url() -> String {
    std::env::var("BENCH_REDIS_URL").unwrap_or_else(|_| testing::redis_url())
}

fn env_or(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The service's settings for the run: a large batch and cache, no pruning within it.
fn config(database_url: String, prefix: String, partitions: u32) -> Config {
    Config {
        common: CommonConfig {
            database_url: Secret::new(database_url),
            redis_url: Secret::new(redis_url()),
            redis_cluster: false,
            redis_prefix: prefix,
            bind_addr: ([127, 0, 0, 1], 0).into(),
            jwt_secret: Some(Secret::new("bench-secret-bench-secret-bench-secret")),
            jwks_url: None,
            service_credentials: None,
            stream_max_len: 10_000_000,
            stream_partitions: partitions,
            stream_lease_ttl: std::time::Duration::from_secs(5),
            db_max_connections: 16,
        },
        batch: std::env::var("BENCH_BATCH")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5_000),
        computed_every: Duration::from_secs(60),
        model_path: None,
        reclaim_idle: Duration::from_secs(30),
        cache_vehicles: 20_000,
        maintenance_every: Duration::from_secs(30),
        history_retention_days: 36_500,
    }
}

/// What a run works with.
struct Run {
    vehicles: u32,
    keys: Keys,
    redis: shared_runtime::redis_conn::RedisConn,
    publisher: Publisher,
    config: Config,
    instances: u32,
    shutdown: CancellationToken,
}

/// `backlog`: publishes `n` readings, then starts the service and times its catching up.
async fn backlog(mut run: Run, n: usize) {
    let vehicles = run.vehicles;
    eprintln!("simulating {n} readings of {vehicles} vehicles…");
    let all = readings(vehicles, n);
    for chunk in all.chunks(1_000) {
        let events: Vec<_> = chunk.iter().map(envelope).collect();
        run.publisher.publish_raw(&events).await.unwrap();
    }
    let instances = run.instances;
    let partitions = run.keys.partitions();
    eprintln!(
        "{} readings in the stream; starting {instances} health instance(s) over {partitions} partition(s)",
        all.len()
    );
    let mut services = Vec::new();
    for _ in 0..instances {
        let app = health::build(run.config.clone(), run.shutdown.clone())
            .await
            .unwrap();
        services.push(tokio::spawn(app.run()));
    }
    let started = Instant::now();
    while !caught_up(&mut run.redis, &run.keys).await {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let s = started.elapsed().as_secs_f64();
    let db = sqlx::PgPool::connect(run.config.common.database_url.expose())
        .await
        .unwrap();
    let applied = health::db::applied::count(&db).await.unwrap();
    println!(
        "backlog: {} readings of {vehicles} vehicles applied in {s:.1} s: {:.0} readings/s \
         ({instances} instance(s), {partitions} partition(s)); {applied} rows in applied_readings",
        all.len(),
        all.len() as f64 / s
    );
    run.shutdown.cancel();
    for service in services {
        service.await.unwrap().unwrap();
    }
}

/// Acknowledged entries over time until `n` are, polled every 20 ms: a slice's latency
/// is the time from its publication until the group had acknowledged it (the consumer
/// handles the stream in order), i.e. its last reading's.
fn poll_acknowledged(
    mut redis: shared_runtime::redis_conn::RedisConn,
    keys: Keys,
    n: usize,
) -> tokio::task::JoinHandle<Vec<(Instant, u64)>> {
    tokio::spawn(async move {
        let mut samples = Vec::new();
        loop {
            let lag = shared_runtime::consumer::lag(
                &mut redis,
                &keys,
                health::events::GROUP,
                &[TelemetryReceived::TYPE],
            )
            .await
            .unwrap();
            let len: usize = redis::cmd("XLEN")
                .arg(keys.stream(TelemetryReceived::TYPE))
                .query_async(&mut redis)
                .await
                .unwrap();
            let done = len as u64 - lag.lag.unwrap_or(len as u64) - lag.pending;
            samples.push((Instant::now(), done));
            if done as usize >= n {
                return samples;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

/// `paced`: publishes `rate` readings a second for `seconds` to the running service and
/// reports each 100 ms slice's time until it was applied.
async fn paced(run: Run, rate: usize, seconds: u64) {
    let n = rate * seconds as usize;
    let vehicles = run.vehicles;
    eprintln!("simulating {n} readings of {vehicles} vehicles…");
    let all = readings(vehicles, n);
    let app = health::build(run.config, run.shutdown.clone())
        .await
        .unwrap();
    let port = app.port();
    let service = tokio::spawn(app.run());
    let slice = rate / 10;
    let acked = poll_acknowledged(run.redis.clone(), run.keys.clone(), n);
    let started = Instant::now();
    let mut slices = Vec::new();
    let mut published_n = 0;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    for chunk in all.chunks(slice.max(1)) {
        tick.tick().await;
        let events: Vec<_> = chunk.iter().map(envelope).collect();
        run.publisher.publish_raw(&events).await.unwrap();
        published_n += chunk.len() as u64;
        slices.push((Instant::now(), published_n));
    }
    let published = started.elapsed().as_secs_f64();
    let samples = acked.await.unwrap();
    let done = started.elapsed().as_secs_f64();
    println!(
        "paced: {} readings of {vehicles} vehicles published in {published:.1} s ({:.0}/s); \
         all applied {:.2} s after the last was published",
        all.len(),
        all.len() as f64 / published,
        done - published
    );
    print_latencies(&slices, &samples);
    print_metrics(port).await;
    run.shutdown.cancel();
    service.await.unwrap().unwrap();
}

/// p50, p99 and max of the slices' times from publication until acknowledged.
fn print_latencies(slices: &[(Instant, u64)], samples: &[(Instant, u64)]) {
    let mut latencies: Vec<f64> = slices
        .iter()
        .map(|(at, count)| {
            samples
                .iter()
                .find(|(t, acked)| acked >= count && t >= at)
                .map_or(f64::NAN, |(t, _)| (*t - *at).as_secs_f64())
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    let q = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
    println!(
        "publish-to-applied per 100 ms slice: p50 {:.3} s, p99 {:.3} s, max {:.3} s",
        q(0.5),
        q(0.99),
        q(1.0)
    );
}

/// The service's own latency histogram, batch timings and reading counts.
async fn print_metrics(port: u16) {
    let metrics = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in metrics.lines().filter(|l| {
        l.starts_with("health_ingest_to_health_seconds")
            || l.starts_with("event_batch_handle_seconds")
            || l.starts_with("health_readings_total")
    }) {
        println!("{line}");
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: u64| -> u64 {
        args.get(i)
            .map_or(default, |s| s.parse().expect("a number"))
    };
    let mode = args.first().map_or("backlog", String::as_str).to_owned();
    let vehicles = arg(1, 2_000) as u32;
    assert!(
        mode == "backlog" || mode == "paced",
        "unknown mode {mode:?}: backlog or paced"
    );
    let database_url = testing::fresh_database("health_bench").await;
    let prefix = testing::unique_prefix("health-bench");
    let instances = env_or("BENCH_INSTANCES", 1);
    let cluster = redis_url().contains(',');
    let partitions = env_or(
        "BENCH_PARTITIONS",
        if instances > 1 || cluster { 8 } else { 1 },
    );
    let keys = Keys::partitioned(prefix.clone(), partitions, cluster);
    let (run_prefix, run_database) = (prefix.clone(), database_url.clone());
    let mut redis = shared_runtime::bus::connect(&redis_url()).await.unwrap();
    let run = Run {
        vehicles,
        publisher: Publisher::new(redis.clone(), keys.clone(), 10_000_000),
        keys,
        redis: redis.clone(),
        config: config(database_url, prefix, partitions),
        instances,
        shutdown: CancellationToken::new(),
    };
    match mode.as_str() {
        "backlog" => backlog(run, arg(2, 200_000) as usize).await,
        "paced" => paced(run, arg(2, 10_000) as usize, arg(3, 30)).await,
        other => panic!("unknown mode {other:?}: backlog or paced"),
    }
    testing::clean_up(&mut redis, &run_prefix, &run_database).await;
}
