//! What a 2xx means, proven against SIGKILL: the real binary is killed in the middle of
//! a load; afterwards every reading that got a 2xx (and every reading retried until it
//! got one) is in the stream and in the audit table exactly once.

use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use shared_runtime::bus::Keys;
use shared_runtime::testing;
use sqlx::PgPool;
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

use crate::helpers::{JWT_SECRET, envelope, reading, stream_entries, wait_audited};

const WORKERS: usize = 6;
const BATCH: usize = 100;

struct Server {
    env: Vec<(&'static str, String)>,
    port: u16,
}

impl Server {
    fn start(&self) -> Child {
        Command::new(env!("CARGO_BIN_EXE_ingestion"))
            .envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start ingestion binary")
    }

    async fn wait_ready(&self, client: &reqwest::Client) {
        let url = format!("http://127.0.0.1:{}/health/ready", self.port);
        for _ in 0..300 {
            if let Ok(r) = client.get(&url).send().await
                && r.status() == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("ingestion did not become ready on port {}", self.port);
    }
}

/// Posts one batch; true when the server answered 200.
async fn post(client: &reqwest::Client, url: &str, key: &str, batch: &Value) -> bool {
    matches!(
        client.post(url).header("x-api-key", key).json(batch).timeout(Duration::from_secs(5)).send().await,
        Ok(r) if r.status() == 200
    )
}

#[tokio::test]
async fn sigkill_mid_load_loses_nothing_and_duplicates_nothing() {
    let database_url = testing::fresh_database("ingestion_kill").await;
    let prefix = testing::unique_prefix("ingestion_kill");
    let device_key = format!("fk_kill_{}", uuid::Uuid::new_v4().simple());
    let port = testing::free_port();
    let server = Server {
        port,
        env: vec![
            ("DATABASE_URL", database_url.clone()),
            ("REDIS_URL", testing::redis_url()),
            ("REDIS_PREFIX", prefix.clone()),
            ("BIND_ADDR", format!("127.0.0.1:{port}")),
            ("JWT_SECRET", JWT_SECRET.to_owned()),
            ("INGESTION_BOOTSTRAP_DEVICE_KEY", device_key.clone()),
            ("INGESTION_AUDIT_RECLAIM_MS", "500".to_owned()),
            ("RUST_LOG", "warn".to_owned()),
        ],
    };
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/v1/telemetry/batch");

    let mut child = server.start();
    server.wait_ready(&client).await;

    // Load: each worker sends batches until the server dies; every batch is kept with
    // whether it got a 200.
    let stop = Arc::new(AtomicBool::new(false));
    let outcomes: Arc<Mutex<Vec<(Value, bool)>>> = Arc::default();
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let (client, url, key) = (client.clone(), url.clone(), device_key.clone());
        let (stop, outcomes) = (stop.clone(), outcomes.clone());
        workers.push(tokio::spawn(async move {
            let mut seq = 0;
            while !stop.load(Ordering::Relaxed) {
                let readings: Vec<Value> = (0..BATCH)
                    .map(|i| reading(&format!("VH-{w}-{}", i % 10), &format!("w{w}-{seq}-{i}"), 1))
                    .collect();
                seq += 1;
                let batch = json!({ "readings": readings });
                let ok = post(&client, &url, &key, &batch).await;
                outcomes.lock().await.push((batch, ok));
                if !ok {
                    break;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    child.start_kill().expect("SIGKILL");
    child.wait().await.unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }

    let outcomes = std::mem::take(&mut *outcomes.lock().await);
    let acked: usize = outcomes.iter().filter(|(_, ok)| *ok).count();
    assert!(acked > 0, "no batch was acknowledged before the kill");
    assert!(
        outcomes.iter().any(|(_, ok)| !ok),
        "the kill interrupted no request"
    );

    // Restart; retry every batch that got no 200, as a device would.
    let _child = server.start();
    server.wait_ready(&client).await;
    for (batch, ok) in &outcomes {
        if !ok {
            assert!(
                post(&client, &url, &device_key, batch).await,
                "retry failed"
            );
        }
    }

    let expected: HashSet<String> = outcomes
        .iter()
        .flat_map(|(b, _)| b["readings"].as_array().unwrap().iter())
        .map(|r| r["reading_id"].as_str().unwrap().to_owned())
        .collect();

    let redis = shared_runtime::bus::connect(&testing::redis_url())
        .await
        .unwrap();
    let entries = stream_entries(&redis, &Keys::new(prefix), "vehicle.telemetry.received").await;
    let mut in_stream: HashMap<String, usize> = HashMap::new();
    for e in &entries {
        let id = envelope(e)["payload"]["reading_id"]
            .as_str()
            .unwrap()
            .to_owned();
        *in_stream.entry(id).or_default() += 1;
    }
    let duplicated: Vec<_> = in_stream.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        duplicated.is_empty(),
        "duplicated in stream: {:?}",
        &duplicated[..duplicated.len().min(5)]
    );
    let missing: Vec<_> = expected
        .iter()
        .filter(|id| !in_stream.contains_key(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "missing from stream: {:?}",
        &missing[..missing.len().min(5)]
    );
    assert_eq!(in_stream.len(), expected.len());

    let db = PgPool::connect(&database_url).await.unwrap();
    wait_audited(&db, i64::try_from(expected.len()).unwrap()).await;
    let distinct: i64 = sqlx::query_scalar("SELECT count(DISTINCT reading_id) FROM readings")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(distinct, i64::try_from(expected.len()).unwrap());
}
