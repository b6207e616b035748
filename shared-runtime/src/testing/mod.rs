//! Helpers for integration tests: a fresh database and a unique Redis key prefix per
//! test, so tests run in parallel against the real Postgres and Redis.
//!
//! `TEST_DATABASE_URL` names a role allowed to create databases (default
//! `postgres://fleet:fleet@127.0.0.1:5432/postgres`, which `make test` sets up);
//! `TEST_REDIS_URL` the Redis (default `redis://127.0.0.1:6379/1`, apart from the
//! development platform's database 0).

use std::collections::HashMap;

pub mod app;
mod cleanup;
pub mod client;
pub mod hostile;
pub mod rbac;
pub mod tenancy;

pub use cleanup::clean_up;
pub use client::{Answer, Credential, TestClient};

use sqlx::{Connection, Executor, PgConnection};
use uuid::Uuid;

use crate::auth::{Claims, Jwt, Role};
use crate::bus::Keys;
use crate::config::{CommonConfig, Secret};

/// Base Postgres URL for tests.
pub fn database_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://fleet:fleet@127.0.0.1:5432/postgres".to_owned())
}

/// Redis URL for tests.
pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/1".to_owned())
}

/// The local Redis Cluster's node list (`redis://127.0.0.1:7100,...`):
/// `TEST_REDIS_CLUSTER_URL`, or else the cluster `scripts/redis-cluster.sh start`
/// starts (or finds running) the first time a test asks, so `cargo test` needs nothing
/// set up beforehand beyond the machine's `redis-server`.
pub fn redis_cluster_url() -> String {
    static URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("TEST_REDIS_CLUSTER_URL") {
            return url;
        }
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/redis-cluster.sh");
        let out = std::process::Command::new("bash")
            .arg(&script)
            .arg("start")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "{} start failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    })
    .clone()
}

/// Creates an empty database named `test_{label}_{random}` and returns its URL.
/// `make test` drops leftover `test_%` databases before the run.
pub async fn fresh_database(label: &str) -> String {
    let admin = database_admin_url();
    let name = format!("test_{label}_{}", Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {admin} (run `make test`): {e}"));
    conn.execute(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
        .await
        .expect("create test database");
    let (base, _) = admin.rsplit_once('/').expect("database url has a path");
    format!("{base}/{name}")
}

/// A loopback TCP port free right now (for a process the test starts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A Redis key prefix no other test uses.
pub fn unique_prefix(label: &str) -> String {
    format!("test:{label}:{}:", Uuid::new_v4().simple())
}

/// The common settings of a test app: loopback port 0, the test Redis under `prefix`,
/// tokens signed with `jwt_secret`.
pub fn common_config(database_url: &str, prefix: &str, jwt_secret: &str) -> CommonConfig {
    CommonConfig {
        database_url: Secret::new(database_url),
        redis_url: Secret::new(redis_url()),
        redis_cluster: false,
        redis_prefix: prefix.to_owned(),
        bind_addr: ([127, 0, 0, 1], 0).into(),
        jwt_secret: Some(Secret::new(jwt_secret)),
        jwks_url: None,
        service_credentials: None,
        stream_max_len: 1_000_000,
        stream_partitions: 1,
        stream_lease_ttl: std::time::Duration::from_secs(5),
        db_max_connections: 8,
    }
}

/// A bearer token for `sub` with `role` in `org`, scoped to `vehicles` (all when
/// empty), valid for an hour, signed with `jwt_secret`.
pub fn token(jwt_secret: &str, sub: &str, role: Role, org: &str, vehicles: &[&str]) -> String {
    let mut claims = Claims::new(sub, role, org, chrono::Duration::hours(1));
    claims.vehicle_ids = vehicles.iter().map(|v| (*v).to_owned()).collect();
    Jwt::new(&Secret::new(jwt_secret))
        .issue(&claims)
        .expect("sign a test token")
}

/// Creates consumer group `group` on the stream at `key` (and the stream) at its start:
/// a group that has read nothing yet.
pub async fn create_group<C>(conn: &mut C, key: &str, group: &str)
where
    C: redis::aio::ConnectionLike + Send,
{
    let _: () = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(key)
        .arg(group)
        .arg("0")
        .arg("MKSTREAM")
        .query_async(conn)
        .await
        .expect("XGROUP CREATE");
}

/// Every entry of the stream at `key`, its fields as strings, oldest first.
pub async fn stream_entries<C>(conn: &mut C, key: &str) -> Vec<HashMap<String, String>>
where
    C: redis::aio::ConnectionLike + Send,
{
    let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg(key)
        .arg("-")
        .arg("+")
        .query_async(conn)
        .await
        .expect("XRANGE");
    reply
        .ids
        .into_iter()
        .map(|id| {
            id.map
                .into_iter()
                .map(|(k, v)| {
                    (
                        k,
                        redis::from_redis_value::<String>(v).expect("a string field"),
                    )
                })
                .collect()
        })
        .collect()
}

/// The envelopes on `event_type`'s (live) stream, as JSON, oldest first; partition by
/// partition when there are several.
pub async fn stream_envelopes<C>(
    conn: &mut C,
    keys: &Keys,
    event_type: &str,
) -> Vec<serde_json::Value>
where
    C: redis::aio::ConnectionLike + Send,
{
    let mut all = Vec::new();
    for keys in keys.each_partition() {
        all.extend(
            stream_entries(conn, &keys.stream(event_type))
                .await
                .into_iter()
                .map(|fields| serde_json::from_str(&fields["e"]).expect("an envelope")),
        );
    }
    all
}

/// Checks what every service serves beside its API, without authentication: the
/// OpenAPI document at `/openapi.json` equals `generated` (built from the code), which
/// equals the file committed at `committed` (rewritten instead when `UPDATE_OPENAPI` is
/// set: `UPDATE_OPENAPI=1 cargo test -p <package> openapi`); the interactive docs at
/// `/docs/`; `/health/live`; `/health/ready` with the database and Redis up; and
/// `/metrics` with request counts and duration buckets. Panics naming what failed.
pub async fn check_ops_and_docs(
    base_url: &str,
    package: &str,
    generated: &str,
    committed: &std::path::Path,
) {
    let client = reqwest::Client::new();
    let get = |path: &'static str| get_ok(&client, base_url, path);
    let served: serde_json::Value =
        serde_json::from_str(&get("/openapi.json").await).expect("/openapi.json is JSON");
    let built: serde_json::Value = serde_json::from_str(generated).expect("the document is JSON");
    assert_eq!(
        served, built,
        "/openapi.json is not the document built from the code"
    );
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(committed, generated).expect("writing the OpenAPI document");
    }
    // Compared as JSON, not as text: a dependency turning on serde_json's
    // `preserve_order` in a workspace build reorders the keys of examples, not the
    // document.
    let on_disk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(committed).unwrap_or_default())
            .unwrap_or_default();
    assert!(
        on_disk == built,
        "{} is out of date: run `UPDATE_OPENAPI=1 cargo test -p {package} openapi` and commit it",
        committed.display()
    );
    assert!(
        get("/docs/").await.contains("swagger"),
        "/docs/ is not the Swagger UI"
    );
    get("/health/live").await;
    let ready: serde_json::Value =
        serde_json::from_str(&get("/health/ready").await).expect("/health/ready is JSON");
    assert_eq!(ready["database"], "ok", "{ready}");
    assert_eq!(ready["redis"], "ok", "{ready}");
    let metrics = get("/metrics").await;
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    // Durations are histograms with buckets (they add up across replicas), not
    // rolling summaries.
    assert!(
        metrics.contains("http_request_duration_seconds_bucket{"),
        "no duration buckets in /metrics: {metrics}"
    );
}

/// The body of `GET {base_url}{path}`, which must answer 200.
async fn get_ok(client: &reqwest::Client, base_url: &str, path: &str) -> String {
    let response = client
        .get(format!("{base_url}{path}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    assert_eq!(status, 200, "GET {path} answered {status}: {body}");
    body
}
