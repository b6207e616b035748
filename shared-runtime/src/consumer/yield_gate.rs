//! Backfill that yields to another group's live work (ADR 0020).
//!
//! Strict priority inside one consumer keeps its live lanes ahead of its backfill, but
//! the consumers of a machine share its cores: while the audit writers work through a
//! burst of backfill, the health consumer, which owns the latency objective, is left
//! too little CPU for its live lane. A consumer configured with
//! [`ConsumerConfig::backfill_yields_to`](super::ConsumerConfig::backfill_yields_to)
//! reads its backfill lanes only while each named group's live lag, on the streams this
//! consumer reads, is at most [`ConsumerConfig::backfill_yield_lag`](super::ConsumerConfig::backfill_yield_lag).

use std::time::Duration;

use redis::aio::ConnectionLike;
use tokio::time::Instant;

/// How often the named groups' lag is sampled while the consumer wants backfill.
const SAMPLE_EVERY: Duration = Duration::from_millis(200);

/// Whether the backfill lanes may be read now; the sample is cached for
/// [`SAMPLE_EVERY`].
#[derive(Debug)]
pub(super) struct YieldGate {
    groups: Vec<String>,
    max_lag: u64,
    live_keys: Vec<String>,
    sampled: Option<(Instant, bool)>,
}

impl YieldGate {
    pub(super) fn new(groups: Vec<String>, max_lag: u64, live_keys: Vec<String>) -> Self {
        Self {
            groups,
            max_lag,
            live_keys,
            sampled: None,
        }
    }

    /// Whether this consumer yields to anybody.
    pub(super) fn is_active(&self) -> bool {
        !self.groups.is_empty()
    }

    /// `true` when the backfill lanes may be read: no group yielded to lags on its live
    /// lanes by more than the limit. Sampled at most every [`SAMPLE_EVERY`].
    pub(super) async fn open<C: ConnectionLike + Send>(
        &mut self,
        conn: &mut C,
        group: &str,
    ) -> Result<bool, redis::RedisError> {
        if !self.is_active() {
            return Ok(true);
        }
        let now = Instant::now();
        if let Some((at, open)) = self.sampled
            && now.duration_since(at) < SAMPLE_EVERY
        {
            return Ok(open);
        }
        let lag = live_lag(conn, &self.live_keys, &self.groups).await?;
        let open = lag <= self.max_lag;
        if self.sampled.map(|(_, was)| was) != Some(open) {
            tracing::debug!(group, lag, open, "backfill yield gate");
            let labels = [("group", group.to_owned())];
            metrics::gauge!("consumer_backfill_yielding", &labels).set(if open {
                0.0
            } else {
                1.0
            });
        }
        self.sampled = Some((now, open));
        Ok(open)
    }
}

/// The largest lag of `groups` over the streams `keys` (two pipelined round trips).
/// A stream or group that does not exist lags by nothing here: a group yields only
/// where the other reads. An unknown lag (entries deleted mid-stream) counts as none.
async fn live_lag<C: ConnectionLike + Send>(
    conn: &mut C,
    keys: &[String],
    groups: &[String],
) -> Result<u64, redis::RedisError> {
    let mut exists = redis::pipe();
    for key in keys {
        exists.exists(key);
    }
    let present: Vec<bool> = exists.query_async(conn).await?;
    let present: Vec<&String> = keys
        .iter()
        .zip(present)
        .filter_map(|(k, p)| p.then_some(k))
        .collect();
    if present.is_empty() {
        return Ok(0);
    }
    let mut info = redis::pipe();
    for key in &present {
        info.cmd("XINFO").arg("GROUPS").arg(*key);
    }
    let replies: Vec<redis::streams::StreamInfoGroupsReply> = info.query_async(conn).await?;
    Ok(replies
        .iter()
        .flat_map(|r| &r.groups)
        .filter(|g| groups.contains(&g.name))
        .filter_map(|g| g.lag)
        .map(|lag| u64::try_from(lag).unwrap_or(u64::MAX))
        .max()
        .unwrap_or(0))
}
