//! The `deliveries` table: the delivery outbox.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use super::send_queue::{SendQueue, send_queue};

/// One message to one recipient on one channel, as stored and served.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, ToSchema)]
pub struct Delivery {
    /// Id; also the idempotency key of the send (email `Message-ID`, SMS/push/webhook
    /// idempotency headers).
    pub delivery_id: Uuid,
    /// The alert.
    pub alert_id: Uuid,
    /// The recipient.
    pub contact_id: Uuid,
    /// `email`, `sms`, `push` or `webhook`.
    pub channel: String,
    /// Escalation step it belongs to.
    pub step: i32,
    /// Severity it was planned for.
    pub severity: String,
    /// The address used (email, number, token, URL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// `pending`, `sending`, `sent`, `failed`, `cancelled` (acknowledged or resolved
    /// first), `superseded` (a higher severity replaced it before it went),
    /// `suppressed` (preferences), `rate_limited`, `skipped` (no address, channel not
    /// configured).
    pub status: String,
    /// Why it waits: `decision` (for the agent's diagnosis) or `quiet_hours`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held: Option<String>,
    /// Why it was not sent, or the last error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Send attempts so far.
    pub attempts: i32,
    /// When it is (or was) due.
    pub due_at: DateTime<Utc>,
    /// When it went out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    /// The provider's id of the message (Twilio SID, FCM name, SMTP Message-ID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_ref: Option<String>,
    /// Correlation id of the flow that caused it.
    pub correlation_id: Uuid,
    /// Planned at.
    pub created_at: DateTime<Utc>,
}

/// A delivery to plan.
#[derive(Debug, Clone)]
pub struct NewDelivery<'a> {
    /// The alert.
    pub alert_id: Uuid,
    /// The recipient.
    pub contact_id: Uuid,
    /// Channel name.
    pub channel: &'a str,
    /// Step.
    pub step: i32,
    /// Severity name and rank.
    pub severity: (&'a str, i16),
    /// Organization and vehicle.
    pub org_id: &'a str,
    /// Vehicle.
    pub vehicle_id: &'a str,
    /// Address.
    pub address: Option<&'a str>,
    /// Initial status.
    pub status: &'a str,
    /// Hold reason.
    pub held: Option<&'a str>,
    /// Reason.
    pub reason: Option<String>,
    /// Due at.
    pub due_at: DateTime<Utc>,
    /// Correlation.
    pub correlation_id: Uuid,
}

/// The delivery outbox's lease statements.
pub const QUEUE: SendQueue = send_queue!(
    "deliveries",
    "delivery_id",
    clear: "held = NULL, ",
    returning: "delivery_id, alert_id, contact_id, channel, step, severity, address, status, \
        held, reason, attempts, due_at, sent_at, provider_ref, correlation_id, created_at"
);

/// Plans a delivery; `false` when the same (alert, contact, channel, step, severity)
/// was planned before (a replay).
pub async fn insert(conn: &mut PgConnection, d: &NewDelivery<'_>) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "INSERT INTO deliveries (delivery_id, alert_id, contact_id, channel, step, severity,
             severity_rank, org_id, vehicle_id, address, status, held, reason, due_at,
             correlation_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (alert_id, contact_id, channel, step, severity) DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(d.alert_id)
    .bind(d.contact_id)
    .bind(d.channel)
    .bind(d.step)
    .bind(d.severity.0)
    .bind(d.severity.1)
    .bind(d.org_id)
    .bind(d.vehicle_id)
    .bind(d.address)
    .bind(d.status)
    .bind(d.held)
    .bind(d.reason.as_deref())
    .bind(d.due_at)
    .bind(d.correlation_id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Messages planned for one recipient about a vehicle on a channel in the last 24 hours
/// that count against the rate limit (pending, being sent or sent). The limit is per
/// recipient: what one person was sent about the vehicle does not use up another's
/// (a second owner, or the next step of the escalation chain).
pub async fn recent_count(
    conn: &mut PgConnection,
    vehicle_id: &str,
    contact_id: Uuid,
    channel: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM deliveries WHERE vehicle_id = $1 AND channel = $2
           AND contact_id = $3
           AND created_at > now() - interval '24 hours'
           AND status IN ('pending', 'sending', 'sent')",
    )
    .bind(vehicle_id)
    .bind(channel)
    .bind(contact_id)
    .fetch_one(conn)
    .await
}

/// Marks pending deliveries of the alert below `rank` as superseded.
pub async fn supersede_below(
    conn: &mut PgConnection,
    alert_id: Uuid,
    rank: i16,
) -> Result<u64, sqlx::Error> {
    supersede(conn, alert_id, rank, false).await
}

/// Marks pending deliveries of the alert above `rank` as superseded (a person's review
/// lowered its severity).
pub async fn supersede_above(
    conn: &mut PgConnection,
    alert_id: Uuid,
    rank: i16,
) -> Result<u64, sqlx::Error> {
    supersede(conn, alert_id, rank, true).await
}

async fn supersede(
    conn: &mut PgConnection,
    alert_id: Uuid,
    rank: i16,
    above: bool,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE deliveries SET status = 'superseded', updated_at = now(),
             reason = CASE WHEN $3 THEN 'severity lowered by a review before it was sent'
                           ELSE 'replaced by a higher severity before it was sent' END
         WHERE alert_id = $1 AND status = 'pending'
           AND CASE WHEN $3 THEN severity_rank > $2 ELSE severity_rank < $2 END",
    )
    .bind(alert_id)
    .bind(rank)
    .bind(above)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Makes deliveries waiting for the diagnosis due now.
pub async fn release_decision_hold(
    conn: &mut PgConnection,
    alert_id: Uuid,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE deliveries SET due_at = LEAST(due_at, now()), held = NULL, updated_at = now()
         WHERE alert_id = $1 AND status = 'pending' AND held = 'decision'",
    )
    .bind(alert_id)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Cancels the alert's pending deliveries.
pub async fn cancel_pending(
    conn: &mut PgConnection,
    alert_id: Uuid,
    reason: &str,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE deliveries SET status = 'cancelled', reason = $2, updated_at = now()
         WHERE alert_id = $1 AND status = 'pending'",
    )
    .bind(alert_id)
    .bind(reason)
    .execute(conn)
    .await?
    .rows_affected())
}

/// An alert's deliveries, in planning order.
pub async fn of_alert(pool: &PgPool, alert_id: Uuid) -> Result<Vec<Delivery>, sqlx::Error> {
    sqlx::query_as(
        "SELECT delivery_id, alert_id, contact_id, channel, step, severity, address, status,
             held, reason, attempts, due_at, sent_at, provider_ref, correlation_id, created_at
         FROM deliveries WHERE alert_id = $1 ORDER BY created_at, delivery_id",
    )
    .bind(alert_id)
    .fetch_all(pool)
    .await
}

/// How many deliveries are due and not sent yet (readiness of the sender, metrics).
pub async fn backlog(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE status IN ('pending', 'sending') AND due_at <= now()")
        .fetch_one(pool)
        .await
}
