//! The durable hand-off: validated readings become `vehicle.telemetry.received`
//! entries, refused ones `vehicle.telemetry.rejected`, atomically and idempotently.
//!
//! Each chunk of readings is one Lua script call: for every accepted reading it sets
//! the reading's idempotency key (`SET NX EX`) and appends the event only if the key
//! was new. Redis runs a script to completion even if this process dies mid-request, so
//! a reading is either in the stream with its key set, or neither: a retry after a
//! crash or a timeout is appended at most once (within the dedupe window).

use chrono::{DateTime, Utc};
use redis::aio::ConnectionManager;
use sha2::{Digest, Sha256};
use shared_runtime::bus::Keys;
use shared_schemas::events::telemetry::{Problem, TelemetryReceived, TelemetryRejected};
use shared_schemas::telemetry::{Protocol, TelemetryReading};
use shared_schemas::{Event, EventEnvelope};
use uuid::Uuid;

/// Readings per script call: bounds how long one call holds Redis.
const CHUNK: usize = 500;
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
}

/// A validated reading ready to hand off.
#[derive(Debug)]
pub struct Accepted {
    /// The normalized reading, `reading_id` set.
    pub reading: TelemetryReading,
    /// Raw input for adapter protocols.
    pub raw: Option<String>,
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

/// Hands readings to the streams.
#[derive(Clone)]
pub struct Intake {
    conn: ConnectionManager,
    keys: Keys,
    max_len: usize,
    dedupe_ttl_s: u64,
    script: redis::Script,
}

impl std::fmt::Debug for Intake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Intake")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
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
}

impl Intake {
    /// An intake writing under `keys`, trimming streams to about `max_len`.
    pub fn new(conn: ConnectionManager, keys: Keys, max_len: usize, dedupe_ttl_s: u64) -> Self {
        Self {
            conn,
            keys,
            max_len,
            dedupe_ttl_s,
            script: redis::Script::new(include_str!("intake.lua")),
        }
    }

    /// Hands off `accepted` and records `refused`; returns the status of each accepted
    /// reading, in order. An error means Redis was unreachable: the caller answers 503
    /// and the sender retries (readings already appended are then duplicates).
    pub async fn submit(
        &self,
        origin: Origin<'_>,
        accepted: &[Accepted],
        refused: &[Refused],
    ) -> Result<Vec<Status>, redis::RedisError> {
        let received = self.keys.stream(TelemetryReceived::TYPE);
        let rejected = self.keys.stream(TelemetryRejected::TYPE);
        let mut statuses = Vec::with_capacity(accepted.len());
        let mut refused_left = refused;
        let mut conn = self.conn.clone();
        // At least one call, so refusals are recorded even when nothing was accepted.
        let mut chunks = accepted.chunks(CHUNK).peekable();
        loop {
            let chunk = chunks.next().unwrap_or(&[]);
            let last = chunks.peek().is_none();
            let mut inv = self.script.prepare_invoke();
            inv.key(&received).key(&rejected);
            inv.arg(self.max_len)
                .arg(self.dedupe_ttl_s)
                .arg(chunk.len());
            for a in chunk {
                let reading_id = a.reading.reading_id.as_deref().unwrap_or_default();
                inv.key(self.idempotency_key(&a.reading.vehicle_id, reading_id));
                inv.arg(received_json(origin, a))
                    .arg(a.raw.as_deref().unwrap_or(""));
            }
            if last {
                for r in refused_left {
                    inv.arg(rejected_json(origin, r));
                }
                refused_left = &[];
            }
            let flags: Vec<u8> = inv.invoke_async(&mut conn).await?;
            statuses.extend(flags.into_iter().map(|f| {
                if f == 1 {
                    Status::Accepted
                } else {
                    Status::Duplicate
                }
            }));
            if last {
                break;
            }
        }
        debug_assert!(refused_left.is_empty());
        Ok(statuses)
    }

    /// `{prefix}idem:telemetry:<128-bit hash of vehicle and reading id>`: fixed size,
    /// whatever the sender's id length.
    fn idempotency_key(&self, vehicle_id: &str, reading_id: &str) -> String {
        let mut h = Sha256::new();
        h.update(vehicle_id.as_bytes());
        h.update([0]);
        h.update(reading_id.as_bytes());
        let digest = h.finalize();
        self.keys
            .key(&format!("idem:telemetry:{}", hex::encode(&digest[..16])))
    }
}

fn received_json(origin: Origin<'_>, a: &Accepted) -> String {
    let payload = TelemetryReceived {
        org_id: origin.org_id.to_owned(),
        reading_id: a.reading.reading_id.clone().unwrap_or_default(),
        protocol: origin.protocol,
        received_at: origin.received_at,
        reading: a.reading.clone(),
    };
    let envelope =
        EventEnvelope::new(PRODUCER, origin.correlation_id, payload).at(a.reading.recorded_at);
    // Serializing plain data structs cannot fail.
    serde_json::to_string(&envelope).unwrap_or_default()
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
