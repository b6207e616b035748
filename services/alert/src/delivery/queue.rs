//! What the send queues' senders share (deliveries, digests, notices): the loop that
//! drains a queue, a batch of claims sent concurrently, the recipient check, the send
//! timeout, and recording an outcome with exponential backoff.

use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use rand::Rng;
use sqlx::PgPool;
use sqlx::postgres::PgRow;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::SendError;
use crate::db::contacts;
use crate::db::send_queue::SendQueue;
use crate::domain::contact::Contact;

/// Runs `pass` (one claimed batch sent; returns its size) over `queue` until
/// `shutdown`, taking back stale claims every 5 s; after a pass that found nothing it
/// waits for `wake` or `idle`.
pub(crate) async fn drain<F, Fut>(
    db: &PgPool,
    queue: &SendQueue,
    lease: Duration,
    wake: &Notify,
    idle: Duration,
    shutdown: CancellationToken,
    mut pass: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<usize>>,
{
    let mut last_reclaim = tokio::time::Instant::now();
    while !shutdown.is_cancelled() {
        reclaim_every_5s(&mut last_reclaim, db, queue, lease).await;
        let busy = match pass().await {
            Ok(n) => n > 0,
            Err(e) => {
                tracing::warn!(
                    queue = queue.name,
                    error = format!("{e:#}"),
                    "send pass failed; retrying"
                );
                false
            }
        };
        if !busy {
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = wake.notified() => {}
                () = tokio::time::sleep(idle) => {}
            }
        }
    }
    tracing::debug!(queue = queue.name, "sender stopped");
}

/// Claims up to `limit` due rows of `queue` and hands each to `deliver`, `concurrency`
/// at a time; returns how many were claimed. A row whose outcome could not be recorded
/// is logged: its lease brings it back.
pub(crate) async fn send_batch<T, F, Fut>(
    db: &PgPool,
    queue: &SendQueue,
    limit: i64,
    concurrency: usize,
    deliver: F,
) -> anyhow::Result<usize>
where
    T: for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
    F: Fn(T) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let claimed = queue.claim::<T>(db, limit).await?;
    let n = claimed.len();
    futures::stream::iter(claimed)
        .for_each_concurrent(concurrency, |row| {
            let sent = deliver(row);
            async move {
                if let Err(e) = sent.await {
                    tracing::warn!(
                        queue = queue.name,
                        error = format!("{e:#}"),
                        "recording a send failed"
                    );
                }
            }
        })
        .await;
    Ok(n)
}

/// The recipient `contact_id` of claimed row `id`, when still there and active;
/// otherwise the row is settled `skipped` and `None` returned.
pub(crate) async fn active_contact(
    db: &PgPool,
    queue: &SendQueue,
    id: Uuid,
    contact_id: Uuid,
) -> anyhow::Result<Option<Contact>> {
    let contact = contacts::get(db, contact_id).await?.filter(|c| c.active);
    if contact.is_none() {
        queue
            .settle(db, id, "skipped", "contact removed or inactive")
            .await?;
    }
    Ok(contact)
}

/// Retry settings of a send queue.
#[derive(Debug, Clone, Copy)]
pub struct Retries {
    /// Attempts before `failed`.
    pub max_attempts: i32,
    /// First retry delay.
    pub base: Duration,
    /// Longest retry delay.
    pub max: Duration,
}

/// Records the outcome of the `attempts`th attempt at sending row `id` of `queue`:
/// `sent`, `pending` again after a backoff (a transient failure with attempts left), or
/// `failed`. Returns the outcome's name, for metrics.
pub(crate) async fn record_outcome(
    db: &PgPool,
    queue: &SendQueue,
    id: Uuid,
    attempts: i32,
    retries: Retries,
    result: Result<String, SendError>,
) -> Result<&'static str, sqlx::Error> {
    match result {
        Ok(reference) => {
            queue.sent(db, id, Some(&reference)).await?;
            Ok("sent")
        }
        Err(SendError::Transient(e)) if attempts < retries.max_attempts => {
            let retry_at = Utc::now() + backoff(retries.base, retries.max, attempts);
            tracing::info!(queue = queue.name, %id, attempt = attempts, error = %e, %retry_at, "send failed; will retry");
            queue.failed(db, id, &e, Some(retry_at)).await?;
            Ok("retry")
        }
        Err(e) => {
            let why = format!("gave up after {attempts} attempt(s): {e}");
            tracing::warn!(queue = queue.name, %id, error = %why, "send failed");
            queue.failed(db, id, &why, None).await?;
            Ok("failed")
        }
    }
}

/// Every 5 s (`last`: the previous time), puts the rows of `queue` whose sender
/// stopped back to `pending`.
pub(crate) async fn reclaim_every_5s(
    last: &mut tokio::time::Instant,
    db: &PgPool,
    queue: &SendQueue,
    lease: Duration,
) {
    if last.elapsed() <= Duration::from_secs(5) {
        return;
    }
    *last = tokio::time::Instant::now();
    match queue.reclaim_expired(db, lease).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            rows = n,
            "{} claimed by a stopped sender are sent again",
            queue.name
        ),
        Err(e) => tracing::warn!(error = %e, "reclaiming {} failed", queue.name),
    }
}

/// `send`'s outcome, or a transient error when it takes longer than `limit`.
pub(crate) async fn within(
    limit: Duration,
    send: impl Future<Output = Result<String, SendError>>,
) -> Result<String, SendError> {
    match tokio::time::timeout(limit, send).await {
        Ok(r) => r,
        Err(_) => Err(SendError::Transient(format!(
            "timed out after {} ms",
            limit.as_millis()
        ))),
    }
}

/// The delay before retrying after `attempts` attempts: `base` doubled per attempt,
/// capped at `max`, with jitter (half to all of it) so retries of one outage spread out.
pub fn backoff(base: Duration, max: Duration, attempts: i32) -> chrono::Duration {
    let exp = base
        .saturating_mul(1 << attempts.clamp(1, 20).saturating_sub(1))
        .min(max);
    let jittered = exp.mul_f64(rand::rng().random_range(0.5..=1.0));
    chrono::Duration::from_std(jittered).unwrap_or(chrono::Duration::seconds(60))
}
