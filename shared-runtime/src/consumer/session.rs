//! One consumer's connection: reading, group creation, reconnection bookkeeping and a
//! clean leave on shutdown.

use std::time::Duration;

use redis::AsyncTypedCommands;
use redis::streams::StreamReadOptions;
use tokio_util::sync::CancellationToken;

use super::Worker;
use super::batch::Entry;
use crate::redis_conn::{RedisConn, RedisTarget};

/// A dedicated connection whose reply timeout outlasts the blocking read.
pub(super) async fn connect(
    redis: &RedisTarget,
    block: Duration,
) -> Result<RedisConn, redis::RedisError> {
    redis
        .dedicated(Duration::from_secs(2), block + Duration::from_secs(5))
        .await
}

/// Outage bookkeeping: one warning per outage, capped exponential backoff.
#[derive(Debug)]
pub(super) struct Health {
    failing: bool,
    backoff: Duration,
}

const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// Longest blocking read on the live lanes while backfill yields to another group.
const YIELD_WAIT_MS: usize = 200;

impl Default for Health {
    fn default() -> Self {
        Self {
            failing: false,
            backoff: BACKOFF_MIN,
        }
    }
}

impl Health {
    /// Records a failure; returns how long to wait before retrying.
    pub(super) fn failed(&mut self, group: &str, e: &redis::RedisError) -> Duration {
        if self.failing {
            tracing::debug!(group, error = %e, "consumer still failing against Redis");
        } else {
            tracing::warn!(group, error = %e, "consumer lost its Redis session; reconnecting with backoff");
            self.failing = true;
        }
        let delay = self.backoff;
        self.backoff = (self.backoff * 2).min(BACKOFF_MAX);
        delay
    }

    /// Records a successful round trip.
    fn ok(&mut self, group: &str) {
        if self.failing {
            tracing::info!(group, "consumer reconnected to Redis");
            *self = Self::default();
        }
    }
}

/// The stream keys and read options of a session.
struct Reads {
    /// Every stream: the live lanes, then the backfill lanes.
    all: Vec<String>,
    live: Vec<String>,
    backfill: Vec<String>,
    /// Without blocking.
    poll: StreamReadOptions,
    /// Blocking for [`ConsumerConfig::block`](super::ConsumerConfig::block).
    wait: StreamReadOptions,
    /// Blocking for at most [`YIELD_WAIT_MS`].
    short_wait: StreamReadOptions,
}

impl Reads {
    fn new(worker: &Worker) -> Self {
        let config = &worker.config;
        let all: Vec<String> = worker.streams.iter().map(|s| s.key.clone()).collect();
        // `streams` holds the live lanes, then the backfill lanes (one per type each).
        let (live, backfill) = all.split_at(config.event_types.len());
        let block_ms = usize::try_from(config.block.as_millis())
            .unwrap_or(usize::MAX)
            .max(1);
        let options = || {
            StreamReadOptions::default()
                .group(&config.group, &config.consumer)
                .count(config.batch_size)
        };
        Self {
            live: live.to_vec(),
            backfill: backfill.to_vec(),
            all,
            poll: options(),
            wait: options().block(block_ms),
            short_wait: options().block(block_ms.min(YIELD_WAIT_MS)),
        }
    }
}

impl Worker {
    /// Reads and handles over one connection until shutdown (`Ok`) or a Redis error.
    pub(super) async fn session(
        &mut self,
        conn: &mut RedisConn,
        shutdown: &CancellationToken,
        health: &mut Health,
    ) -> Result<(), redis::RedisError> {
        // Again on every connection: Redis may have restarted empty.
        self.create_groups(conn).await?;
        health.ok(&self.config.group);
        let reads = Reads::new(self);
        // Reclaim at once: a restarted service picks up what its predecessor left.
        let mut next_reclaim = tokio::time::Instant::now();
        loop {
            if shutdown.is_cancelled() || !self.holds() {
                self.leave(conn).await;
                return Ok(());
            }
            if tokio::time::Instant::now() >= next_reclaim || self.takeover {
                self.reclaim(conn, shutdown).await?;
                self.record_lag(conn).await;
                next_reclaim = tokio::time::Instant::now() + self.config.reclaim_every;
            }
            self.round(conn, &reads).await?;
            health.ok(&self.config.group);
        }
    }

    /// One round of reading and handling, in strict priority (ADR 0020): the backfill
    /// lanes are read only when the live lanes did not fill a batch (so a live entry
    /// waits for at most one batch of backfill, and backfill gets only the capacity
    /// live data leaves) and the groups this one yields to keep up with their live
    /// lanes; only when nothing at all was read does it block.
    async fn round(
        &mut self,
        conn: &mut RedisConn,
        reads: &Reads,
    ) -> Result<(), redis::RedisError> {
        let live_entries = self.read(conn, &reads.live, &reads.poll).await?;
        let live_full = live_entries.len() >= self.config.batch_size;
        let had_live = !live_entries.is_empty();
        if had_live {
            self.process(conn, live_entries).await?;
        }
        if live_full {
            return Ok(());
        }
        let entries = if !self.gate.open(conn, &self.config.group).await? {
            // Yielding: live lanes only, with a short wait so the gate is sampled
            // again soon.
            if had_live {
                return Ok(());
            }
            self.read(conn, &reads.live, &reads.short_wait).await?
        } else {
            let backfill = self.read(conn, &reads.backfill, &reads.poll).await?;
            if !backfill.is_empty() || had_live {
                backfill
            } else {
                self.read(conn, &reads.all, &reads.wait).await?
            }
        };
        if !entries.is_empty() {
            self.process(conn, entries).await?;
        }
        Ok(())
    }

    /// One `XREADGROUP` of new entries on `keys` (a slice of [`Worker::streams`]' keys).
    async fn read(
        &self,
        conn: &mut RedisConn,
        keys: &[String],
        options: &StreamReadOptions,
    ) -> Result<Vec<Entry>, redis::RedisError> {
        if !self.holds() {
            return Ok(Vec::new());
        }
        let ids = vec![">"; keys.len()];
        let Some(reply) = conn.xread_options(keys, &ids, options).await? else {
            return Ok(Vec::new());
        };
        let mut entries = Vec::new();
        for stream in reply.keys {
            // Redis answers with the keys we asked for; anything else is ignored.
            if let Some(&index) = self.by_key.get(&stream.key) {
                entries.extend(stream.ids.into_iter().map(|entry| Entry {
                    stream: index,
                    entry,
                    delivered: 1,
                }));
            }
        }
        Ok(entries)
    }

    /// Exports the group's lag (entries not yet delivered) and pending count (delivered,
    /// not acknowledged) as gauges, and per stream (each lane) its lag and the age of its
    /// oldest entry not delivered yet and the entries trimmed before it read them (an
    /// error too), and the length of the group's dead-letter stream; a failure only
    /// skips one sample.
    async fn record_lag(&self, conn: &mut RedisConn) {
        let group = &self.config.group;
        match super::lag(conn, &self.keys, group, &self.config.event_types).await {
            Ok(l) => {
                let labels = self.labels();
                metrics::gauge!("consumer_group_pending", &labels).set(l.pending as f64);
                if let Some(lag) = l.lag {
                    metrics::gauge!("consumer_group_lag", &labels).set(lag as f64);
                }
                for s in &l.streams {
                    let labels = [("group", group.clone()), ("stream", s.key.clone())];
                    if let Some(lag) = s.lag {
                        metrics::gauge!("consumer_stream_lag", &labels).set(lag as f64);
                    }
                    if let Some(age) = s.backlog_age {
                        metrics::gauge!("consumer_stream_backlog_age_seconds", &labels)
                            .set(age.as_secs_f64());
                    }
                    metrics::gauge!("consumer_stream_trimmed_unread_entries", &labels)
                        .set(s.trimmed_unread as f64);
                    if s.trimmed_unread > 0 {
                        tracing::error!(
                            %group,
                            stream = %s.key,
                            entries = s.trimmed_unread,
                            "the stream was trimmed past entries this group had not read: they are lost to it (the group is further behind than STREAM_MAX_LEN)"
                        );
                    }
                }
            }
            Err(e) => tracing::debug!(%group, error = %e, "lag sample failed"),
        }
        let dead_letter = self.keys.dead_letter(group);
        match redis::cmd("XLEN")
            .arg(&dead_letter)
            .query_async::<u64>(conn)
            .await
        {
            Ok(n) => metrics::gauge!("consumer_dead_letter_entries", &self.labels()).set(n as f64),
            Err(e) => tracing::debug!(%group, error = %e, "dead-letter length sample failed"),
        }
    }

    /// The group's gauge labels: the group, and the partition of a partition worker.
    fn labels(&self) -> Vec<(&'static str, String)> {
        let mut labels = vec![("group", self.config.group.clone())];
        if let Some(p) = self.keys.narrowed().filter(|_| self.fence.is_some()) {
            labels.push(("partition", p.to_string()));
        }
        labels
    }

    /// `XGROUP CREATE … MKSTREAM` for each stream; an existing group is fine.
    async fn create_groups(&self, conn: &mut RedisConn) -> Result<(), redis::RedisError> {
        for stream in &self.streams {
            let created: Result<(), redis::RedisError> = redis::cmd("XGROUP")
                .arg("CREATE")
                .arg(&stream.key)
                .arg(&self.config.group)
                .arg(self.config.start.id())
                .arg("MKSTREAM")
                .query_async(conn)
                .await;
            match created {
                Ok(()) => {
                    tracing::info!(group = %self.config.group, stream = %stream.key, "consumer group created");
                }
                Err(e) if e.code() == Some("BUSYGROUP") => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// On a graceful stop, removes this consumer's name from the groups where it holds
    /// nothing pending, so restarts do not pile up names. A name that still holds
    /// entries stays: deleting it would drop them from the pending list, and no one
    /// could reclaim them.
    async fn leave(&self, conn: &mut RedisConn) {
        for stream in &self.streams {
            let pending = redis::cmd("XPENDING")
                .arg(&stream.key)
                .arg(&self.config.group)
                .arg("-")
                .arg("+")
                .arg(1)
                .arg(&self.config.consumer)
                .query_async::<Vec<redis::Value>>(conn)
                .await;
            if !matches!(pending, Ok(ref p) if p.is_empty()) {
                continue;
            }
            let deleted = redis::cmd("XGROUP")
                .arg("DELCONSUMER")
                .arg(&stream.key)
                .arg(&self.config.group)
                .arg(&self.config.consumer)
                .query_async::<i64>(conn)
                .await;
            if let Err(e) = deleted {
                tracing::debug!(error = %e, stream = %stream.key, "could not remove consumer name");
            }
        }
    }
}
