//! Transactional outbox and its relay.
//!
//! A service that changes its database and announces the change writes the event with
//! [`enqueue`] in the same transaction: the change and the event commit together, so a
//! committed change is never lost when Redis is down, and a rolled-back change is never
//! announced. The [`Relay`] then moves rows from the `outbox` table to the streams.
//!
//! Delivery is **at least once**: the relay deletes a batch in the transaction that
//! locked it, after `XADD`; a crash (or a lost database connection) between the `XADD`
//! and the `COMMIT` republishes the batch. Consumers dedupe by event id through
//! [`crate::inbox`].
//!
//! Order: one relay publishes rows in id (insertion) order, so the events of one vehicle
//! keep their order when they were committed in that order. Several relays on the same
//! database (several replicas) are safe, `FOR UPDATE SKIP LOCKED` gives each a disjoint
//! batch, but two relays publishing adjacent batches at once may interleave them, and a
//! transaction that commits after a later-numbered one is published after it.

use std::sync::Arc;
use std::time::Duration;

use shared_schemas::{Event, EventEnvelope};
use sqlx::{PgConnection, PgPool};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::bus::{BusError, Keys, Publisher};
use crate::redis_conn::RedisTarget;

/// Why an event could not be put in the outbox.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The envelope could not be serialized.
    #[error("serializing event: {0}")]
    Json(#[from] serde_json::Error),
    /// The insert failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// Why one relay pass failed (the rows stay in the outbox).
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// Reading or deleting outbox rows failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// Publishing to Redis failed.
    #[error("publishing: {0}")]
    Bus(#[from] BusError),
}

/// Writes `envelope` to the outbox within the caller's transaction (pass `&mut tx`).
///
/// Enqueuing the same event id twice is a no-op. After the commit, poke the relay's
/// [`Relay::notifier`] (`notify.notify_one()`) to publish at once rather than at the
/// next poll; do it after the commit, since the relay cannot see uncommitted rows.
pub async fn enqueue<P: Event>(
    conn: &mut PgConnection,
    envelope: &EventEnvelope<P>,
) -> Result<(), OutboxError> {
    let json = serde_json::to_string(envelope)?;
    sqlx::query(
        "INSERT INTO outbox (event_id, event_type, envelope) VALUES ($1, $2, $3) \
         ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(envelope.event_id)
    .bind(&envelope.event_type)
    .bind(json)
    .execute(conn)
    .await?;
    Ok(())
}

/// How many events wait in the outbox (for readiness and metrics).
pub async fn pending(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(pool)
        .await
}

/// Publishes the outbox to the streams until shut down.
pub struct Relay {
    pool: PgPool,
    publisher: Publisher,
    batch_size: usize,
    poll_interval: Duration,
    backoff_min: Duration,
    backoff_max: Duration,
    notify: Arc<Notify>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("publisher", &self.publisher)
            .field("batch_size", &self.batch_size)
            .field("poll_interval", &self.poll_interval)
            .finish_non_exhaustive()
    }
}

impl Relay {
    /// A relay from `pool` to `publisher`: batches of 500, polling every second,
    /// retrying after an outage with a backoff from 100 ms to 10 s.
    pub fn new(pool: PgPool, publisher: Publisher) -> Self {
        Self {
            pool,
            publisher,
            batch_size: 500,
            poll_interval: Duration::from_secs(1),
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(10),
            notify: Arc::new(Notify::new()),
        }
    }

    /// A relay whose Redis connection opens on first use, so it can start while Redis
    /// is down (the rows wait; it keeps retrying). Fails only on a malformed URL. Call
    /// it inside the Tokio runtime. (`RedisTarget::open(url, false)?` from a URL.)
    pub fn lazy(
        pool: PgPool,
        redis: &RedisTarget,
        keys: Keys,
        max_len: usize,
    ) -> Result<Self, redis::RedisError> {
        // No retries inside the connection: the relay's own backoff paces the attempts.
        let conn = redis.shared_lazy(Duration::from_secs(2), Duration::from_secs(5))?;
        Ok(Self::new(pool, Publisher::new(conn, keys, max_len)))
    }

    /// Sets the largest batch (one pipeline, one transaction).
    #[must_use]
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n.max(1);
        self
    }

    /// Sets how often an idle relay looks for rows (waking on the notifier is faster).
    #[must_use]
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every;
        self
    }

    /// Sets the retry delays during an outage: doubling from `min` up to `max`.
    #[must_use]
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.backoff_min = min;
        self.backoff_max = max.max(min);
        self
    }

    /// The handle producers poke after committing an enqueue. Waking is only an
    /// optimization: polling alone guarantees progress.
    pub fn notifier(&self) -> Arc<Notify> {
        Arc::clone(&self.notify)
    }

    /// Runs until `shutdown` is cancelled. A batch in flight completes first (its
    /// transaction is short); an outage only delays publication, nothing is dropped.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut backoff = self.backoff_min;
        let mut failing = false;
        while !shutdown.is_cancelled() {
            let wait = match self.relay_once().await {
                Ok(n) => {
                    if failing {
                        tracing::info!("outbox relay recovered, publishing again");
                        failing = false;
                        backoff = self.backoff_min;
                    }
                    if n == self.batch_size {
                        // A full batch: more rows are probably waiting.
                        continue;
                    }
                    None
                }
                Err(e) => {
                    // Once per outage at warn: a Redis restart must not flood the logs.
                    if failing {
                        tracing::debug!(error = %e, "outbox relay still failing");
                    } else {
                        tracing::warn!(error = %e, "outbox relay cannot publish; rows kept, retrying");
                        failing = true;
                    }
                    let delay = backoff;
                    backoff = (backoff * 2).min(self.backoff_max);
                    Some(delay)
                }
            };
            match wait {
                Some(delay) => {
                    tokio::select! {
                        () = shutdown.cancelled() => {}
                        () = tokio::time::sleep(delay) => {}
                    }
                }
                None => {
                    tokio::select! {
                        () = shutdown.cancelled() => {}
                        () = self.notify.notified() => {}
                        () = tokio::time::sleep(self.poll_interval) => {}
                    }
                }
            }
        }
        tracing::debug!("outbox relay stopped");
    }

    /// Publishes one batch and deletes it; returns its size (0: the outbox is empty, or
    /// every row is locked by another relay). On error the rows stay.
    pub async fn relay_once(&self) -> Result<usize, RelayError> {
        let mut tx = self.pool.begin().await?;
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT id, event_type, envelope FROM outbox ORDER BY id LIMIT $1 \
             FOR UPDATE SKIP LOCKED",
        )
        .bind(i64::try_from(self.batch_size).unwrap_or(i64::MAX))
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut ids = Vec::with_capacity(rows.len());
        let mut events = Vec::with_capacity(rows.len());
        for (id, event_type, envelope) in rows {
            ids.push(id);
            events.push((event_type, envelope));
        }
        // On failure the transaction is dropped, which rolls back and unlocks the rows.
        self.publisher.publish_raw(&events).await?;
        sqlx::query("DELETE FROM outbox WHERE id = ANY($1)")
            .bind(&ids[..])
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        metrics::counter!("outbox_published_total").increment(ids.len() as u64);
        Ok(ids.len())
    }
}
