//! The `digest_periods` and `digests` tables: the maintenance-planning digest, planned
//! per organization and period, sent per fleet manager like the delivery outbox.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use super::listing::Page;
use super::send_queue::{SendQueue, send_queue};
use crate::domain::planning::PlanningItem;

/// Takes the planner's lock for the rest of the transaction if it is free; `false` when
/// another replica is planning (it skips this pass rather than wait).
pub async fn try_lock(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtextextended('alert.digests', 4004))")
        .fetch_one(conn)
        .await
}

/// An organization whose digest is due, and where its period starts (the previous
/// digest, or its oldest item the first time).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    /// The organization.
    pub org_id: String,
    /// The start of the period.
    pub period_start: DateTime<Utc>,
}

/// Organizations with planning items whose previous digest (or, the first time, their
/// oldest item) is at or before `cutoff` (now − the digest period), longest waiting
/// first.
pub async fn due(
    conn: &mut PgConnection,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Due>, sqlx::Error> {
    sqlx::query_as(
        "SELECT org_id, COALESCE(last_end, oldest) AS period_start FROM (
             SELECT p.org_id, min(p.first_seen_at) AS oldest,
                 (SELECT max(d.period_end) FROM digest_periods d WHERE d.org_id = p.org_id)
                     AS last_end
             FROM planning_items p GROUP BY p.org_id) t
         WHERE COALESCE(last_end, oldest) <= $1
         ORDER BY 2, 1 LIMIT $2",
    )
    .bind(cutoff)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Records that an organization's digest of a period was planned.
pub async fn insert_period(
    conn: &mut PgConnection,
    org_id: &str,
    period: (DateTime<Utc>, DateTime<Utc>),
    items: usize,
    recipients: usize,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO digest_periods (org_id, period_start, period_end, items, recipients)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(org_id)
    .bind(period.0)
    .bind(period.1)
    .bind(i32::try_from(items).unwrap_or(i32::MAX))
    .bind(i32::try_from(recipients).unwrap_or(i32::MAX))
    .execute(conn)
    .await?;
    Ok(())
}

/// A digest to plan.
#[derive(Debug, Clone)]
pub struct NewDigest<'a> {
    /// Organization.
    pub org_id: &'a str,
    /// The fleet manager.
    pub contact_id: Uuid,
    /// The period.
    pub period: (DateTime<Utc>, DateTime<Utc>),
    /// Their email address.
    pub address: Option<&'a str>,
    /// `pending` or `skipped`.
    pub status: &'a str,
    /// Why it is skipped.
    pub reason: Option<String>,
    /// The items it lists.
    pub items: &'a [&'a PlanningItem],
}

/// Plans a digest; `false` when the (organization, contact, period) was planned before.
pub async fn insert(conn: &mut PgConnection, d: &NewDigest<'_>) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "INSERT INTO digests (digest_id, org_id, contact_id, period_start, period_end, address,
             status, reason, items, content, due_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())
         ON CONFLICT (org_id, contact_id, period_end) DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(d.org_id)
    .bind(d.contact_id)
    .bind(d.period.0)
    .bind(d.period.1)
    .bind(d.address)
    .bind(d.status)
    .bind(d.reason.as_deref())
    .bind(i32::try_from(d.items.len()).unwrap_or(i32::MAX))
    .bind(Json(d.items))
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// One digest email, as recorded and served (without its content).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, ToSchema)]
pub struct Digest {
    /// Id; also the email's `Message-ID`.
    pub digest_id: Uuid,
    /// Organization.
    pub org_id: String,
    /// The fleet manager it is for.
    pub contact_id: Uuid,
    /// The period it covers: from the previous digest (or the oldest item) …
    pub period_start: DateTime<Utc>,
    /// … to when it was planned.
    pub period_end: DateTime<Utc>,
    /// The address used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// `pending`, `sending`, `sent`, `failed` or `skipped` (no address, email off in the
    /// preferences, email not configured).
    pub status: String,
    /// Why it was skipped, or the last error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Send attempts so far.
    pub attempts: i32,
    /// Planning items listed.
    pub items: i32,
    /// When it went out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    /// The SMTP Message-ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_ref: Option<String>,
    /// Planned at.
    pub created_at: DateTime<Utc>,
}

/// The digests' lease statements.
pub const QUEUE: SendQueue = send_queue!(
    "digests",
    "digest_id",
    clear: "",
    returning: "digest_id, org_id, contact_id, period_end, address, attempts, content"
);

/// A claimed digest, with what it lists.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    /// Id.
    pub digest_id: Uuid,
    /// Organization.
    pub org_id: String,
    /// The fleet manager.
    pub contact_id: Uuid,
    /// The end of its period.
    pub period_end: DateTime<Utc>,
    /// Address.
    pub address: Option<String>,
    /// Attempts, this one included.
    pub attempts: i32,
    /// The items.
    pub content: Json<Vec<PlanningItem>>,
}

/// Digests of an organization (every organization when `None`), newest first, keyset
/// paged on (created_at, digest_id).
pub async fn list(
    pool: &PgPool,
    org_id: Option<&str>,
    page: Page,
) -> Result<Vec<Digest>, sqlx::Error> {
    let query = sqlx::query_as(
        "SELECT digest_id, org_id, contact_id, period_start, period_end, address, status, reason,
             attempts, items, sent_at, provider_ref, created_at
         FROM digests
         WHERE ($1::text IS NULL OR org_id = $1)
           AND ($2::timestamptz IS NULL OR (created_at, digest_id) < ($2, $3))
         ORDER BY created_at DESC, digest_id DESC
         LIMIT $4",
    )
    .bind(org_id);
    page.bind(query).fetch_all(pool).await
}
