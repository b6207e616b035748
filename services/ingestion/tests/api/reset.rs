//! `make reset-db` starts over: after it, the same readings are ingested again instead
//! of being answered as duplicates by idempotency keys that outlived the databases.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use shared_runtime::testing;
use tokio_util::sync::CancellationToken;

use crate::helpers::{reading, test_config};

/// Runs ingestion on `database_url` and `prefix`, posts `readings` as one batch and
/// stops it; returns the batch answer.
async fn ingest_once(database_url: &str, prefix: &str, readings: &[Value]) -> Value {
    let config = test_config(database_url, prefix);
    let key = config
        .bootstrap_device_key
        .as_ref()
        .unwrap()
        .expose()
        .to_owned();
    let shutdown = CancellationToken::new();
    let app = ingestion::build(config, shutdown.clone()).await.unwrap();
    let url = format!("http://127.0.0.1:{}/v1/telemetry/batch", app.port());
    let running = tokio::spawn(app.run());
    let answer: Value = reqwest::Client::new()
        .post(url)
        .header("x-api-key", key)
        .json(&json!({"readings": readings}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    shutdown.cancel();
    running.await.unwrap().unwrap();
    answer
}

#[tokio::test]
async fn a_reset_then_the_same_simulation_ingests_everything_again() {
    let database_url = testing::fresh_database("ingestion").await;
    let database = database_url.rsplit('/').next().unwrap().to_owned();
    let prefix = testing::unique_prefix("reset");
    let readings: Vec<Value> = (0..40)
        .map(|i| reading("VH-R1", &format!("r-{i}"), 3_600 - i * 60))
        .collect();

    let first = ingest_once(&database_url, &prefix, &readings).await;
    assert_eq!(first["accepted"], 40, "{first}");
    let again = ingest_once(&database_url, &prefix, &readings).await;
    assert_eq!(
        again["duplicates"], 40,
        "without a reset a re-run is duplicates: {again}"
    );

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new("bash")
        .arg(root.join("scripts/db.sh"))
        .arg("reset")
        .env("FLEET_YES", "1")
        .env("FLEET_DATABASES", &database)
        .env("REDIS_PREFIX", &prefix)
        .env("REDIS_URL", testing::redis_url())
        .output()
        .expect("run scripts/db.sh");
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "db.sh reset failed: {said}");
    assert!(
        said.contains(&format!("dropped and recreated {database}")),
        "{said}"
    );
    assert!(said.contains("idempotency keys"), "{said}");
    assert!(!said.contains("removed 0 Redis keys"), "{said}");

    let after = ingest_once(&database_url, &prefix, &readings).await;
    assert_eq!(
        after["accepted"], 40,
        "after a reset everything is new: {after}"
    );
    assert_eq!(after["duplicates"], 0, "{after}");
}
