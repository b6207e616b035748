//! Alert statistics: volume, time to acknowledge, deliveries.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;

/// A count by one or two labels.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Count {
    /// First label (severity, channel…).
    pub key: String,
    /// Second label (status), when counted by two.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// How many.
    pub count: i64,
}

/// Time to acknowledge, seconds.
#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow, ToSchema)]
pub struct AckTimes {
    /// Alerts acknowledged.
    pub acknowledged: i64,
    /// Median.
    pub p50_s: Option<f64>,
    /// 90th percentile.
    pub p90_s: Option<f64>,
    /// Mean.
    pub mean_s: Option<f64>,
}

/// Alerts created in the window by severity and status.
pub async fn by_severity(
    pool: &PgPool,
    org: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Count>, sqlx::Error> {
    sqlx::query_as(
        "SELECT severity AS key, status, count(*) AS count FROM alerts
         WHERE ($1::text IS NULL OR org_id = $1) AND created_at >= $2 AND created_at < $3
         GROUP BY severity, severity_rank, status ORDER BY severity_rank, status",
    )
    .bind(org)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}

/// Alerts created in the window by subject.
pub async fn by_subject(
    pool: &PgPool,
    org: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Count>, sqlx::Error> {
    sqlx::query_as(
        "SELECT subject AS key, NULL::text AS status, count(*) AS count FROM alerts
         WHERE ($1::text IS NULL OR org_id = $1) AND created_at >= $2 AND created_at < $3
         GROUP BY subject ORDER BY count(*) DESC, subject",
    )
    .bind(org)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}

/// Time to acknowledge of the alerts created in the window.
pub async fn ack_times(
    pool: &PgPool,
    org: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<AckTimes, sqlx::Error> {
    sqlx::query_as(
        "SELECT count(*) AS acknowledged,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS p50_s,
             percentile_cont(0.9) WITHIN GROUP (ORDER BY s) AS p90_s,
             avg(s) AS mean_s
         FROM (SELECT extract(epoch FROM acknowledged_at - created_at)::float8 AS s FROM alerts
               WHERE ($1::text IS NULL OR org_id = $1) AND created_at >= $2 AND created_at < $3
                 AND acknowledged_at IS NOT NULL) t",
    )
    .bind(org)
    .bind(from)
    .bind(to)
    .fetch_one(pool)
    .await
}

/// Deliveries planned in the window by channel and status.
pub async fn deliveries(
    pool: &PgPool,
    org: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Count>, sqlx::Error> {
    sqlx::query_as(
        "SELECT channel AS key, status, count(*) AS count FROM deliveries
         WHERE ($1::text IS NULL OR org_id = $1) AND created_at >= $2 AND created_at < $3
         GROUP BY channel, status ORDER BY channel, status",
    )
    .bind(org)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}
