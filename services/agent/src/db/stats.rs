//! Aggregates behind `GET /v1/agent/status`.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// Decision statistics over a window.
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow)]
pub struct Window {
    /// Decisions.
    pub decisions: i64,
    /// Of which answered by the rules for a failing provider.
    pub fallbacks: i64,
    /// Of which by a model.
    pub by_model: i64,
    /// Of which escalated.
    pub escalated: i64,
    /// Latency percentiles, ms.
    pub p50_ms: Option<f64>,
    /// 95th percentile, ms.
    pub p95_ms: Option<f64>,
    /// 99th percentile, ms.
    pub p99_ms: Option<f64>,
    /// Largest latency, ms.
    pub max_ms: Option<i64>,
    /// Tokens in.
    pub tokens_in: i64,
    /// Tokens out.
    pub tokens_out: i64,
    /// Cost, USD.
    pub cost_usd: f64,
    /// Oldest decision in the window.
    pub first_at: Option<DateTime<Utc>>,
    /// Newest.
    pub last_at: Option<DateTime<Utc>>,
}

/// Statistics of the agent's decisions made since `since` (of `org`, or all); a
/// reviewer's overrides are not the agent's and are counted with the reviews.
pub async fn window(
    pool: &PgPool,
    since: DateTime<Utc>,
    org: Option<&str>,
) -> Result<Window, sqlx::Error> {
    sqlx::query_as(
        "SELECT count(*) AS decisions,
                count(*) FILTER (WHERE fallback_used) AS fallbacks,
                count(*) FILTER (WHERE provider <> 'rules' AND NOT fallback_used) AS by_model,
                count(*) FILTER (WHERE escalated) AS escalated,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50_ms,
                percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95_ms,
                percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99_ms,
                max(latency_ms) AS max_ms,
                coalesce(sum(tokens_in), 0)::bigint AS tokens_in,
                coalesce(sum(tokens_out), 0)::bigint AS tokens_out,
                coalesce(sum(cost_usd), 0)::float8 AS cost_usd,
                min(decided_at) AS first_at,
                max(decided_at) AS last_at
         FROM decisions
         WHERE decided_at >= $1 AND ($2::text IS NULL OR org_id = $2) AND supersedes IS NULL",
    )
    .bind(since)
    .bind(org)
    .fetch_one(pool)
    .await
}

/// `(key, count)` of decisions since `since` grouped by a column: `severity`, `agent`,
/// `provider` or `fallback_reason`.
pub async fn breakdown(
    pool: &PgPool,
    since: DateTime<Utc>,
    org: Option<&str>,
) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT 'severity', severity, count(*) FROM decisions
           WHERE decided_at >= $1 AND ($2::text IS NULL OR org_id = $2) AND supersedes IS NULL GROUP BY severity
         UNION ALL
         SELECT 'agent', agent, count(*) FROM decisions
           WHERE decided_at >= $1 AND ($2::text IS NULL OR org_id = $2) AND supersedes IS NULL GROUP BY agent
         UNION ALL
         SELECT 'provider', provider, count(*) FROM decisions
           WHERE decided_at >= $1 AND ($2::text IS NULL OR org_id = $2) AND supersedes IS NULL GROUP BY provider
         UNION ALL
         SELECT 'fallback_reason', split_part(fallback_reason, ':', 1), count(*) FROM decisions
           WHERE decided_at >= $1 AND ($2::text IS NULL OR org_id = $2) AND fallback_used
             AND supersedes IS NULL
           GROUP BY split_part(fallback_reason, ':', 1)",
    )
    .bind(since)
    .bind(org)
    .fetch_all(pool)
    .await
}
