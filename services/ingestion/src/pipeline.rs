//! The durable hand-off: validated readings become `vehicle.telemetry.received`
//! entries, refused ones `vehicle.telemetry.rejected`, atomically and idempotently.
//!
//! Each chunk of readings is one Lua script call: for every accepted reading it sets
//! the reading's idempotency key (`SET NX EX`) and appends the event only if the key
//! was new. Redis runs a script to completion even if this process dies mid-request, so
//! a reading is either in the stream with its key set, or neither: a retry after a
//! crash or a timeout is appended at most once (within the dedupe window).
//!
//! A batch the device names (`batch_id`) is deduplicated within that batch instead: its
//! readings' hashes are members of one set per batch and partition, checked and added
//! by a single `SMISMEMBER` and `SADD` per script call rather than a key per reading
//! (ADR 0027).
//!
//! A reading recorded long before it arrived (a device flushing its buffer) goes to the
//! backfill lane of the stream, which consumers read after the live one (ADR 0020).
//! Every event goes to its vehicle's partition (ADR 0026): one script call per
//! partition, whose streams and idempotency keys share its hash slot.
//!
//! Requests do not call Redis themselves: they queue their readings for a few writer
//! tasks, and a writer hands off everything queued while its previous call was in
//! flight in one script call (group commit). Nobody waits for a timer, a request is
//! answered when the call holding its readings returns, and many concurrent
//! single-reading requests cost one round trip instead of one each.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use shared_runtime::bus::{Keys, partition_of};
use shared_runtime::redis_conn::RedisConn;
use shared_runtime::service::Tasks;
use shared_schemas::events::telemetry::{Problem, TelemetryReceived, TelemetryRejected};
use shared_schemas::telemetry::{Protocol, TelemetryReading};
use shared_schemas::{Event, EventEnvelope};
use tokio::sync::{Mutex, mpsc, oneshot};
use uuid::Uuid;

/// Readings per script call: bounds how long one call holds Redis.
const CHUNK: usize = 500;
/// Writer tasks: how many script calls may be in flight at once.
const WRITERS: usize = 2;
/// Submissions that may wait for a writer before requests wait to queue.
const QUEUE: usize = 4096;
const PRODUCER: &str = "ingestion";

/// What happened to one reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Appended to the stream now.
    Accepted,
    /// Already accepted earlier under the same idempotency key.
    Duplicate,
    /// Refused; see its problems.
    Rejected,
    /// Backfill not taken now (too many older readings wait to be processed); send it
    /// again after `Retry-After`.
    Deferred,
}

/// A validated reading ready to hand off: its event and idempotency key are made once,
/// by the request, moving the reading in rather than copying it (this is the hot path
/// of ingestion). Made by [`Intake::accept`].
#[derive(Debug)]
pub struct Accepted {
    /// The idempotency key.
    pub reading_id: String,
    /// How a retry is recognised.
    dedupe: Dedupe,
    /// Its vehicle's stream partition.
    partition: u32,
    /// The `vehicle.telemetry.received` envelope, as JSON.
    envelope: Vec<u8>,
    /// Raw input for adapter protocols.
    raw: Option<String>,
    /// Recorded long before it arrived (a device flushing its buffer): appended to the
    /// backfill lane, and deferred while that lane's backlog is too long (ADR 0020).
    pub backfill: bool,
}

/// How the hand-off recognises a reading it appended before.
#[derive(Debug)]
enum Dedupe {
    /// Its own Redis key, `{partition}idem:telemetry:<hash>`.
    Key(String),
    /// A member (hash of vehicle and reading id) of its batch's set,
    /// `{partition}idem:batch:<hash of organization and batch id>`.
    Member { set: String, member: [u8; 8] },
}

/// A refused reading.
#[derive(Debug)]
pub struct Refused {
    /// The sender's idempotency key, if known.
    pub reading_id: Option<String>,
    /// The vehicle, if known.
    pub vehicle_id: String,
    /// Every problem.
    pub problems: Vec<Problem>,
}

/// Redis could not take the readings (or the service is stopping): nothing of the
/// submission can be counted on.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// Redis refused or could not be reached.
    #[error("redis: {0}")]
    Redis(#[from] Arc<redis::RedisError>),
    /// The writers stopped.
    #[error("the intake writers have stopped")]
    Stopped,
}

/// One submission waiting for a writer.
struct Job {
    accepted: Vec<Accepted>,
    /// `vehicle.telemetry.rejected` envelopes, as JSON, with their partition.
    rejected: Vec<(u32, String)>,
    reply: oneshot::Sender<Result<Vec<Status>, IntakeError>>,
}

/// Hands readings to the streams.
#[derive(Clone)]
pub struct Intake {
    keys: Keys,
    queue: mpsc::Sender<Job>,
    /// Readings recorded longer than this before they arrived go to the backfill lane.
    backfill_after: chrono::Duration,
}

impl std::fmt::Debug for Intake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Intake")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

/// What the writers share: the connection, the key names and the script.
struct Writer {
    conn: RedisConn,
    keys: Keys,
    max_len: usize,
    dedupe_ttl_s: u64,
    script: redis::Script,
}

/// Serializes an envelope into a buffer sized for a typical reading (no regrowth).
fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut buf = Vec::with_capacity(2048);
    // Serializing plain data structs into memory cannot fail.
    let _ = serde_json::to_writer(&mut buf, value);
    buf
}

/// How the streams are bounded.
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    /// Approximate length each stream is trimmed to.
    pub max_len: usize,
    /// How long an idempotency key is remembered, seconds.
    pub dedupe_ttl_s: u64,
}

/// Who sent a request, for the envelopes.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// The device's organization.
    pub org_id: &'a str,
    /// The protocol.
    pub protocol: Protocol,
    /// The request's correlation id.
    pub correlation_id: Uuid,
    /// When the request arrived.
    pub received_at: DateTime<Utc>,
    /// The batch the device named, if any ([`batch_scope`]): its readings are
    /// deduplicated within it.
    pub batch_scope: Option<&'a str>,
}

/// The scope a device's `batch_id` names: a hash of it and the organization (two
/// organizations may pick the same id), hex.
pub fn batch_scope(org_id: &str, batch_id: &str) -> String {
    let mut h = Sha256::new();
    h.update(org_id.as_bytes());
    h.update([0]);
    h.update(batch_id.as_bytes());
    hex::encode(&h.finalize()[..16])
}

impl Intake {
    /// An intake writing under `keys`, trimming streams to about `max_len`, sending
    /// readings recorded more than `backfill_after` before arrival to the backfill lane;
    /// starts its writer tasks on `tasks` (they stop once every clone of the intake is
    /// dropped, so the server's shutdown waits for the readings in hand).
    pub fn new(
        conn: RedisConn,
        keys: Keys,
        limits: StreamLimits,
        backfill_after: chrono::Duration,
        tasks: &mut Tasks,
    ) -> Self {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let writer = Arc::new(Writer {
            conn,
            keys: keys.clone(),
            max_len: limits.max_len,
            dedupe_ttl_s: limits.dedupe_ttl_s,
            script: redis::Script::new(include_str!("intake.lua")),
        });
        let jobs = Arc::new(Mutex::new(jobs));
        for _ in 0..WRITERS {
            tasks.spawn(Arc::clone(&writer).run(Arc::clone(&jobs)));
        }
        Self {
            keys,
            queue,
            backfill_after,
        }
    }

    /// The hand-off form of `reading` (whose `reading_id` is set) received from
    /// `origin`.
    pub fn accept(
        &self,
        origin: Origin<'_>,
        reading: TelemetryReading,
        raw: Option<String>,
    ) -> Accepted {
        let reading_id = reading.reading_id.clone().unwrap_or_default();
        let keys = self.keys.for_vehicle(&reading.vehicle_id);
        let partition = keys.narrowed().unwrap_or(0);
        let digest = reading_digest(&reading.vehicle_id, &reading_id);
        let dedupe = match origin.batch_scope {
            Some(scope) => Dedupe::Member {
                set: keys.partition_key(&format!("idem:batch:{scope}")),
                member: digest[..8].try_into().unwrap_or_default(),
            },
            None => Dedupe::Key(
                keys.partition_key(&format!("idem:telemetry:{}", hex::encode(&digest[..16]))),
            ),
        };
        let recorded_at = reading.recorded_at;
        let backfill = origin.received_at - recorded_at > self.backfill_after;
        let payload = TelemetryReceived {
            org_id: origin.org_id.to_owned(),
            reading_id: reading_id.clone(),
            protocol: origin.protocol,
            received_at: origin.received_at,
            reading,
        };
        let envelope = EventEnvelope::new(PRODUCER, origin.correlation_id, payload).at(recorded_at);
        Accepted {
            reading_id,
            dedupe,
            partition,
            envelope: to_json(&envelope),
            raw,
            backfill,
        }
    }

    /// Hands off `accepted` and records `refused`; returns the status of each accepted
    /// reading, in order, once Redis holds them. An error means Redis was unreachable:
    /// the caller answers 503 and the sender retries (readings already appended are
    /// then duplicates).
    pub async fn submit(
        &self,
        origin: Origin<'_>,
        accepted: Vec<Accepted>,
        refused: &[Refused],
    ) -> Result<Vec<Status>, IntakeError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            accepted,
            rejected: refused
                .iter()
                .map(|r| {
                    let partition = partition_of(&r.vehicle_id, self.keys.partitions());
                    (partition, rejected_json(origin, r))
                })
                .collect(),
            reply,
        };
        self.queue
            .send(job)
            .await
            .map_err(|_| IntakeError::Stopped)?;
        answer.await.map_err(|_| IntakeError::Stopped)?
    }
}

/// The hash idempotency keys and batch members are made of: fixed size, whatever the
/// sender's id length.
fn reading_digest(vehicle_id: &str, reading_id: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(vehicle_id.as_bytes());
    h.update([0]);
    h.update(reading_id.as_bytes());
    h.finalize().into()
}

impl Writer {
    /// Takes whatever is queued (at least one job, up to a chunk of readings), hands it
    /// off in one go and answers each job, until the queue closes.
    async fn run(self: Arc<Self>, jobs: Arc<Mutex<mpsc::Receiver<Job>>>) {
        loop {
            let group = {
                let mut jobs = jobs.lock().await;
                let Some(first) = jobs.recv().await else {
                    return;
                };
                let mut readings = first.accepted.len();
                let mut group = vec![first];
                while readings < CHUNK {
                    match jobs.try_recv() {
                        Ok(job) => {
                            readings += job.accepted.len();
                            group.push(job);
                        }
                        Err(_) => break,
                    }
                }
                group
            };
            match self.write(&group).await {
                Ok(mut statuses) => {
                    for job in group {
                        let rest = statuses.split_off(job.accepted.len().min(statuses.len()));
                        let _ = job.reply.send(Ok(std::mem::replace(&mut statuses, rest)));
                    }
                }
                Err(e) => {
                    let e = Arc::new(e);
                    for job in group {
                        let _ = job.reply.send(Err(IntakeError::Redis(Arc::clone(&e))));
                    }
                }
            }
        }
    }

    /// One script call per partition and chunk of the group's readings; each
    /// partition's refusals go with its last. Returns the statuses of every accepted
    /// reading, in order.
    async fn write(&self, group: &[Job]) -> Result<Vec<Status>, redis::RedisError> {
        // Collected before the first await: iterator adapters over the borrowed group
        // held across it would make the future not `Send`.
        let partitions = self.keys.partitions() as usize;
        let mut accepted: Vec<Vec<(usize, &Accepted)>> = vec![Vec::new(); partitions];
        let mut rejected: Vec<Vec<&str>> = vec![Vec::new(); partitions];
        let mut n = 0;
        for job in group {
            for a in &job.accepted {
                accepted[a.partition as usize % partitions].push((n, a));
                n += 1;
            }
            for (p, json) in &job.rejected {
                rejected[*p as usize % partitions].push(json);
            }
        }
        let mut statuses = vec![Status::Duplicate; n];
        for (p, (accepted, rejected)) in accepted.iter().zip(&rejected).enumerate() {
            // At least one call on partition 0, so refusals are recorded even when
            // nothing was accepted (and a lone partition behaves as before).
            if accepted.is_empty() && rejected.is_empty() && (p > 0 || n > 0) {
                continue;
            }
            let keys = self.keys.partition(p as u32);
            for (i, status) in self.write_partition(&keys, accepted, rejected).await? {
                statuses[i] = status;
            }
        }
        Ok(statuses)
    }

    /// The script calls of one partition: chunks of its readings, the refusals with
    /// the last; returns `(index in the group, status)` per reading.
    async fn write_partition(
        &self,
        keys: &Keys,
        accepted: &[(usize, &Accepted)],
        rejected: &[&str],
    ) -> Result<Vec<(usize, Status)>, redis::RedisError> {
        let mut statuses = Vec::with_capacity(accepted.len());
        let mut conn = self.conn.clone();
        let mut chunks = accepted.chunks(CHUNK).peekable();
        loop {
            let chunk = chunks.next().unwrap_or(&[]);
            let last = chunks.peek().is_none();
            let mut inv = self.script.prepare_invoke();
            inv.key(keys.stream(TelemetryReceived::TYPE))
                .key(keys.stream(TelemetryRejected::TYPE))
                .key(keys.backfill(TelemetryReceived::TYPE));
            let units = units(chunk);
            inv.arg(self.max_len)
                .arg(self.dedupe_ttl_s)
                .arg(units.len());
            for unit in units {
                add_unit(&mut inv, unit);
            }
            if last {
                for json in rejected {
                    inv.arg(*json);
                }
            }
            let flags: Vec<u8> = inv.invoke_async(&mut conn).await?;
            statuses.extend(chunk.iter().zip(flags).map(|((i, _), f)| {
                let status = if f == 1 {
                    Status::Accepted
                } else {
                    Status::Duplicate
                };
                (*i, status)
            }));
            if last {
                break;
            }
        }
        Ok(statuses)
    }
}

/// Splits a chunk into runs the script handles alike: readings with their own keys,
/// or members of one batch set.
fn units<'c>(chunk: &'c [(usize, &'c Accepted)]) -> Vec<&'c [(usize, &'c Accepted)]> {
    fn set_of(a: &Accepted) -> Option<&str> {
        match &a.dedupe {
            Dedupe::Key(_) => None,
            Dedupe::Member { set, .. } => Some(set),
        }
    }
    let mut units = Vec::new();
    let mut start = 0;
    for i in 1..=chunk.len() {
        if i == chunk.len() || set_of(chunk[i].1) != set_of(chunk[start].1) {
            units.push(&chunk[start..i]);
            start = i;
        }
    }
    units
}

/// One unit's keys and arguments (`intake.lua` says how they are laid out).
fn add_unit(inv: &mut redis::ScriptInvocation<'_>, unit: &[(usize, &Accepted)]) {
    let Some((_, first)) = unit.first() else {
        return;
    };
    if let Dedupe::Member { set, .. } = &first.dedupe {
        inv.arg("s").arg(unit.len()).key(set.as_str());
    } else {
        inv.arg("k").arg(unit.len());
    }
    for (_, a) in unit {
        match &a.dedupe {
            Dedupe::Key(key) => {
                inv.key(key.as_str());
            }
            Dedupe::Member { member, .. } => {
                inv.arg(&member[..]);
            }
        }
        inv.arg(&a.envelope)
            .arg(a.raw.as_deref().unwrap_or(""))
            .arg(if a.backfill { "b" } else { "l" });
    }
}

fn rejected_json(origin: Origin<'_>, r: &Refused) -> String {
    let payload = TelemetryRejected {
        reading_id: r.reading_id.clone(),
        org_id: origin.org_id.to_owned(),
        vehicle_id: r.vehicle_id.clone(),
        protocol: origin.protocol,
        received_at: origin.received_at,
        problems: r.problems.clone(),
    };
    serde_json::to_string(&EventEnvelope::new(
        PRODUCER,
        origin.correlation_id,
        payload,
    ))
    .unwrap_or_default()
}
