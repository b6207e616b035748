//! Reclaiming entries left pending: by a consumer that died, or by our own transient
//! failures. `XAUTOCLAIM` moves entries idle longer than `min_idle` from any consumer of
//! the group to this one and bumps their delivery count; an entry delivered more than
//! `max_attempts` times is dead-lettered instead of handled again.

use redis::AsyncTypedCommands;
use redis::streams::{StreamAutoClaimOptions, StreamAutoClaimReply, StreamPendingCountReply};
use tokio_util::sync::CancellationToken;

use super::Worker;
use super::batch::{Entry, count};
use crate::redis_conn::RedisConn;

impl Worker {
    /// One pass over every stream (following the `XAUTOCLAIM` cursor to its end).
    pub(super) async fn reclaim(
        &mut self,
        conn: &mut RedisConn,
        shutdown: &CancellationToken,
    ) -> Result<(), redis::RedisError> {
        // A new owner of a partition claims everything pending, idle or not: the lease
        // proved the previous owner gone (ADR 0026).
        let min_idle_ms = if self.takeover {
            0
        } else {
            u64::try_from(self.config.min_idle.as_millis()).unwrap_or(u64::MAX)
        };
        for stream in 0..self.streams.len() {
            let key = self.streams[stream].key.clone();
            let mut cursor = "0-0".to_owned();
            loop {
                if !self.holds() {
                    return Ok(());
                }
                let reply: StreamAutoClaimReply = conn
                    .xautoclaim_options(
                        &key,
                        &self.config.group,
                        &self.config.consumer,
                        min_idle_ms,
                        &cursor,
                        StreamAutoClaimOptions::default().count(self.config.batch_size),
                    )
                    .await?;
                if !reply.deleted_ids.is_empty() {
                    self.drop_trimmed(conn, stream, &reply.deleted_ids).await?;
                }
                if !reply.claimed.is_empty() {
                    tracing::info!(
                        group = %self.config.group,
                        stream = %key,
                        count = reply.claimed.len(),
                        "reclaimed pending entries"
                    );
                    let ids: Vec<&str> = reply.claimed.iter().map(|e| e.id.as_str()).collect();
                    let delivered = delivery_counts(conn, &key, &self.config.group, &ids).await?;
                    let entries = reply
                        .claimed
                        .into_iter()
                        .zip(delivered)
                        .map(|(entry, delivered)| Entry {
                            stream,
                            entry,
                            delivered,
                        })
                        .collect();
                    self.process(conn, entries).await?;
                }
                if reply.next_stream_id == "0-0" || shutdown.is_cancelled() {
                    break;
                }
                cursor = reply.next_stream_id;
            }
        }
        if !shutdown.is_cancelled() {
            self.takeover = false;
        }
        Ok(())
    }

    /// Entries trimmed from the stream while pending (Redis already removed them from
    /// the pending list; the ack is for older servers). Nothing can be done but say so:
    /// the stream's `MAXLEN` is too short for the consumers' lag.
    async fn drop_trimmed(
        &self,
        conn: &mut RedisConn,
        stream: usize,
        ids: &[String],
    ) -> Result<(), redis::RedisError> {
        let key = &self.streams[stream].key;
        tracing::warn!(
            group = %self.config.group,
            stream = %key,
            count = ids.len(),
            "pending entries were trimmed from the stream before being handled"
        );
        conn.xack(key, &self.config.group, ids).await?;
        let n = u64::try_from(ids.len()).unwrap_or(u64::MAX);
        count(
            &self.config.group,
            &self.streams[stream].event_type,
            "skipped",
            n,
        );
        Ok(())
    }
}

/// The delivery count of each id (`XPENDING key group id id 1`, pipelined), in order.
/// An id no longer pending (acknowledged meanwhile) counts as delivered once.
async fn delivery_counts(
    conn: &mut RedisConn,
    key: &str,
    group: &str,
    ids: &[&str],
) -> Result<Vec<u64>, redis::RedisError> {
    let mut pipe = redis::pipe();
    for id in ids {
        pipe.cmd("XPENDING")
            .arg(key)
            .arg(group)
            .arg(id)
            .arg(id)
            .arg(1);
    }
    let replies: Vec<StreamPendingCountReply> = pipe.query_async(conn).await?;
    Ok(replies
        .into_iter()
        .map(|r| {
            r.ids
                .first()
                .map_or(1, |p| u64::try_from(p.times_delivered).unwrap_or(u64::MAX))
        })
        .collect())
}
