//! Periodic upkeep: publishes the `vehicle.health.computed` snapshots the throttle
//! deferred, prunes `applied_readings` marks past the late horizon and health history
//! past its retention. Every step is idempotent and safe with several replicas.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use models::health::state::LATE_HORIZON_DAYS;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::db::{applied, history};
use crate::pipeline::Assessor;

/// Rows per delete statement and vehicles per snapshot flush: keeps each transaction
/// short.
const CHUNK: i64 = 5_000;
const FLUSH_CHUNK: i64 = 500;

/// The upkeep task.
#[derive(Debug)]
pub struct Maintenance {
    pool: PgPool,
    assessor: Arc<Assessor>,
    every: Duration,
    retention_days: u32,
}

impl Maintenance {
    /// Upkeep of `pool` every `every`, keeping `retention_days` of history.
    pub fn new(
        pool: PgPool,
        assessor: Arc<Assessor>,
        every: Duration,
        retention_days: u32,
    ) -> Self {
        Self {
            pool,
            assessor,
            every,
            retention_days,
        }
    }

    /// Runs until `shutdown`; a failing pass is logged and retried at the next tick.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(self.every) => {}
            }
            if let Err(e) = self.once().await {
                tracing::warn!(error = format!("{e:#}"), "health maintenance pass failed");
            }
        }
        tracing::debug!("health maintenance stopped");
    }

    /// One pass: flush deferred snapshots, prune marks and history.
    pub async fn once(&self) -> anyhow::Result<()> {
        let mut flushed = 0;
        loop {
            let n = self.assessor.flush_computed(FLUSH_CHUNK).await?;
            flushed += n;
            if (n as i64) < FLUSH_CHUNK {
                break;
            }
        }
        let mut marks = 0;
        loop {
            let n = applied::prune(&self.pool, LATE_HORIZON_DAYS, CHUNK).await?;
            marks += n;
            if n < CHUNK as u64 {
                break;
            }
        }
        let cutoff = Utc::now() - chrono::Duration::days(i64::from(self.retention_days));
        let mut old = 0;
        loop {
            let n = history::prune(&self.pool, cutoff, CHUNK).await?;
            old += n;
            if n < CHUNK as u64 {
                break;
            }
        }
        if flushed + marks as usize + old as usize > 0 {
            tracing::info!(
                deferred_snapshots = flushed,
                applied_marks_pruned = marks,
                history_rows_pruned = old,
                "health maintenance"
            );
        }
        Ok(())
    }
}
