//! The `notices` table: notice emails (appointments, warranty claims), one per event
//! and recipient, sent like the delivery outbox.

use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use super::send_queue::{SendQueue, send_queue};
use crate::domain::notice::NoticeContent;

/// A notice to plan.
#[derive(Debug, Clone)]
pub struct NewNotice<'a> {
    /// The event it tells (with the contact, its key).
    pub event_id: Uuid,
    /// Its correlation id.
    pub correlation_id: Uuid,
    /// The recipient.
    pub contact_id: Uuid,
    /// Their email address.
    pub address: Option<&'a str>,
    /// `pending` or `skipped`.
    pub status: &'a str,
    /// Why it is skipped.
    pub reason: Option<String>,
    /// What it tells.
    pub content: &'a NoticeContent,
}

/// Plans a notice; `false` when the (event, contact) was planned before.
pub async fn insert(conn: &mut PgConnection, n: &NewNotice<'_>) -> Result<bool, sqlx::Error> {
    let (org_id, vehicle_id) = n.content.vehicle();
    let inserted = sqlx::query(
        "INSERT INTO notices (notice_id, event_id, kind, org_id, vehicle_id, appointment_id,
             claim_id, contact_id, address, status, reason, content, correlation_id, due_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, now())
         ON CONFLICT (event_id, contact_id) DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(n.event_id)
    .bind(n.content.kind())
    .bind(org_id)
    .bind(vehicle_id)
    .bind(n.content.appointment_id())
    .bind(n.content.claim_id())
    .bind(n.contact_id)
    .bind(n.address)
    .bind(n.status)
    .bind(n.reason.as_deref())
    .bind(Json(n.content))
    .bind(n.correlation_id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// The notices' lease statements.
pub const QUEUE: SendQueue = send_queue!(
    "notices",
    "notice_id",
    clear: "",
    returning: "notice_id, contact_id, address, attempts, content, correlation_id"
);

/// A claimed notice, with what it tells.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    /// Id; also the email's `Message-ID`.
    pub notice_id: Uuid,
    /// The recipient.
    pub contact_id: Uuid,
    /// Address.
    pub address: Option<String>,
    /// Attempts, this one included.
    pub attempts: i32,
    /// The event.
    pub content: Json<NoticeContent>,
    /// Its correlation id.
    pub correlation_id: Uuid,
}
