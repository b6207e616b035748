//! Postgres pool and migrations.

use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

/// Migrations of the runtime's own tables (outbox, inbox), tracked apart from the
/// service's in `_runtime_migrations` so both can number from 1.
static RUNTIME_MIGRATIONS: Migrator = sqlx::migrate!("./migrations");

/// Opens a pool to `url` with `max_connections`.
///
/// JIT compilation is off for the pool's sessions: the services run short statements,
/// and an `= ANY($1)` lookup over a large table is estimated expensive enough to be
/// compiled on every call (about 0.2 s of a 1,000-key lookup in the audit log).
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = url.parse::<PgConnectOptions>()?.options([("jit", "off")]);
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
}

/// Runs the runtime's migrations, then the service's own.
pub async fn migrate(pool: &PgPool, service: &Migrator) -> Result<(), sqlx::migrate::MigrateError> {
    let mut runtime = Migrator::with_migrations(RUNTIME_MIGRATIONS.migrations.to_vec());
    runtime.dangerous_set_table_name("_runtime_migrations");
    runtime.run(pool).await?;
    service.run(pool).await
}
