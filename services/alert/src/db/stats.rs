//! Alert statistics: volume, time to acknowledge, deliveries.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::QueryAs;
use sqlx::{FromRow, PgPool, Postgres};
use utoipa::ToSchema;

/// What the statistics count: an organization's (`None`: every one) alerts or
/// deliveries created in `[from, to)`.
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    /// Organization scope.
    pub org: Option<&'a str>,
    /// From (inclusive).
    pub from: DateTime<Utc>,
    /// To (exclusive).
    pub to: DateTime<Utc>,
}

impl<'a> Window<'a> {
    /// `sql` with `$1` bound to the organization, `$2` and `$3` to the bounds.
    fn query<O>(self, sql: &'static str) -> QueryAs<'a, Postgres, O, PgArguments>
    where
        O: for<'r> FromRow<'r, PgRow>,
    {
        sqlx::query_as(sql)
            .bind(self.org)
            .bind(self.from)
            .bind(self.to)
    }
}

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
pub async fn by_severity(pool: &PgPool, w: Window<'_>) -> Result<Vec<Count>, sqlx::Error> {
    w.query(
        "SELECT severity AS key, status, count(*) AS count FROM alerts
         WHERE ($1::text IS NULL OR org_id = $1) AND created_at >= $2 AND created_at < $3
         GROUP BY severity, severity_rank, status ORDER BY severity_rank, status",
    )
    .fetch_all(pool)
    .await
}

/// Alerts created in the window by subject.
pub async fn by_subject(pool: &PgPool, w: Window<'_>) -> Result<Vec<Count>, sqlx::Error> {
    w.query(
        "SELECT subject AS key, NULL::text AS status, count(*) AS count FROM alerts
         WHERE ($1::text IS NULL OR org_id = $1) AND created_at >= $2 AND created_at < $3
         GROUP BY subject ORDER BY count(*) DESC, subject",
    )
    .fetch_all(pool)
    .await
}

/// Time to acknowledge of the alerts created in the window.
pub async fn ack_times(pool: &PgPool, w: Window<'_>) -> Result<AckTimes, sqlx::Error> {
    w.query(
        "SELECT count(*) AS acknowledged,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS p50_s,
             percentile_cont(0.9) WITHIN GROUP (ORDER BY s) AS p90_s,
             avg(s) AS mean_s
         FROM (SELECT extract(epoch FROM acknowledged_at - created_at)::float8 AS s FROM alerts
               WHERE ($1::text IS NULL OR org_id = $1) AND created_at >= $2 AND created_at < $3
                 AND acknowledged_at IS NOT NULL) t",
    )
    .fetch_one(pool)
    .await
}

/// Deliveries planned in the window by channel and status.
pub async fn deliveries(pool: &PgPool, w: Window<'_>) -> Result<Vec<Count>, sqlx::Error> {
    w.query(
        "SELECT channel AS key, status, count(*) AS count FROM deliveries
         WHERE ($1::text IS NULL OR org_id = $1) AND created_at >= $2 AND created_at < $3
         GROUP BY channel, status ORDER BY channel, status",
    )
    .fetch_all(pool)
    .await
}
