//! Removing what a benchmark run leaves behind.

use crate::testing::database_admin_url;

/// Deletes the Redis keys under `prefix` and drops the database of `database_url`: a
/// benchmark run leaves hundreds of MB otherwise. Failures are ignored (the run's
/// figures are already out; `make test` drops leftover `test_%` databases too).
pub async fn clean_up(redis: &mut crate::redis_conn::RedisConn, prefix: &str, database_url: &str) {
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(redis)
        .await
        .unwrap_or_default();
    if !keys.is_empty() {
        let _: Result<(), _> = redis::cmd("DEL").arg(&keys).query_async(redis).await;
    }
    let Some((_, name)) = database_url.rsplit_once('/') else {
        return;
    };
    let admin = <sqlx::PgConnection as sqlx::Connection>::connect(&database_admin_url()).await;
    if let Ok(mut admin) = admin {
        let drop = format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#);
        let _ = sqlx::Executor::execute(&mut admin, sqlx::AssertSqlSafe(drop)).await;
    }
}
