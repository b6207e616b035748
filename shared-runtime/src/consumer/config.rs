//! Consumer settings.

use std::time::Duration;

/// Where a new consumer group starts reading a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartFrom {
    /// From the first entry still in the stream (`0`): a group created after a producer
    /// started still sees what was already published. The default.
    #[default]
    Beginning,
    /// Only entries added after the group was created (`$`).
    Latest,
}

impl StartFrom {
    pub(crate) fn id(self) -> &'static str {
        match self {
            Self::Beginning => "0",
            Self::Latest => "$",
        }
    }
}

/// How a consumer reads its group. Fields are public; the builder methods of the same
/// names set them in a chain: `ConsumerConfig::new("alert", ["alert.created"]).batch_size(64)`.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// Consumer group: one per consuming service and purpose; the group's replicas
    /// share its entries.
    pub group: String,
    /// Consumer name, unique per process ([`consumer_name`] by default): Redis tracks
    /// pending entries per consumer, and reclaiming relies on names never being reused
    /// by two live processes.
    pub consumer: String,
    /// Event types to read, one stream each.
    pub event_types: Vec<String>,
    /// Largest number of entries read per stream and call (default 256).
    pub batch_size: usize,
    /// How long one read waits for new entries (default 1 s); also bounds how long a
    /// shutdown waits for a read in progress.
    pub block: Duration,
    /// Entries pending longer than this, in any consumer of the group, are reclaimed
    /// (default 30 s). It must exceed the time to handle a whole batch: an entry waits
    /// idle while the entries before it in its batch are handled.
    pub min_idle: Duration,
    /// How often to look for entries to reclaim (default 5 s). Checks happen between
    /// reads, so the effective period is at least `block`.
    pub reclaim_every: Duration,
    /// Deliveries after which an entry that still fails goes to the dead-letter stream
    /// (default 5).
    pub max_attempts: u64,
    /// For per-event handlers: how many vehicles' events are handled at once within a
    /// batch (default 1, in order). Events of one vehicle are always handled one after
    /// the other, in stream order.
    pub concurrency: usize,
    /// Where a newly created group starts (default [`StartFrom::Beginning`]).
    pub start: StartFrom,
    /// Approximate length the dead-letter stream is trimmed to (default 100 000).
    pub dead_letter_max_len: usize,
    /// Groups this consumer's backfill yields to (default none): the backfill lanes are
    /// read only while each of these groups lags by at most
    /// [`Self::backfill_yield_lag`] entries on the live lanes this consumer reads.
    /// For work that can wait (an audit trail) on a machine it shares with work that
    /// cannot (health's live assessments); ADR 0020.
    pub backfill_yields_to: Vec<String>,
    /// Live lag of a group yielded to above which backfill waits (default 1 000).
    pub backfill_yield_lag: u64,
    /// With partitioned streams (ADR 0026): how long a partition's lease lasts without
    /// renewal (default 5 s; renewed every third of it). A dead instance's partitions
    /// move after about this long. It must exceed the time to handle a batch: an
    /// owner whose lease ran out mid-batch does not acknowledge it, and the next owner
    /// handles it again.
    pub lease_ttl: Duration,
}

impl ConsumerConfig {
    /// Settings for `group` reading `event_types`, with the defaults above.
    pub fn new<I, S>(group: impl Into<String>, event_types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            group: group.into(),
            consumer: consumer_name(),
            event_types: event_types.into_iter().map(Into::into).collect(),
            batch_size: 256,
            block: Duration::from_secs(1),
            min_idle: Duration::from_secs(30),
            reclaim_every: Duration::from_secs(5),
            max_attempts: 5,
            concurrency: 1,
            start: StartFrom::Beginning,
            dead_letter_max_len: 100_000,
            backfill_yields_to: Vec::new(),
            backfill_yield_lag: 1_000,
            lease_ttl: Duration::from_secs(5),
        }
    }

    /// Sets [`Self::consumer`].
    #[must_use]
    pub fn consumer(mut self, name: impl Into<String>) -> Self {
        self.consumer = name.into();
        self
    }

    /// Sets [`Self::batch_size`].
    #[must_use]
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n;
        self
    }

    /// Sets [`Self::block`].
    #[must_use]
    pub fn block(mut self, d: Duration) -> Self {
        self.block = d;
        self
    }

    /// Sets [`Self::min_idle`].
    #[must_use]
    pub fn min_idle(mut self, d: Duration) -> Self {
        self.min_idle = d;
        self
    }

    /// Sets [`Self::reclaim_every`].
    #[must_use]
    pub fn reclaim_every(mut self, d: Duration) -> Self {
        self.reclaim_every = d;
        self
    }

    /// Sets [`Self::max_attempts`].
    #[must_use]
    pub fn max_attempts(mut self, n: u64) -> Self {
        self.max_attempts = n;
        self
    }

    /// Sets [`Self::concurrency`].
    #[must_use]
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n;
        self
    }

    /// Sets [`Self::start`].
    #[must_use]
    pub fn start(mut self, start: StartFrom) -> Self {
        self.start = start;
        self
    }

    /// Sets [`Self::backfill_yields_to`] (empty names are ignored).
    #[must_use]
    pub fn backfill_yields_to<I, S>(mut self, groups: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.backfill_yields_to = groups
            .into_iter()
            .map(Into::into)
            .filter(|g: &String| !g.is_empty())
            .collect();
        self
    }

    /// Sets [`Self::backfill_yield_lag`].
    #[must_use]
    pub fn backfill_yield_lag(mut self, entries: u64) -> Self {
        self.backfill_yield_lag = entries;
        self
    }

    /// What this consumer's partition leases and membership are named after: the group
    /// and the event types it reads (`{group}:{hash of the types}`). One service may run
    /// several consumers in one group over different streams (health's telemetry and
    /// transfers); each kind shares the partitions only with its own kind.
    pub fn lease_name(&self) -> String {
        let mut types = self.event_types.clone();
        types.sort();
        let hash = crate::keys::partition_of(&types.join(","), u32::MAX);
        format!("{}:{hash:08x}", self.group)
    }

    /// Sets [`Self::lease_ttl`].
    #[must_use]
    pub fn lease_ttl(mut self, d: Duration) -> Self {
        self.lease_ttl = d;
        self
    }

    pub(crate) fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(!self.group.is_empty(), "consumer group name is empty");
        anyhow::ensure!(!self.consumer.is_empty(), "consumer name is empty");
        anyhow::ensure!(
            !self.event_types.is_empty(),
            "consumer group {} reads no event type",
            self.group
        );
        anyhow::ensure!(self.batch_size > 0, "batch_size must be positive");
        anyhow::ensure!(self.max_attempts > 0, "max_attempts must be positive");
        anyhow::ensure!(
            !self.backfill_yields_to.contains(&self.group),
            "consumer group {} cannot yield its backfill to itself",
            self.group
        );
        anyhow::ensure!(
            self.lease_ttl >= super::owner::MIN_LEASE_TTL,
            "lease_ttl must be at least {:?}",
            super::owner::MIN_LEASE_TTL
        );
        Ok(())
    }
}

/// A consumer name unique to this process: `{hostname}-{pid}-{random}`. The hostname
/// (the pod name under Kubernetes) says where a stuck entry was; the random part keeps
/// names unique when a pid is reused, e.g. in a restarted container.
pub fn consumer_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    format!(
        "{host}-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}
