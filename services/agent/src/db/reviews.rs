//! The `reviews` table: one review task per escalated decision, and its outcome as a
//! labelled case.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::decision::Decision;
use crate::domain::review::{Label, Review, ReviewStatus};
use crate::domain::severity;

/// `SELECT <every column> FROM reviews <rest>` as a static string.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT decision_id, org_id, vehicle_id, component, severity, confidence,
                reason, status, created_at, due_at, overdue_at, reviewed_at, reviewed_by,
                note, label_severity, label_actions, label_diagnosis, severity_agrees,
                agrees, superseded_by
             FROM reviews ",
            $rest
        )
    };
}

#[derive(Debug, sqlx::FromRow)]
struct Row {
    decision_id: Uuid,
    org_id: String,
    vehicle_id: String,
    component: String,
    severity: String,
    confidence: f64,
    reason: String,
    status: String,
    created_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    overdue_at: Option<DateTime<Utc>>,
    reviewed_at: Option<DateTime<Utc>>,
    reviewed_by: Option<String>,
    note: Option<String>,
    label_severity: Option<String>,
    label_actions: Option<Json<Vec<String>>>,
    label_diagnosis: Option<String>,
    severity_agrees: Option<bool>,
    agrees: Option<bool>,
    superseded_by: Option<Uuid>,
}

impl Row {
    fn review(self) -> Result<Review, sqlx::Error> {
        let corrupt = |what: &str| sqlx::Error::Decode(format!("reviews.{what}").into());
        let label = match (self.label_severity, self.label_diagnosis) {
            (Some(s), Some(diagnosis)) => Some(Label {
                severity: severity::parse(&s).ok_or_else(|| corrupt("label_severity"))?,
                actions: self.label_actions.map(|a| a.0).unwrap_or_default(),
                diagnosis,
                severity_agrees: self.severity_agrees.unwrap_or(false),
                agrees: self.agrees.unwrap_or(false),
            }),
            _ => None,
        };
        Ok(Review {
            decision_id: self.decision_id,
            org_id: self.org_id,
            vehicle_id: self.vehicle_id,
            component: self.component,
            severity: severity::parse(&self.severity).ok_or_else(|| corrupt("severity"))?,
            confidence: self.confidence,
            reason: self.reason,
            status: ReviewStatus::parse(&self.status).ok_or_else(|| corrupt("status"))?,
            created_at: self.created_at,
            due_at: self.due_at,
            overdue_at: self.overdue_at,
            reviewed_at: self.reviewed_at,
            reviewed_by: self.reviewed_by,
            note: self.note,
            label,
            superseded_by: self.superseded_by,
        })
    }
}

fn reviews(rows: Vec<Row>) -> Result<Vec<Review>, sqlx::Error> {
    rows.into_iter().map(Row::review).collect()
}

/// Opens the review of escalated decision `d`, due at `due_at` (in the decision's
/// transaction).
pub async fn insert(
    conn: &mut PgConnection,
    d: &Decision,
    due_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO reviews (decision_id, org_id, vehicle_id, component, severity,
             confidence, reason, created_at, due_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (decision_id) DO NOTHING",
    )
    .bind(d.decision_id)
    .bind(&d.org_id)
    .bind(&d.vehicle_id)
    .bind(d.component.as_str())
    .bind(d.severity.as_str())
    .bind(d.confidence)
    .bind(d.escalation_reason.as_deref().unwrap_or("needs review"))
    .bind(d.decided_at)
    .bind(due_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// One review.
pub async fn get(pool: &PgPool, decision_id: Uuid) -> Result<Option<Review>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(select!("WHERE decision_id = $1"))
        .bind(decision_id)
        .fetch_optional(pool)
        .await?;
    row.map(Row::review).transpose()
}

/// One review, locked for the rest of the transaction.
pub async fn lock(
    conn: &mut PgConnection,
    decision_id: Uuid,
) -> Result<Option<Review>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(select!("WHERE decision_id = $1 FOR UPDATE"))
        .bind(decision_id)
        .fetch_optional(conn)
        .await?;
    row.map(Row::review).transpose()
}

/// A page of reviews.
#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    /// Only this organization (`None` = all).
    pub org_id: Option<&'a str>,
    /// Only in this state (`None` = all).
    pub status: Option<ReviewStatus>,
    /// Only reviewed ones (confirmed or overridden).
    pub reviewed_only: bool,
    /// Escalated strictly before this instant (keyset paging).
    pub before: Option<DateTime<Utc>>,
    /// At most this many.
    pub limit: i64,
}

/// Reviews matching `f`, newest escalation first.
pub async fn list(pool: &PgPool, f: &Filter<'_>) -> Result<Vec<Review>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(select!(
        "WHERE ($1::text IS NULL OR org_id = $1)
           AND ($2::text IS NULL OR status = $2)
           AND ($3::timestamptz IS NULL OR created_at < $3)
           AND (NOT $5 OR status <> 'open')
         ORDER BY created_at DESC, decision_id DESC
         LIMIT $4"
    ))
    .bind(f.org_id)
    .bind(f.status.map(ReviewStatus::as_str))
    .bind(f.before)
    .bind(f.limit)
    .bind(f.reviewed_only)
    .fetch_all(pool)
    .await?;
    reviews(rows)
}

/// Closes an open review with a person's outcome (in the outcome's transaction).
pub async fn complete(
    conn: &mut PgConnection,
    original: &Decision,
    replacement: Option<&Decision>,
    by: &str,
    note: Option<&str>,
) -> Result<(), sqlx::Error> {
    let label = Label::of(original, replacement);
    let status = if replacement.is_some() {
        ReviewStatus::Overridden
    } else {
        ReviewStatus::Confirmed
    };
    sqlx::query(
        "UPDATE reviews SET status = $2, reviewed_at = now(), reviewed_by = $3, note = $4,
             label_severity = $5, label_actions = $6, label_diagnosis = $7,
             severity_agrees = $8, agrees = $9, superseded_by = $10
         WHERE decision_id = $1 AND status = 'open'",
    )
    .bind(original.decision_id)
    .bind(status.as_str())
    .bind(by)
    .bind(note)
    .bind(label.severity.as_str())
    .bind(Json(&label.actions))
    .bind(&label.diagnosis)
    .bind(label.severity_agrees)
    .bind(label.agrees)
    .bind(replacement.map(|d| d.decision_id))
    .execute(conn)
    .await?;
    Ok(())
}

/// Open reviews past their due time whose overdue escalation has not gone out, oldest
/// first, locked (skipping rows another replica holds).
pub async fn lock_overdue(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Review>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(select!(
        "WHERE status = 'open' AND overdue_at IS NULL AND due_at <= $1
         ORDER BY due_at
         LIMIT $2
         FOR UPDATE SKIP LOCKED"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    reviews(rows)
}

/// Records that the overdue escalation of a review went out.
pub async fn mark_overdue(
    conn: &mut PgConnection,
    decision_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE reviews SET overdue_at = $2 WHERE decision_id = $1")
        .bind(decision_id)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Reviews over a window, for the status.
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow)]
pub struct Agreement {
    /// Reviewed in the window.
    pub reviewed: i64,
    /// Of which confirmed.
    pub confirmed: i64,
    /// Of which overridden.
    pub overridden: i64,
    /// Of which the agent's severity was right.
    pub severity_agreed: i64,
    /// Of which the agent's severity and key action were right.
    pub agreed: i64,
    /// Open now (whenever escalated).
    pub open: i64,
    /// Open now and past due.
    pub overdue: i64,
}

/// Review outcomes since `since` (of `org`, or all) and the open queue now.
pub async fn agreement(
    pool: &PgPool,
    since: DateTime<Utc>,
    org: Option<&str>,
) -> Result<Agreement, sqlx::Error> {
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status <> 'open' AND reviewed_at >= $1) AS reviewed,
                count(*) FILTER (WHERE status = 'confirmed' AND reviewed_at >= $1) AS confirmed,
                count(*) FILTER (WHERE status = 'overridden' AND reviewed_at >= $1) AS overridden,
                count(*) FILTER (WHERE severity_agrees AND reviewed_at >= $1) AS severity_agreed,
                count(*) FILTER (WHERE agrees AND reviewed_at >= $1) AS agreed,
                count(*) FILTER (WHERE status = 'open') AS open,
                count(*) FILTER (WHERE status = 'open' AND due_at <= now()) AS overdue
         FROM reviews
         WHERE ($2::text IS NULL OR org_id = $2)",
    )
    .bind(since)
    .bind(org)
    .fetch_one(pool)
    .await
}

/// Per day (UTC) since `since`: `(day, reviewed, agreed)`, oldest first.
pub async fn agreement_by_day(
    pool: &PgPool,
    since: DateTime<Utc>,
    org: Option<&str>,
) -> Result<Vec<(chrono::NaiveDate, i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT (reviewed_at AT TIME ZONE 'UTC')::date AS day, count(*),
                count(*) FILTER (WHERE agrees)
         FROM reviews
         WHERE status <> 'open' AND reviewed_at >= $1 AND ($2::text IS NULL OR org_id = $2)
         GROUP BY day ORDER BY day",
    )
    .bind(since)
    .bind(org)
    .fetch_all(pool)
    .await
}
