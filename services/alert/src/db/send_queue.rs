//! The lease life cycle the send queues share, `deliveries` (alert messages),
//! `digests` (planning digests) and `notices` (appointment emails): a sender claims due `pending` rows as `sending` with
//! one more attempt, then records `sent`, `pending` again at a later time (a retry),
//! `failed`, or a final status without sending; a claim older than the lease (its
//! sender stopped) goes back to `pending`. Only rows still `sending` take an outcome.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

/// One queue table's statements, made by [`send_queue!`].
#[derive(Debug)]
pub struct SendQueue {
    /// The table, for logs.
    pub name: &'static str,
    pub(crate) claim: &'static str,
    pub(crate) sent: &'static str,
    pub(crate) failed: &'static str,
    pub(crate) settle: &'static str,
    pub(crate) reclaim: &'static str,
}

/// The [`SendQueue`] of table `$table` keyed by `$id`: a claim returns `$returning`;
/// `$clear` (`"column = NULL, "`, or empty) is cleared with every outcome.
macro_rules! send_queue {
    ($table:literal, $id:literal, clear: $clear:literal, returning: $returning:literal) => {
        $crate::db::send_queue::SendQueue {
            name: $table,
            claim: concat!(
                "UPDATE ", $table, " SET status = 'sending', attempts = attempts + 1, \
                 claimed_at = now(), updated_at = now() \
                 WHERE ", $id, " IN (SELECT ", $id, " FROM ", $table,
                " WHERE status = 'pending' AND due_at <= now() \
                 ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED) \
                 RETURNING ", $returning
            ),
            sent: concat!(
                "UPDATE ", $table, " SET status = 'sent', sent_at = now(), provider_ref = $2, \
                 reason = NULL, ", $clear, "updated_at = now() \
                 WHERE ", $id, " = $1 AND status = 'sending'"
            ),
            failed: concat!(
                "UPDATE ", $table, " SET status = CASE WHEN $3::timestamptz IS NULL \
                 THEN 'failed' ELSE 'pending' END, \
                 due_at = COALESCE($3, due_at), reason = $2, ", $clear, "updated_at = now() \
                 WHERE ", $id, " = $1 AND status = 'sending'"
            ),
            settle: concat!(
                "UPDATE ", $table, " SET status = $2, reason = $3, ", $clear, "updated_at = now() \
                 WHERE ", $id, " = $1 AND status = 'sending'"
            ),
            reclaim: concat!(
                "UPDATE ", $table, " SET status = 'pending', due_at = now(), \
                 reason = 'the sender that claimed it stopped; sending again', updated_at = now() \
                 WHERE status = 'sending' AND claimed_at < now() - make_interval(secs => $1)"
            ),
        }
    };
}
pub(crate) use send_queue;

impl SendQueue {
    /// Claims up to `limit` due rows: `sending`, one more attempt.
    pub async fn claim<T>(&self, pool: &PgPool, limit: i64) -> Result<Vec<T>, sqlx::Error>
    where
        T: for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        sqlx::query_as(self.claim).bind(limit).fetch_all(pool).await
    }

    /// Records a successful send.
    pub async fn sent(
        &self,
        pool: &PgPool,
        id: Uuid,
        provider_ref: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(self.sent)
            .bind(id)
            .bind(provider_ref)
            .execute(pool)
            .await?;
        Ok(())
    }

    /// Records a failed attempt: retried at `retry_at`, or `failed` for good when `None`.
    pub async fn failed(
        &self,
        pool: &PgPool,
        id: Uuid,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(self.failed)
            .bind(id)
            .bind(error)
            .bind(retry_at)
            .execute(pool)
            .await?;
        Ok(())
    }

    /// Gives a claimed row a final status without sending (cancelled, skipped).
    pub async fn settle(
        &self,
        pool: &PgPool,
        id: Uuid,
        status: &str,
        reason: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(self.settle)
            .bind(id)
            .bind(status)
            .bind(reason)
            .execute(pool)
            .await?;
        Ok(())
    }

    /// Returns rows claimed longer than `lease` ago without an outcome (their sender
    /// died) to `pending`; they are sent again.
    pub async fn reclaim_expired(
        &self,
        pool: &PgPool,
        lease: std::time::Duration,
    ) -> Result<u64, sqlx::Error> {
        Ok(sqlx::query(self.reclaim)
            .bind(lease.as_secs_f64())
            .execute(pool)
            .await?
            .rows_affected())
    }
}
