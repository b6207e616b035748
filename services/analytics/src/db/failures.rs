//! Failed logins per email (`login_failures`), whether or not the account exists.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// When the address is locked until, if it is.
pub async fn locked_until(
    db: impl PgExecutor<'_>,
    email: &str,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let until: Option<Option<DateTime<Utc>>> =
        sqlx::query_scalar("SELECT locked_until FROM login_failures WHERE email = $1")
            .bind(email)
            .fetch_optional(db)
            .await?;
    Ok(until.flatten().filter(|t| *t > Utc::now()))
}

/// Counts a failure and returns the count since the last success. A failure an hour
/// after the previous one starts the count again.
pub async fn record(db: impl PgExecutor<'_>, email: &str) -> Result<u32, sqlx::Error> {
    let n: i32 = sqlx::query_scalar(
        "INSERT INTO login_failures (email, failures, last_failed_at) VALUES ($1, 1, now()) \
         ON CONFLICT (email) DO UPDATE SET \
           failures = CASE WHEN login_failures.last_failed_at < now() - interval '1 hour' \
                           THEN 1 ELSE login_failures.failures + 1 END, \
           last_failed_at = now() \
         RETURNING failures",
    )
    .bind(email)
    .fetch_one(db)
    .await?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Locks the address until `until`.
pub async fn lock(
    db: impl PgExecutor<'_>,
    email: &str,
    until: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE login_failures SET locked_until = $2 WHERE email = $1")
        .bind(email)
        .bind(until)
        .execute(db)
        .await?;
    Ok(())
}

/// Forgets the failures of an address after a successful login.
pub async fn clear(db: impl PgExecutor<'_>, email: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE email = $1")
        .bind(email)
        .execute(db)
        .await?;
    Ok(())
}
