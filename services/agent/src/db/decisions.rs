//! The `decisions` table.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::decision::Decision;
use crate::domain::orchestrator::worker_name;

/// Inserts `d` unless a decision for its trigger exists; `true` when inserted.
pub async fn insert(
    conn: &mut PgConnection,
    d: &Decision,
    requested_by: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let p = &d.provenance;
    let inserted = sqlx::query(
        "INSERT INTO decisions (decision_id, trigger_event_id, trigger, org_id, vehicle_id,
             component, agent, failure_mode, severity, rule_severity, confidence, escalated,
             provider, model, fallback_used, fallback_reason, latency_ms, tokens_in,
             tokens_out, cost_usd, detected_at, decided_at, requested_by, record, supersedes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
             $18, $19, $20, $21, $22, $23, $24, $25)
         ON CONFLICT (trigger_event_id) DO NOTHING",
    )
    .bind(d.decision_id)
    .bind(d.trigger_event_id)
    .bind(d.trigger.as_str())
    .bind(&d.org_id)
    .bind(&d.vehicle_id)
    .bind(d.component.as_str())
    .bind(worker_name(d.agent))
    .bind(d.failure_mode.as_str())
    .bind(d.severity.as_str())
    .bind(d.rule_severity.as_str())
    .bind(d.confidence)
    .bind(d.escalated)
    .bind(&p.provider)
    .bind(&p.model)
    .bind(p.fallback_used)
    .bind(p.fallback_reason.as_deref())
    .bind(i64::try_from(p.latency_ms).unwrap_or(i64::MAX))
    .bind(i64::try_from(p.tokens_in).unwrap_or(i64::MAX))
    .bind(i64::try_from(p.tokens_out).unwrap_or(i64::MAX))
    .bind(p.cost_usd)
    .bind(d.detected_at)
    .bind(d.decided_at)
    .bind(requested_by)
    .bind(Json(d))
    .bind(d.supersedes)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// The decision of a trigger, if made.
pub async fn by_trigger(
    pool: &PgPool,
    trigger_event_id: Uuid,
) -> Result<Option<Decision>, sqlx::Error> {
    let row: Option<(Json<Decision>,)> =
        sqlx::query_as("SELECT record FROM decisions WHERE trigger_event_id = $1")
            .bind(trigger_event_id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|r| r.0.0))
}

/// Whether a decision exists for a trigger.
pub async fn exists(pool: &PgPool, trigger_event_id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM decisions WHERE trigger_event_id = $1)")
        .bind(trigger_event_id)
        .fetch_one(pool)
        .await
}

/// One decision.
pub async fn get(pool: &PgPool, decision_id: Uuid) -> Result<Option<Decision>, sqlx::Error> {
    let row: Option<(Json<Decision>,)> =
        sqlx::query_as("SELECT record FROM decisions WHERE decision_id = $1")
            .bind(decision_id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|r| r.0.0))
}

/// A page of decisions.
#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    /// Only this vehicle.
    pub vehicle_id: Option<&'a str>,
    /// Only this organization (`None` = all).
    pub org_id: Option<&'a str>,
    /// Only this component.
    pub component: Option<&'a str>,
    /// Only escalated ones.
    pub escalated_only: bool,
    /// Decided strictly before this instant (keyset paging).
    pub before: Option<DateTime<Utc>>,
    /// At most this many.
    pub limit: i64,
}

/// Decisions matching `f`, newest first.
pub async fn list(pool: &PgPool, f: &Filter<'_>) -> Result<Vec<Decision>, sqlx::Error> {
    let rows: Vec<(Json<Decision>,)> = sqlx::query_as(
        "SELECT record FROM decisions
         WHERE ($1::text IS NULL OR vehicle_id = $1)
           AND ($2::text IS NULL OR org_id = $2)
           AND ($3::text IS NULL OR component = $3)
           AND (NOT $4 OR escalated)
           AND ($5::timestamptz IS NULL OR decided_at < $5)
         ORDER BY decided_at DESC, decision_id DESC
         LIMIT $6",
    )
    .bind(f.vehicle_id)
    .bind(f.org_id)
    .bind(f.component)
    .bind(f.escalated_only)
    .bind(f.before)
    .bind(f.limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.0.0).collect())
}

/// Whether the vehicle has decisions made while it belonged to `org` (`None` = any).
pub async fn vehicle_has_decisions(
    pool: &PgPool,
    vehicle_id: &str,
    org: Option<&str>,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM decisions
                        WHERE vehicle_id = $1 AND ($2::text IS NULL OR org_id = $2))",
    )
    .bind(vehicle_id)
    .bind(org)
    .fetch_one(pool)
    .await
}
