//! Consumer groups: read streams, hand events to a handler, acknowledge after the
//! effect, retry, reclaim from dead consumers, dead-letter what keeps failing.
//!
//! Guarantees, with a handler that commits its effect before returning `Ok` and dedupes
//! by event id ([`crate::inbox`]):
//! - **At least once.** An entry is acknowledged (`XACK`) only after the handler
//!   returned `Ok`. An entry read by a consumer that dies before acknowledging stays
//!   pending and is reclaimed (`XAUTOCLAIM`) by another consumer of the group after
//!   [`ConsumerConfig::min_idle`]; so is an entry whose handler failed transiently.
//! - **Poison stops cycling.** An entry that is not an envelope, an event whose handler
//!   fails permanently, and an event delivered more than
//!   [`ConsumerConfig::max_attempts`] times go to the group's dead-letter stream
//!   ([`Keys::dead_letter`]) with the reason, and are acknowledged.
//! - **Unknown is ignored.** Events of a type the consumer does not handle are
//!   acknowledged and skipped; unknown fields are ignored by the envelope and payload
//!   decoding.
//! - **Order.** A consumer handles a batch in stream order (with
//!   [`ConsumerConfig::concurrency`] > 1, different vehicles run concurrently, one
//!   vehicle's events still one after the other). Order holds per stream, i.e. per event
//!   type; replicas of a group split a stream between them, and a retried event is
//!   overtaken by the later events of its vehicle. Handlers that care compare
//!   `occurred_at`.
//! - **Lanes.** Each event type has a live stream and a backfill lane
//!   ([`Keys::backfill`], events about the past); a consumer reads both, the backfill
//!   lanes only when the live ones did not fill a batch, so live events never queue
//!   behind a backlog of backfill (ADR 0020). The two lanes are not ordered with
//!   respect to each other. A consumer may also hold its backfill back while another
//!   group falls behind on live data ([`ConsumerConfig::backfill_yields_to`]).
//!
//! - **Partitions** (ADR 0026). With [`Keys::partitions`] > 1, the instances of a group
//!   share the partitions through leases in Redis ([`ConsumerConfig::lease_ttl`]): each
//!   runs one worker per partition it holds, so a vehicle's events (one partition) are
//!   handled by one consumer at a time, in order; a dead instance's partitions move to
//!   the living once its leases expire, and the new owner first handles what the old
//!   one left pending. With one partition every instance reads the one stream, as
//!   above.
//!
//! Each consumer (each partition worker) holds a dedicated connection: `XREADGROUP …
//! BLOCK` would stall every other user of a shared multiplexed connection.

mod batch;
mod config;
mod lag;
mod lease;
mod owner;
mod per_event;
mod reclaim;
mod session;
mod yield_gate;

use std::collections::HashMap;
use std::sync::Arc;

use redis::streams::StreamId;
use shared_schemas::RawEnvelope;
use tokio_util::sync::CancellationToken;

use crate::bus::Keys;
use crate::redis_conn::RedisTarget;
use lease::Fence;
use session::{Health, connect};
use yield_gate::YieldGate;

pub use config::{ConsumerConfig, StartFrom, consumer_name};
pub use lag::{GroupLag, StreamLag, groups_lag, lag, stream_lag};

/// Why a handler did not apply an event.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Might work later (database down, timeout): the entry stays pending and is
    /// retried after [`ConsumerConfig::min_idle`], up to [`ConsumerConfig::max_attempts`].
    #[error("transient: {0:#}")]
    Transient(anyhow::Error),
    /// Will never work (payload does not decode, violates an invariant): the entry goes
    /// to the dead-letter stream now.
    #[error("permanent: {0:#}")]
    Permanent(anyhow::Error),
}

impl HandlerError {
    /// A [`HandlerError::Transient`] from any error.
    pub fn transient(e: impl Into<anyhow::Error>) -> Self {
        Self::Transient(e.into())
    }

    /// A [`HandlerError::Permanent`] from any error.
    pub fn permanent(e: impl Into<anyhow::Error>) -> Self {
        Self::Permanent(e.into())
    }
}

/// Handles one event at a time. Return `Ok` only once the effect is committed: the
/// entry is acknowledged right after.
#[async_trait::async_trait]
pub trait Handler: Send + Sync + 'static {
    /// Applies `event`; decode the payload with [`RawEnvelope::decode`].
    async fn handle(&self, event: &RawEnvelope) -> Result<(), HandlerError>;

    /// Whether this handler wants events of `event_type` (default: every type the
    /// consumer reads). Others are acknowledged and skipped.
    fn handles(&self, _event_type: &str) -> bool {
        true
    }
}

/// Handles a batch at once (e.g. one multi-row insert), for throughput.
#[async_trait::async_trait]
pub trait BatchHandler: Send + Sync + 'static {
    /// Applies the batch; returns one result per delivery, in the same order. A missing
    /// result counts as transient.
    async fn handle_batch(&self, batch: &[Delivery]) -> Vec<Result<(), HandlerError>>;

    /// Whether this handler wants events of `event_type` (default: every type the
    /// consumer reads). Others are acknowledged and skipped.
    fn handles(&self, _event_type: &str) -> bool {
        true
    }
}

/// One stream entry handed to a [`BatchHandler`].
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The decoded envelope (payload still raw).
    pub envelope: RawEnvelope,
    /// The stream key.
    pub stream: String,
    /// The entry id.
    pub id: String,
    /// How many times the entry was delivered, this time included (1 the first time).
    pub attempt: u64,
    entry: StreamId,
}

impl Delivery {
    /// Another field of the entry (producers may add some beside the envelope).
    pub fn field(&self, name: &str) -> Option<String> {
        self.entry.get(name)
    }
}

/// Runs a per-event [`Handler`] over a consumer group.
#[derive(Debug)]
pub struct Consumer {
    inner: BatchConsumer,
}

impl Consumer {
    /// A consumer of `config.group` over `redis`, whose key names are `keys`.
    pub fn new(
        redis: impl Into<RedisTarget>,
        keys: Keys,
        config: ConsumerConfig,
        handler: Arc<dyn Handler>,
    ) -> Self {
        let adapter = per_event::PerEvent::new(handler, &config);
        Self {
            inner: BatchConsumer::new(redis, keys, config, Arc::new(adapter)),
        }
    }

    /// Same as [`Consumer::new`], from a Redis URL (fails only on a malformed URL; a
    /// comma-separated list is a cluster).
    pub fn from_url(
        redis_url: &str,
        keys: Keys,
        config: ConsumerConfig,
        handler: Arc<dyn Handler>,
    ) -> Result<Self, redis::RedisError> {
        Ok(Self::new(
            RedisTarget::open(redis_url, false)?,
            keys,
            config,
            handler,
        ))
    }

    /// Consumes until `shutdown` is cancelled; see [`BatchConsumer::run`].
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        self.inner.run(shutdown).await
    }
}

/// Runs a [`BatchHandler`] over a consumer group.
pub struct BatchConsumer {
    redis: RedisTarget,
    keys: Keys,
    config: ConsumerConfig,
    handler: Arc<dyn BatchHandler>,
}

impl std::fmt::Debug for BatchConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchConsumer")
            .field("keys", &self.keys)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl BatchConsumer {
    /// A consumer of `config.group` over `redis`, whose key names are `keys`.
    pub fn new(
        redis: impl Into<RedisTarget>,
        keys: Keys,
        config: ConsumerConfig,
        handler: Arc<dyn BatchHandler>,
    ) -> Self {
        Self {
            redis: redis.into(),
            keys,
            config,
            handler,
        }
    }

    /// Creates the groups if needed, then reads, handles and reclaims until `shutdown`
    /// is cancelled. Redis going away is not an error: it reconnects with backoff.
    /// On shutdown it finishes the batch in hand (a read in progress lasts at most
    /// [`ConsumerConfig::block`]), acknowledges it and returns `Ok`. Fails at once on an
    /// invalid configuration.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        self.config.validate()?;
        if self.keys.partitions() > 1 && self.keys.narrowed().is_none() {
            return owner::run(self, shutdown).await;
        }
        let worker = Worker::new(self.keys, self.config, self.handler, None);
        let group = worker.config.group.clone();
        let consumer = worker.config.consumer.clone();
        drive(self.redis, worker, shutdown).await;
        tracing::info!(%group, %consumer, "consumer stopped");
        Ok(())
    }
}

/// Runs `worker` until `shutdown` is cancelled or its partition's lease is lost,
/// reconnecting with backoff after Redis errors.
async fn drive(redis: RedisTarget, mut worker: Worker, shutdown: CancellationToken) {
    let mut health = Health::default();
    while !shutdown.is_cancelled() && worker.holds() {
        let result = match connect(&redis, worker.config.block).await {
            Ok(mut conn) => worker.session(&mut conn, &shutdown, &mut health).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => break,
            Err(e) => {
                let delay = health.failed(&worker.config.group, &e);
                tokio::select! {
                    () = shutdown.cancelled() => {}
                    () = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
}

/// One stream the group reads.
#[derive(Debug)]
struct Stream {
    key: String,
    event_type: String,
}

/// The state of a running consumer, kept across reconnections.
struct Worker {
    keys: Keys,
    config: ConsumerConfig,
    handler: Arc<dyn BatchHandler>,
    streams: Vec<Stream>,
    by_key: HashMap<String, usize>,
    /// Last transient error per pending entry `(stream, id)`, quoted when it is finally
    /// dead-lettered. Only what this process saw; bounded.
    last_errors: HashMap<(usize, String), String>,
    /// Whether the backfill lanes may be read now ([`ConsumerConfig::backfill_yields_to`]).
    gate: YieldGate,
    /// The partition's lease, for a partition worker (ADR 0026): nothing is read,
    /// claimed or acknowledged once it has run out.
    fence: Option<Fence>,
    /// Until the first reclaim pass is complete: a new owner of a partition claims
    /// every entry pending to anyone, idle or not, before it reads new ones.
    takeover: bool,
}

impl Worker {
    fn new(
        keys: Keys,
        config: ConsumerConfig,
        handler: Arc<dyn BatchHandler>,
        fence: Option<Fence>,
    ) -> Self {
        // Live streams first, then the backfill lanes: the session reads backfill only
        // when live data did not fill a batch (ADR 0020).
        let live = config.event_types.iter().map(|t| (keys.stream(t), t));
        let backfill = config.event_types.iter().map(|t| (keys.backfill(t), t));
        let streams: Vec<Stream> = live
            .chain(backfill)
            .map(|(key, t)| Stream {
                key,
                event_type: t.clone(),
            })
            .collect();
        let by_key = streams
            .iter()
            .enumerate()
            .map(|(i, s)| (s.key.clone(), i))
            .collect();
        let gate = YieldGate::new(
            config.backfill_yields_to.clone(),
            config.backfill_yield_lag,
            config.event_types.iter().map(|t| keys.stream(t)).collect(),
        );
        Self {
            keys,
            config,
            handler,
            streams,
            by_key,
            last_errors: HashMap::new(),
            gate,
            takeover: fence.is_some(),
            fence,
        }
    }

    /// Whether this worker may still read and acknowledge (always, outside partitions).
    fn holds(&self) -> bool {
        self.fence.as_ref().is_none_or(Fence::held)
    }
}
