//! `applied_readings`: which readings were folded into a vehicle's state.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

/// One reading's key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key<'a> {
    /// Vehicle.
    pub vehicle_id: &'a str,
    /// Idempotency key of the reading.
    pub reading_id: &'a str,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

/// Records `keys` (sorted here, so concurrent batches take index locks in one order)
/// and returns the `(vehicle_id, reading_id)` of those not recorded before.
pub async fn insert_new(
    conn: &mut PgConnection,
    keys: &[Key<'_>],
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let mut sorted: Vec<&Key<'_>> = keys.iter().collect();
    sorted.sort();
    sorted.dedup_by(|a, b| a.vehicle_id == b.vehicle_id && a.reading_id == b.reading_id);
    let vehicles: Vec<&str> = sorted.iter().map(|k| k.vehicle_id).collect();
    let readings: Vec<&str> = sorted.iter().map(|k| k.reading_id).collect();
    let recorded: Vec<DateTime<Utc>> = sorted.iter().map(|k| k.recorded_at).collect();
    sqlx::query_as(
        "INSERT INTO applied_readings (vehicle_id, reading_id, recorded_at)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::timestamptz[])
         ON CONFLICT DO NOTHING
         RETURNING vehicle_id, reading_id",
    )
    .bind(&vehicles)
    .bind(&readings)
    .bind(&recorded)
    .fetch_all(conn)
    .await
}

/// Deletes up to `limit` marks of readings older than `horizon_days` before their
/// vehicle's newest reading (such a reading is refused as too late anyway, so a
/// re-sent one stays a no-op). Returns how many.
pub async fn prune(pool: &PgPool, horizon_days: i64, limit: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM applied_readings WHERE ctid = ANY(ARRAY(
             SELECT a.ctid FROM applied_readings a JOIN vehicles v USING (vehicle_id)
             WHERE a.recorded_at < (SELECT max(newest_at) FROM vehicles)
                                   - make_interval(days => $1::int)
               AND a.recorded_at < v.newest_at - make_interval(days => $1::int)
             LIMIT $2))",
    )
    .bind(i32::try_from(horizon_days).unwrap_or(i32::MAX))
    .bind(limit)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// How many marks there are (tests, diagnostics).
pub async fn count(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM applied_readings")
        .fetch_one(pool)
        .await
}
