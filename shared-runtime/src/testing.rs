//! Helpers for integration tests: a fresh database and a unique Redis key prefix per
//! test, so tests run in parallel against the real Postgres and Redis.
//!
//! `TEST_DATABASE_URL` names a role allowed to create databases (default
//! `postgres://fleet:fleet@127.0.0.1:5432/postgres`, which `make test` sets up);
//! `TEST_REDIS_URL` the Redis (default `redis://127.0.0.1:6379`).

use sqlx::{Connection, Executor, PgConnection};
use uuid::Uuid;

/// Base Postgres URL for tests.
pub fn database_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://fleet:fleet@127.0.0.1:5432/postgres".to_owned())
}

/// Redis URL for tests.
pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
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

/// A Redis key prefix no other test uses.
pub fn unique_prefix(label: &str) -> String {
    format!("test:{label}:{}:", Uuid::new_v4().simple())
}
