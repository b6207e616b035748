//! Idempotent handling: the inbox of applied events.
//!
//! Delivery is at least once, so a handler may see an event again (a consumer died
//! before acknowledging, the outbox relay republished a batch, a producer retried).
//! A handler that changes its database calls [`first_delivery`] inside the same
//! transaction as its effect: the mark and the effect commit (or roll back) together,
//! so an event id is applied once per consumer group whatever the redeliveries.
//!
//! ```no_run
//! # async fn handle(pool: sqlx::PgPool, event_id: uuid::Uuid) -> Result<(), sqlx::Error> {
//! use shared_runtime::inbox;
//! let mut tx = pool.begin().await?;
//! if inbox::first_delivery(&mut tx, "alert", event_id).await? {
//!     // The effect, through `&mut *tx`.
//! }
//! tx.commit().await?;
//! # Ok(())
//! # }
//! ```

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Marks `event_id` as applied by `group`; `true` when it was not applied before (the
/// caller applies the effect), `false` for a redelivery (the caller skips it).
///
/// Call it inside the transaction of the effect. A concurrent delivery of the same
/// event to another replica blocks on the row's key until this transaction ends, then
/// sees `false` (if committed) or `true` (if rolled back), so two replicas never both
/// apply it.
pub async fn first_delivery(
    conn: &mut PgConnection,
    group: &str,
    event_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO processed_events (consumer_group, event_id) VALUES ($1, $2) \
         ON CONFLICT DO NOTHING",
    )
    .bind(group)
    .bind(event_id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Deletes marks older than `older_than`; returns how many. Keep marks longer than any
/// redelivery can take (stream retention, dead-consumer reclaim, outbox outages): a
/// pruned event that shows up again would be applied again.
pub async fn prune(pool: &PgPool, older_than: chrono::Duration) -> Result<u64, sqlx::Error> {
    // An absurd duration (before the epoch) prunes nothing rather than overflowing.
    let cutoff = chrono::Utc::now()
        .checked_sub_signed(older_than)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    let deleted = sqlx::query("DELETE FROM processed_events WHERE processed_at < $1")
        .bind(cutoff)
        .execute(pool)
        .await?
        .rows_affected();
    Ok(deleted)
}

/// Prunes marks older than `retention` every `every` until `shutdown` is cancelled: run
/// it as a background task of any service that uses the inbox. A failure is logged and
/// retried at the next period.
pub async fn prune_every(
    pool: PgPool,
    retention: chrono::Duration,
    every: std::time::Duration,
    shutdown: tokio_util::sync::CancellationToken,
) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        match prune(&pool, retention).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(pruned = n, "inbox marks pruned"),
            Err(e) => tracing::warn!(error = %e, "pruning inbox marks failed; retrying later"),
        }
    }
}
