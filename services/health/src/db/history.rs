//! `health_history`: component health each time `vehicle.health.computed` was
//! published, and the downsampled queries for charts.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool};

/// One component of one published assessment.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    /// Vehicle.
    pub vehicle_id: &'a str,
    /// Organization.
    pub org_id: &'a str,
    /// Component wire name.
    pub component: &'static str,
    /// The instant assessed.
    pub computed_at: DateTime<Utc>,
    /// Score.
    pub score: f64,
    /// Band wire name.
    pub band: &'static str,
    /// RUL, days.
    pub rul_days: f64,
    /// RUL, km.
    pub rul_km: Option<f64>,
    /// Confidence.
    pub confidence: f64,
    /// Model version.
    pub model_version: &'a str,
}

/// Inserts rows; a row for the same vehicle, component and instant (a recompute, or a
/// deferred snapshot of an unchanged instant) is replaced.
pub async fn insert(conn: &mut PgConnection, rows: &[Row<'_>]) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let vehicle: Vec<&str> = rows.iter().map(|r| r.vehicle_id).collect();
    let org: Vec<&str> = rows.iter().map(|r| r.org_id).collect();
    let component: Vec<&str> = rows.iter().map(|r| r.component).collect();
    let at: Vec<DateTime<Utc>> = rows.iter().map(|r| r.computed_at).collect();
    let score: Vec<f64> = rows.iter().map(|r| r.score).collect();
    let band: Vec<&str> = rows.iter().map(|r| r.band).collect();
    let rul_days: Vec<f64> = rows.iter().map(|r| r.rul_days).collect();
    let rul_km: Vec<Option<f64>> = rows.iter().map(|r| r.rul_km).collect();
    let confidence: Vec<f64> = rows.iter().map(|r| r.confidence).collect();
    let model: Vec<&str> = rows.iter().map(|r| r.model_version).collect();
    sqlx::query(
        "INSERT INTO health_history (vehicle_id, org_id, component, computed_at, score, band,
                                     rul_days, rul_km, confidence, model_version)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::timestamptz[],
                              $5::float8[], $6::text[], $7::float8[], $8::float8[],
                              $9::float8[], $10::text[])
         ON CONFLICT (vehicle_id, component, computed_at) DO UPDATE SET
             org_id = EXCLUDED.org_id, score = EXCLUDED.score, band = EXCLUDED.band,
             rul_days = EXCLUDED.rul_days, rul_km = EXCLUDED.rul_km,
             confidence = EXCLUDED.confidence, model_version = EXCLUDED.model_version",
    )
    .bind(&vehicle)
    .bind(&org)
    .bind(&component)
    .bind(&at)
    .bind(&score)
    .bind(&band)
    .bind(&rul_days)
    .bind(&rul_km)
    .bind(&confidence)
    .bind(&model)
    .execute(conn)
    .await?;
    Ok(())
}

/// One point of a history series: a bucket's averages and minima, or one raw row.
#[derive(Debug, Clone, FromRow)]
pub struct Point {
    /// Component wire name.
    pub component: String,
    /// Bucket start (or the row's instant).
    pub at: DateTime<Utc>,
    /// Average score.
    pub score: f64,
    /// Lowest score.
    pub score_min: f64,
    /// Average RUL, days.
    pub rul_days: f64,
    /// Lowest RUL, days.
    pub rul_days_min: f64,
    /// Average RUL, km (when known).
    pub rul_km: Option<f64>,
    /// Average confidence.
    pub confidence: f64,
    /// Rows in the bucket (for raw rows: its position in the series, from 1).
    pub samples: i64,
}

/// A vehicle's history in `[from, to)` in buckets of `bucket_s` seconds aligned on
/// `from`, per component (one if given), oldest first.
pub async fn bucketed(
    pool: &PgPool,
    vehicle_id: &str,
    component: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bucket_s: i64,
) -> Result<Vec<Point>, sqlx::Error> {
    sqlx::query_as(
        "SELECT component,
                date_bin(make_interval(secs => $5), computed_at, $3) AS at,
                avg(score) AS score, min(score) AS score_min,
                avg(rul_days) AS rul_days, min(rul_days) AS rul_days_min,
                avg(rul_km) AS rul_km, avg(confidence) AS confidence,
                count(*) AS samples
         FROM health_history
         WHERE vehicle_id = $1 AND ($2::text IS NULL OR component = $2)
           AND computed_at >= $3 AND computed_at < $4
         GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .bind(vehicle_id)
    .bind(component)
    .bind(from)
    .bind(to)
    .bind(bucket_s as f64)
    .fetch_all(pool)
    .await
}

/// A vehicle's raw history in `[from, to)`, per component, oldest first, at most
/// `limit` rows per component (`samples` numbers them, so a caller sees whether a
/// series was cut).
pub async fn raw(
    pool: &PgPool,
    vehicle_id: &str,
    component: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Point>, sqlx::Error> {
    sqlx::query_as(
        "SELECT component, at, score, score_min, rul_days, rul_days_min, rul_km, confidence,
                samples
         FROM (SELECT component, computed_at AS at, score, score AS score_min,
                      rul_days, rul_days AS rul_days_min, rul_km, confidence,
                      row_number() OVER (PARTITION BY component ORDER BY computed_at)
                          AS samples
               FROM health_history
               WHERE vehicle_id = $1 AND ($2::text IS NULL OR component = $2)
                 AND computed_at >= $3 AND computed_at < $4) t
         WHERE samples <= $5
         ORDER BY component, at",
    )
    .bind(vehicle_id)
    .bind(component)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Deletes up to `limit` rows computed before `before`; returns how many.
pub async fn prune(pool: &PgPool, before: DateTime<Utc>, limit: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM health_history WHERE ctid = ANY(ARRAY(
             SELECT ctid FROM health_history WHERE computed_at < $1 LIMIT $2))",
    )
    .bind(before)
    .bind(limit)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Rows of a vehicle (tests, diagnostics).
pub async fn count(pool: &PgPool, vehicle_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM health_history WHERE vehicle_id = $1")
        .bind(vehicle_id)
        .fetch_one(pool)
        .await
}
