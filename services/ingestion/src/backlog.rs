//! Back-pressure for backfill: how far the consumers that matter are behind on the
//! backfill lane of `vehicle.telemetry.received`, sampled in the background so a
//! request only reads an atomic.
//!
//! While that backlog is longer than the configured limit, readings bound for the
//! backfill lane are answered 429 with `Retry-After` instead of being accepted: the
//! device keeps them (it is flushing a buffer anyway) and live readings are still taken
//! (ADR 0020). An unknown backlog (Redis unreachable) does not refuse anything: the
//! hand-off itself then answers 503.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use shared_runtime::bus::Keys;
use shared_runtime::consumer::{groups_lag, stream_lag};
use shared_runtime::redis_conn::RedisConn;
use shared_schemas::Event;
use shared_schemas::events::TelemetryReceived;
use tokio_util::sync::CancellationToken;

/// Which readings are backfill, what the back-pressure watches and when it refuses.
#[derive(Debug, Clone)]
pub struct BacklogPolicy {
    /// A reading recorded longer than this (seconds) before it arrived is backfill (a
    /// device flushing its buffer) and goes to the backfill lane, behind live readings
    /// (`INGESTION_BACKFILL_AFTER_S`, default 120).
    pub after_s: i64,
    /// Consumer groups whose backfill lag counts, the largest lag being the backlog
    /// (`INGESTION_BACKLOG_GROUPS`, comma-separated, default `health`).
    pub groups: Vec<String>,
    /// Backfill is deferred while the backlog exceeds this many readings
    /// (`INGESTION_BACKFILL_MAX_BACKLOG`, default 500,000).
    pub max_backlog: u64,
    /// How often the backlog is sampled (`INGESTION_BACKLOG_SAMPLE_MS`, default 500).
    pub sample_every: Duration,
    /// The `Retry-After` given to deferred backfill, seconds
    /// (`INGESTION_BACKFILL_RETRY_AFTER_S`, default 30).
    pub retry_after_s: u64,
    /// Every reading is refused while some group lags by more than this many entries
    /// on a telemetry lane (`INGESTION_STREAM_FULL_AT`, default 80 % of
    /// `STREAM_MAX_LEN`).
    pub full_at: u64,
}

impl Default for BacklogPolicy {
    fn default() -> Self {
        Self {
            after_s: 120,
            max_backlog: 500_000,
            groups: vec!["health".to_owned()],
            sample_every: Duration::from_millis(500),
            retry_after_s: 30,
            full_at: 800_000,
        }
    }
}

/// The latest sample, shared by the requests.
#[derive(Debug)]
pub struct Backlog {
    policy: BacklogPolicy,
    over: AtomicBool,
    entries: AtomicU64,
    /// The deepest lag of any group on either lane while over `full_at`; 0 otherwise.
    full: AtomicU64,
}

impl Backlog {
    /// A backlog not sampled yet (nothing is deferred until the first sample).
    pub fn new(policy: BacklogPolicy) -> Arc<Self> {
        Arc::new(Self {
            policy,
            over: AtomicBool::new(false),
            entries: AtomicU64::new(0),
            full: AtomicU64::new(0),
        })
    }

    /// `Some(retry-after seconds)` when backfill must be deferred now.
    pub fn defer_backfill(&self) -> Option<u64> {
        self.over
            .load(Ordering::Relaxed)
            .then_some(self.policy.retry_after_s)
    }

    /// `Some((lag, retry-after seconds))` when every reading must be refused now: some
    /// group is `lag` entries behind, close to losing entries to the trim.
    pub fn refuse_all(&self) -> Option<(u64, u64)> {
        let lag = self.full.load(Ordering::Relaxed);
        (lag > 0).then_some((lag, self.policy.retry_after_s))
    }

    /// Readings waiting on the backfill lane at the last sample.
    pub fn entries(&self) -> u64 {
        self.entries.load(Ordering::Relaxed)
    }

    /// Samples every `sample_every` until `shutdown`.
    pub async fn watch(self: Arc<Self>, conn: RedisConn, keys: Keys, shutdown: CancellationToken) {
        // Every partition's (ADR 0026): the backlog is their sum, fullness per lane.
        let backfill: Vec<String> = keys
            .each_partition()
            .iter()
            .map(|k| k.backfill(TelemetryReceived::TYPE))
            .collect();
        let lanes = keys.all_lanes(TelemetryReceived::TYPE);
        let mut tick = tokio::time::interval(self.policy.sample_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            self.sample(&mut conn.clone(), &backfill).await;
            self.sample_fullness(&mut conn.clone(), &lanes).await;
        }
    }

    /// Whether some group on either lane is more than `full_at` entries behind.
    async fn sample_fullness(&self, conn: &mut RedisConn, lanes: &[String]) {
        let deepest = match deepest_lag(conn, lanes).await {
            Ok(d) => d.unwrap_or_default(),
            Err(e) => {
                tracing::debug!(error = %e, "stream fullness sample failed");
                return;
            }
        };
        let full = deepest.lag > self.policy.full_at;
        let was = self
            .full
            .swap(if full { deepest.lag } else { 0 }, Ordering::Relaxed)
            > 0;
        metrics::gauge!("ingestion_stream_full").set(if full { 1.0 } else { 0.0 });
        metrics::gauge!("ingestion_deepest_group_lag_entries").set(deepest.lag as f64);
        let Deepest { group, stream, lag } = deepest;
        if full && !was {
            tracing::error!(%group, %stream, lag, full_at = self.policy.full_at, "a group is close to losing telemetry to the stream's trim: refusing telemetry until it catches up");
        } else if was && !full {
            tracing::info!(%group, %stream, lag, "telemetry accepted again");
        }
    }

    /// One sample: the largest lag (summed over the partitions' backfill lanes `keys`)
    /// and backlog age over the watched groups.
    async fn sample(&self, conn: &mut RedisConn, keys: &[String]) {
        let (mut entries, mut age) = (0_u64, Duration::ZERO);
        for group in &self.policy.groups {
            let mut group_entries = 0_u64;
            for key in keys {
                match stream_lag(conn, key.clone(), TelemetryReceived::TYPE, group).await {
                    Ok(lag) => {
                        // An unknown lag (entries deleted mid-stream) counts as none.
                        group_entries += lag.lag.unwrap_or(0);
                        age = age.max(lag.backlog_age.unwrap_or_default());
                    }
                    Err(e) => {
                        tracing::debug!(group, error = %e, "backfill backlog sample failed");
                        self.over.store(false, Ordering::Relaxed);
                        return;
                    }
                }
            }
            entries = entries.max(group_entries);
        }
        let over = entries > self.policy.max_backlog;
        if over != self.over.swap(over, Ordering::Relaxed) {
            tracing::info!(
                entries,
                max = self.policy.max_backlog,
                deferring = over,
                "backfill back-pressure changed"
            );
        }
        self.entries.store(entries, Ordering::Relaxed);
        metrics::gauge!("ingestion_backfill_backlog_entries").set(entries as f64);
        metrics::gauge!("ingestion_backfill_backlog_age_seconds").set(age.as_secs_f64());
        metrics::gauge!("ingestion_backfill_deferring").set(if over { 1.0 } else { 0.0 });
    }
}

/// A group's lag on one lane.
#[derive(Debug, Default)]
struct Deepest {
    group: String,
    stream: String,
    lag: u64,
}

/// The group furthest behind on any of `lanes`; a lag Redis cannot tell counts as none.
async fn deepest_lag(
    conn: &mut RedisConn,
    lanes: &[String],
) -> Result<Option<Deepest>, redis::RedisError> {
    let mut deepest: Option<Deepest> = None;
    for lane in lanes {
        for (group, lag) in groups_lag(conn, lane).await? {
            let lag = lag.unwrap_or(0);
            if deepest.as_ref().is_none_or(|d| lag > d.lag) {
                deepest = Some(Deepest {
                    group,
                    stream: lane.clone(),
                    lag,
                });
            }
        }
    }
    Ok(deepest)
}
