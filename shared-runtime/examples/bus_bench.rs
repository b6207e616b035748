//! The event bus' own throughput on one Redis and on Redis Cluster: what the cluster
//! hop costs (ADR 0026), without any service's handling in the way.
//!
//! ```text
//! cargo run --release -p shared-runtime --features test-helpers --example bus_bench -- 200000 8 1
//! BENCH_REDIS_URL=$(scripts/redis-cluster.sh url) cargo run --release ... -- 200000 8 1
//! ```
//!
//! Arguments: events (default 200,000), partitions (default 8), consumer instances
//! (default 1). Publishes the events (envelopes of ~400 bytes, 1,000 vehicles) with
//! `publish_raw` in pipelines of 1,000, then starts the instances of one consumer group
//! with a handler that only counts, and reports both rates. `BENCH_REDIS_URL` (a
//! comma-separated list: a cluster) or the test Redis.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use shared_runtime::bus::{Keys, Publisher};
use shared_runtime::consumer::{
    BatchConsumer, BatchHandler, ConsumerConfig, Delivery, HandlerError,
};
use shared_runtime::redis_conn::RedisTarget;
use shared_runtime::testing;
use tokio_util::sync::CancellationToken;

const TYPE: &str = "bench.event";

/// Counts what it is given.
struct Count(Arc<AtomicUsize>);

#[async_trait::async_trait]
impl BatchHandler for Count {
    async fn handle_batch(&self, batch: &[Delivery]) -> Vec<Result<(), HandlerError>> {
        self.0.fetch_add(batch.len(), Ordering::Relaxed);
        batch.iter().map(|_| Ok(())).collect()
    }
}

fn envelope(i: usize) -> (String, String) {
    let json = serde_json::json!({
        "event_id": uuid::Uuid::now_v7(),
        "event_type": TYPE,
        "schema_version": 1,
        "occurred_at": "2026-12-06T12:00:00Z",
        "producer": "bench",
        "correlation_id": uuid::Uuid::now_v7(),
        "causation_id": null,
        "vehicle_id": format!("VH-{:06}", i % 1_000),
        "payload": {"n": i, "pad": "x".repeat(120)},
    });
    (TYPE.to_owned(), json.to_string())
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("a number"))
        .collect();
    let n = args.first().copied().unwrap_or(200_000);
    let partitions = u32::try_from(args.get(1).copied().unwrap_or(8)).unwrap();
    let instances = args.get(2).copied().unwrap_or(1);
    let url = std::env::var("BENCH_REDIS_URL").unwrap_or_else(|_| testing::redis_url());
    let target = RedisTarget::open(&url, false).unwrap();
    let prefix = testing::unique_prefix("bus-bench");
    let keys = Keys::partitioned(prefix.clone(), partitions, target.is_cluster());
    let mut conn = target.shared().await.unwrap();
    let publisher = Publisher::new(conn.clone(), keys.clone(), 10_000_000);

    let events: Vec<_> = (0..n).map(envelope).collect();
    let started = Instant::now();
    for chunk in events.chunks(1_000) {
        publisher.publish_raw(chunk).await.unwrap();
    }
    let publish_s = started.elapsed().as_secs_f64();

    let counted = Arc::new(AtomicUsize::new(0));
    let shutdown = CancellationToken::new();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..instances {
        let config = ConsumerConfig::new("bench", [TYPE])
            .consumer(format!("bench-{i}"))
            .batch_size(1_000);
        let handler = Arc::new(Count(Arc::clone(&counted)));
        let consumer = BatchConsumer::new(target.clone(), keys.clone(), config, handler);
        tasks.push(tokio::spawn(consumer.run(shutdown.clone())));
    }
    while counted.load(Ordering::Relaxed) < n {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let consume_s = started.elapsed().as_secs_f64();
    shutdown.cancel();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let kind = if target.is_cluster() {
        "cluster"
    } else {
        "one Redis"
    };
    println!(
        "{kind}, {partitions} partition(s), {instances} consumer(s): published {n} in {publish_s:.2} s \
         ({:.0}/s), consumed in {consume_s:.2} s ({:.0}/s)",
        n as f64 / publish_s,
        n as f64 / consume_s
    );
    testing::clean_up(&mut conn, &prefix, "").await;
}
