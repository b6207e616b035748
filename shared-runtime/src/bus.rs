//! Stream naming and the publisher.
//!
//! Each event type has one stream, `{prefix}stream:{event_type}`; every entry carries
//! the envelope JSON in the field [`FIELD_EVENT`] (and may carry others that consumers
//! ignore). Publishing trims the stream with `MAXLEN ~` so Redis memory stays bounded.

use redis::aio::ConnectionManager;
use shared_schemas::{Event, EventEnvelope};

/// Field holding the envelope JSON in a stream entry.
pub const FIELD_EVENT: &str = "e";

/// Suffix of an event type's backfill lane ([`Keys::backfill`]).
pub const BACKFILL_SUFFIX: &str = ":backfill";

/// Redis key names of one environment (one prefix).
#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    /// Key names under `prefix` (e.g. `fleet:`).
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }
    /// The prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
    /// The stream of one event type.
    pub fn stream(&self, event_type: &str) -> String {
        format!("{}stream:{event_type}", self.prefix)
    }
    /// The backfill lane of one event type, `{prefix}stream:{event_type}:backfill`:
    /// where a producer appends events about the past (a device flushing its buffer), so
    /// they do not queue ahead of live ones. Every consumer of the type reads it after
    /// the live stream (ADR 0020).
    pub fn backfill(&self, event_type: &str) -> String {
        format!("{}stream:{event_type}{BACKFILL_SUFFIX}", self.prefix)
    }
    /// Both lanes of an event type: the live stream, then the backfill lane.
    pub fn lanes(&self, event_type: &str) -> [String; 2] {
        [self.stream(event_type), self.backfill(event_type)]
    }
    /// The dead-letter stream of one consumer group.
    pub fn dead_letter(&self, group: &str) -> String {
        format!("{}dead-letter:{group}", self.prefix)
    }
    /// Any other key, namespaced under the prefix.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }
}

/// A publishing failure.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// Redis refused or could not be reached.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// The envelope could not be serialized.
    #[error("serializing event: {0}")]
    Json(#[from] serde_json::Error),
}

/// Publishes events to their streams, trimming each to about `max_len` entries.
#[derive(Clone)]
pub struct Publisher {
    conn: ConnectionManager,
    keys: Keys,
    max_len: usize,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("keys", &self.keys)
            .field("max_len", &self.max_len)
            .finish_non_exhaustive()
    }
}

impl Publisher {
    /// A publisher over an existing connection manager.
    pub fn new(conn: ConnectionManager, keys: Keys, max_len: usize) -> Self {
        Self {
            conn,
            keys,
            max_len,
        }
    }

    /// The key names.
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// Publishes one typed event; returns the stream entry id.
    pub async fn publish<P: Event>(&self, envelope: &EventEnvelope<P>) -> Result<String, BusError> {
        let json = serde_json::to_string(envelope)?;
        let mut conn = self.conn.clone();
        let id: String = self
            .xadd_cmd(&self.keys.stream(P::TYPE), &json)
            .query_async(&mut conn)
            .await?;
        Ok(id)
    }

    /// Publishes already-serialized envelopes `(event_type, json)` in one pipeline.
    pub async fn publish_raw(&self, events: &[(String, String)]) -> Result<(), BusError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for (event_type, json) in events {
            pipe.add_command(self.xadd_cmd(&self.keys.stream(event_type), json))
                .ignore();
        }
        let mut conn = self.conn.clone();
        pipe.query_async::<()>(&mut conn).await?;
        Ok(())
    }

    /// `XADD stream MAXLEN ~ max_len * e json`.
    pub fn xadd_cmd(&self, stream: &str, json: &str) -> redis::Cmd {
        let mut cmd = redis::cmd("XADD");
        cmd.arg(stream)
            .arg("MAXLEN")
            .arg("~")
            .arg(self.max_len)
            .arg("*")
            .arg(FIELD_EVENT)
            .arg(json);
        cmd
    }
}

/// Opens a Redis connection manager (reconnects by itself after Redis restarts).
pub async fn connect(url: &str) -> Result<ConnectionManager, redis::RedisError> {
    let client = redis::Client::open(url)?;
    ConnectionManager::new(client).await
}
