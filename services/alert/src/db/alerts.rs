//! The `alerts` and `alert_history` tables.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool, Postgres};
use utoipa::ToSchema;
use uuid::Uuid;

use super::listing::{Page, Scope, scope_condition};
use crate::domain::alert::{Alert, Diagnosis, Status, kind_str, parse_kind};
use crate::domain::policy::{parse_severity, rank};

macro_rules! columns {
    () => {
        "alert_id, org_id, vehicle_id, subject, component, kind, severity, status, \
     title, message, diagnosis, needs_review, review_reason, occurrences, step, \
     next_escalation_at, correlation_id, created_at, updated_at, acknowledged_at, \
     acknowledged_by, ack_via, resolved_at, resolved_by, resolution"
    };
}

#[derive(sqlx::FromRow)]
struct Row {
    alert_id: Uuid,
    org_id: String,
    vehicle_id: String,
    subject: String,
    component: Option<String>,
    kind: String,
    severity: String,
    status: String,
    title: String,
    message: String,
    diagnosis: Json<Diagnosis>,
    needs_review: bool,
    review_reason: Option<String>,
    occurrences: i32,
    step: i32,
    next_escalation_at: Option<DateTime<Utc>>,
    correlation_id: Uuid,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    acknowledged_at: Option<DateTime<Utc>>,
    acknowledged_by: Option<String>,
    ack_via: Option<String>,
    resolved_at: Option<DateTime<Utc>>,
    resolved_by: Option<String>,
    resolution: Option<String>,
}

impl Row {
    fn into_alert(self) -> Result<Alert, sqlx::Error> {
        let bad = |what: &str, v: &str| sqlx::Error::Decode(format!("alerts.{what} {v:?}").into());
        Ok(Alert {
            component: self
                .component
                .as_deref()
                .map(|c| {
                    serde_json::from_value(serde_json::Value::String(c.to_owned()))
                        .map_err(|_| bad("component", c))
                })
                .transpose()?,
            kind: parse_kind(&self.kind).ok_or_else(|| bad("kind", &self.kind))?,
            severity: parse_severity(&self.severity)
                .ok_or_else(|| bad("severity", &self.severity))?,
            status: Status::parse(&self.status).ok_or_else(|| bad("status", &self.status))?,
            ack_via: self
                .ack_via
                .as_deref()
                .map(|v| {
                    serde_json::from_value(serde_json::Value::String(v.to_owned()))
                        .map_err(|_| bad("ack_via", v))
                })
                .transpose()?,
            alert_id: self.alert_id,
            org_id: self.org_id,
            vehicle_id: self.vehicle_id,
            subject: self.subject,
            title: self.title,
            message: self.message,
            diagnosis: self.diagnosis.0,
            needs_review: self.needs_review,
            review_reason: self.review_reason,
            occurrences: self.occurrences,
            step: self.step,
            next_escalation_at: self.next_escalation_at,
            correlation_id: self.correlation_id,
            created_at: self.created_at,
            updated_at: self.updated_at,
            acknowledged_at: self.acknowledged_at,
            acknowledged_by: self.acknowledged_by,
            resolved_at: self.resolved_at,
            resolved_by: self.resolved_by,
            resolution: self.resolution,
        })
    }
}

fn ack_via_str(a: &Alert) -> Option<&'static str> {
    a.ack_via.map(|v| match v {
        shared_schemas::events::AckVia::Rest => "rest",
        shared_schemas::events::AckVia::Link => "link",
    })
}

/// One alert.
pub async fn get(pool: &PgPool, alert_id: Uuid) -> Result<Option<Alert>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM alerts WHERE alert_id = $1"
    ))
    .bind(alert_id)
    .fetch_optional(pool)
    .await?;
    row.map(Row::into_alert).transpose()
}

/// One alert, locked for the rest of the transaction.
pub async fn lock(conn: &mut PgConnection, alert_id: Uuid) -> Result<Option<Alert>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM alerts WHERE alert_id = $1 FOR UPDATE"
    ))
    .bind(alert_id)
    .fetch_optional(conn)
    .await?;
    row.map(Row::into_alert).transpose()
}

/// The unresolved alert of a vehicle and subject, locked.
pub async fn lock_active(
    conn: &mut PgConnection,
    org_id: &str,
    vehicle_id: &str,
    subject: &str,
) -> Result<Option<Alert>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM alerts WHERE vehicle_id = $1 AND subject = $2 AND org_id = $3 \
         AND status <> 'resolved' FOR UPDATE"
    ))
    .bind(vehicle_id)
    .bind(subject)
    .bind(org_id)
    .fetch_optional(conn)
    .await?;
    row.map(Row::into_alert).transpose()
}

/// Inserts a new alert.
pub async fn insert(conn: &mut PgConnection, a: &Alert) -> Result<(), sqlx::Error> {
    let query = sqlx::query(
        "INSERT INTO alerts (alert_id, org_id, vehicle_id, subject, component, kind, severity,
             severity_rank, status, title, message, diagnosis, needs_review, review_reason,
             occurrences, step, next_escalation_at, correlation_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
             $18, $19, $20)",
    )
    .bind(a.alert_id)
    .bind(&a.org_id)
    .bind(&a.vehicle_id)
    .bind(&a.subject)
    .bind(a.component.map(|c| c.as_str()))
    .bind(kind_str(a.kind));
    bind_state(query, a)
        .bind(a.created_at)
        .bind(a.updated_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// `query` with the fields of `a` both [`insert`] and [`update`] write bound next, in
/// this order: severity, its rank, status, title, message, diagnosis, needs_review,
/// review_reason, occurrences, step, next_escalation_at, correlation_id.
fn bind_state<'q>(
    query: Query<'q, Postgres, PgArguments>,
    a: &Alert,
) -> Query<'q, Postgres, PgArguments> {
    query
        .bind(a.severity.as_str())
        .bind(rank(a.severity))
        .bind(a.status.as_str())
        .bind(&a.title)
        .bind(&a.message)
        .bind(Json(&a.diagnosis))
        .bind(a.needs_review)
        .bind(a.review_reason.as_deref())
        .bind(a.occurrences)
        .bind(a.step)
        .bind(a.next_escalation_at)
        .bind(a.correlation_id)
}

/// Writes back every mutable field of `a`.
pub async fn update(conn: &mut PgConnection, a: &Alert) -> Result<(), sqlx::Error> {
    let query = sqlx::query(
        "UPDATE alerts SET severity = $2, severity_rank = $3, status = $4, title = $5,
             message = $6, diagnosis = $7, needs_review = $8, review_reason = $9,
             occurrences = $10, step = $11, next_escalation_at = $12, correlation_id = $13,
             updated_at = $14, acknowledged_at = $15, acknowledged_by = $16, ack_via = $17,
             resolved_at = $18, resolved_by = $19, resolution = $20
         WHERE alert_id = $1",
    )
    .bind(a.alert_id);
    bind_state(query, a)
        .bind(a.updated_at)
        .bind(a.acknowledged_at)
        .bind(a.acknowledged_by.as_deref())
        .bind(ack_via_str(a))
        .bind(a.resolved_at)
        .bind(a.resolved_by.as_deref())
        .bind(a.resolution.as_deref())
        .execute(conn)
        .await?;
    Ok(())
}

/// Appends to an alert's history.
pub async fn history(
    conn: &mut PgConnection,
    alert_id: Uuid,
    what: &str,
    detail: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO alert_history (alert_id, what, detail) VALUES ($1, $2, $3)")
        .bind(alert_id)
        .bind(what)
        .bind(Json(detail))
        .execute(conn)
        .await?;
    Ok(())
}

/// One entry of an alert's history.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct HistoryEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// What: created, folded, upgraded, review, overridden (a person's decision took
    /// over), review_overdue(_reopened), escalated, acknowledged, reopened, resolved.
    pub what: String,
    /// Details.
    #[schema(value_type = Object)]
    pub detail: Json<serde_json::Value>,
}

/// An alert's history, oldest first.
pub async fn history_of(pool: &PgPool, alert_id: Uuid) -> Result<Vec<HistoryEntry>, sqlx::Error> {
    sqlx::query_as("SELECT at, what, detail FROM alert_history WHERE alert_id = $1 ORDER BY id")
        .bind(alert_id)
        .fetch_all(pool)
        .await
}

/// Alerts whose escalation is due.
pub async fn escalation_due(pool: &PgPool, limit: i64) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT alert_id FROM alerts WHERE status = 'open' AND next_escalation_at <= now()
         ORDER BY next_escalation_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// A list filter; `None` fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    /// Whose alerts.
    pub scope: Scope<'a>,
    /// Status.
    pub status: Option<&'a str>,
    /// Minimum severity rank.
    pub min_rank: Option<i16>,
    /// Subject (component or `staleness`).
    pub subject: Option<&'a str>,
    /// Created at or after.
    pub since: Option<DateTime<Utc>>,
    /// Keyset on (created_at, alert_id).
    pub page: Page,
}

/// Alerts matching `f`, newest first.
pub async fn list(pool: &PgPool, f: &Filter<'_>) -> Result<Vec<Alert>, sqlx::Error> {
    let query = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM alerts WHERE ",
        scope_condition!(),
        "
           AND ($4::text IS NULL OR status = $4)
           AND ($5::smallint IS NULL OR severity_rank >= $5)
           AND ($6::text IS NULL OR subject = $6)
           AND ($7::timestamptz IS NULL OR created_at >= $7)
           AND ($8::timestamptz IS NULL OR (created_at, alert_id) < ($8, $9))
         ORDER BY created_at DESC, alert_id DESC
         LIMIT $10"
    ));
    let query = f
        .scope
        .bind(query)
        .bind(f.status)
        .bind(f.min_rank)
        .bind(f.subject)
        .bind(f.since);
    let rows: Vec<Row> = f.page.bind(query).fetch_all(pool).await?;
    rows.into_iter().map(Row::into_alert).collect()
}

/// The unresolved alerts of a vehicle in one organization.
pub async fn unresolved_of(
    pool: &PgPool,
    org_id: &str,
    vehicle_id: &str,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT alert_id FROM alerts
         WHERE org_id = $1 AND vehicle_id = $2 AND status <> 'resolved'",
    )
    .bind(org_id)
    .bind(vehicle_id)
    .fetch_all(pool)
    .await
}
