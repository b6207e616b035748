//! Redis Cluster failover under load (ADR 0026): while devices keep sending, the
//! master serving a partition is failed over to its replica (`CLUSTER FAILOVER`, as an
//! operator or the cluster itself does). Every reading ingestion acknowledged (200,
//! `accepted` or `duplicate`) is on the streams afterwards, once; requests refused
//! during the switch (503) are retried, as a device does, named batches (`batch_id`)
//! under the same name.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Value, json};
use shared_runtime::config::Secret;
use shared_runtime::testing;

use crate::helpers::{reading, spawn_app_with};

const BATCHES: usize = 200;
const BATCH: usize = 50;

/// A plain connection to one cluster node.
async fn node(addr: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(format!("redis://{addr}"))
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// The address of the replica of the master serving `slot`, from `CLUSTER NODES`.
async fn replica_of_slot(any: &str, slot: u16) -> String {
    let nodes: String = redis::cmd("CLUSTER")
        .arg("NODES")
        .query_async(&mut node(any).await)
        .await
        .unwrap();
    let lines: Vec<Vec<&str>> = nodes
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let serves = |fields: &[&str]| {
        fields[8..].iter().any(|range| {
            let (lo, hi) = range.split_once('-').unwrap_or((range, range));
            matches!((lo.parse::<u16>(), hi.parse::<u16>()), (Ok(lo), Ok(hi)) if lo <= slot && slot <= hi)
        })
    };
    let master = lines
        .iter()
        .find(|f| f[2].contains("master") && serves(f))
        .expect("a master serves the slot");
    let replica = lines
        .iter()
        .find(|f| f[2].contains("slave") && f[3] == master[0])
        .expect("the master has a replica");
    replica[1].split('@').next().unwrap().to_owned()
}

/// Fails the master of `slot` over to its replica and waits until the replica is master.
async fn fail_over(any: &str, slot: u16) -> String {
    let replica = replica_of_slot(any, slot).await;
    let mut conn = node(&replica).await;
    let _: () = redis::cmd("CLUSTER")
        .arg("FAILOVER")
        .query_async(&mut conn)
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let role: Vec<redis::Value> = redis::cmd("ROLE").query_async(&mut conn).await.unwrap();
        if matches!(role.first(), Some(redis::Value::BulkString(r)) if r == b"master") {
            return replica;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{replica} not master in 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_master_failed_over_under_load_loses_no_acknowledged_reading() {
    let cluster = testing::redis_cluster_url();
    let app = spawn_app_with(|c| {
        c.common.redis_url = Secret::new(cluster.clone());
        c.common.stream_partitions = 4;
    })
    .await;
    let first_node = cluster
        .split(',')
        .next()
        .unwrap()
        .trim_start_matches("redis://")
        .to_owned();
    let slot: u16 = redis::cmd("CLUSTER")
        .arg("KEYSLOT")
        .arg(app.keys.partition(0).stream("any"))
        .query_async(&mut node(&first_node).await)
        .await
        .unwrap();

    let mut acknowledged = HashSet::new();
    let (mut refused, mut promoted) = (0, None);
    for b in 0..BATCHES {
        if b == BATCHES / 4 {
            // Switched in the background while the load goes on.
            let any = first_node.clone();
            promoted = Some(tokio::spawn(async move { fail_over(&any, slot).await }));
        }
        let readings: Vec<Value> = (0..BATCH)
            .map(|i| reading(&format!("VH-F{:03}", i % 32), &format!("f-{b}-{i}"), 10))
            .collect();
        // Half the batches are named (ADR 0027): their dedupe sets live in the
        // partitions' slots too.
        let batch = if b % 2 == 0 {
            json!({ "batch_id": format!("fo-{b}"), "readings": readings })
        } else {
            json!({ "readings": readings })
        };
        loop {
            // A request stuck on the switch is a failure to report, not a hung run.
            let r = tokio::time::timeout(
                Duration::from_secs(30),
                app.post_device("/v1/telemetry/batch", &batch),
            )
            .await
            .unwrap_or_else(|_| panic!("batch {b} unanswered for 30 s during the failover"));
            if r.status() == 200 {
                let body: Value = r.json().await.unwrap();
                for (reading, result) in readings.iter().zip(body["results"].as_array().unwrap()) {
                    assert_ne!(result["status"], "rejected", "{result}");
                    acknowledged.insert(reading["reading_id"].as_str().unwrap().to_owned());
                }
                break;
            }
            assert_eq!(r.status(), 503, "{}", r.text().await.unwrap());
            refused += 1;
            assert!(refused < 1_000, "refused for too long");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let promoted = promoted.unwrap().await.unwrap();

    let mut conn = app.redis.clone();
    let mut on_streams = Vec::new();
    for keys in app.keys.each_partition() {
        for entry in
            testing::stream_entries(&mut conn, &keys.stream("vehicle.telemetry.received")).await
        {
            let envelope: Value = serde_json::from_str(&entry["e"]).unwrap();
            on_streams.push(
                envelope["payload"]["reading_id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
    }
    let unique: HashSet<String> = on_streams.iter().cloned().collect();
    assert_eq!(unique.len(), on_streams.len(), "no reading twice");
    let lost: Vec<&String> = acknowledged.difference(&unique).collect();
    assert!(
        lost.is_empty(),
        "acknowledged but lost after {promoted} took over: {lost:?}"
    );
    assert_eq!(acknowledged.len(), BATCHES * BATCH);
    app.wait_audited((BATCHES * BATCH) as i64).await;
}
