//! The `mail_queue` table.

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::mail::Mail;

/// Queues `mail`; the mailer sends it after the transaction commits.
pub async fn enqueue(tx: &mut PgConnection, mail: &Mail) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    let (name, kind, bytes) = match &mail.attachment {
        Some(a) => (Some(&a.filename), Some(&a.content_type), Some(&a.bytes)),
        None => (None, None, None),
    };
    sqlx::query(
        "INSERT INTO mail_queue (id, to_address, subject, body_text, attachment_name, \
         attachment_type, attachment) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(&mail.to)
    .bind(&mail.subject)
    .bind(&mail.text)
    .bind(name)
    .bind(kind)
    .bind(bytes)
    .execute(tx)
    .await?;
    Ok(id)
}

/// Mail due now, leased for `lease_s` seconds (another mailer skips it meanwhile).
pub async fn claim_due(
    db: impl PgExecutor<'_>,
    limit: i64,
    lease_s: f64,
) -> Result<Vec<(Uuid, i32, Mail)>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "UPDATE mail_queue SET next_attempt_at = now() + make_interval(secs => $2), \
           attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM mail_queue WHERE sent_at IS NULL AND failed_at IS NULL \
                      AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT $1 \
                      FOR UPDATE SKIP LOCKED) \
         RETURNING id, attempts, to_address, subject, body_text, attachment_name, \
           attachment_type, attachment",
    )
    .bind(limit)
    .bind(lease_s)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Row::into_parts).collect())
}

/// Marks a mail sent and forgets its body and attachment.
pub async fn sent(db: impl PgExecutor<'_>, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE mail_queue SET sent_at = now(), body_text = '', attachment = NULL WHERE id = $1",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// Records a failed attempt: retried after `retry_s`, or given up when `give_up`.
pub async fn failed(
    db: impl PgExecutor<'_>,
    id: Uuid,
    error: &str,
    retry_s: f64,
    give_up: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE mail_queue SET last_error = $2, next_attempt_at = now() + make_interval(secs => $3), \
         failed_at = CASE WHEN $4 THEN now() END WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(retry_s)
    .bind(give_up)
    .execute(db)
    .await?;
    Ok(())
}

/// Mail waiting to be sent.
pub async fn waiting(db: impl PgExecutor<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM mail_queue WHERE sent_at IS NULL AND failed_at IS NULL",
    )
    .fetch_one(db)
    .await
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    attempts: i32,
    to_address: String,
    subject: String,
    body_text: String,
    attachment_name: Option<String>,
    attachment_type: Option<String>,
    attachment: Option<Vec<u8>>,
}

impl Row {
    fn into_parts(self) -> (Uuid, i32, Mail) {
        let attachment = match (self.attachment_name, self.attachment_type, self.attachment) {
            (Some(filename), Some(content_type), Some(bytes)) => {
                Some(crate::domain::mail::Attachment {
                    filename,
                    content_type,
                    bytes,
                })
            }
            _ => None,
        };
        (
            self.id,
            self.attempts,
            Mail {
                to: self.to_address,
                subject: self.subject,
                text: self.body_text,
                attachment,
            },
        )
    }
}
