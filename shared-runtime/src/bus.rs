//! Stream naming and the publisher.
//!
//! Each event type has one stream per partition, `{prefix}stream:{event_type}` with one
//! partition ([`Keys`], ADR 0026); every entry carries the envelope JSON in the field
//! [`FIELD_EVENT`] (and may carry others that consumers ignore). An event goes to the
//! partition of its vehicle. Publishing trims the stream with `MAXLEN ~` so Redis
//! memory stays bounded.

use shared_schemas::{Event, EventEnvelope};

use crate::redis_conn::{RedisConn, RedisTarget};

/// Field holding the envelope JSON in a stream entry.
pub const FIELD_EVENT: &str = "e";

pub use crate::keys::{BACKFILL_SUFFIX, Keys, partition_of};

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
    conn: RedisConn,
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
    /// A publisher over an existing shared connection.
    pub fn new(conn: impl Into<RedisConn>, keys: Keys, max_len: usize) -> Self {
        Self {
            conn: conn.into(),
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
            .xadd_cmd(
                &self.keys.for_vehicle(&envelope.vehicle_id).stream(P::TYPE),
                &json,
            )
            .query_async(&mut conn)
            .await?;
        Ok(id)
    }

    /// Publishes already-serialized envelopes `(event_type, json)`, each to the
    /// partition of its vehicle: one pipeline per partition (a cluster slot), in order
    /// within each. An envelope whose vehicle cannot be read goes to partition 0.
    pub async fn publish_raw(&self, events: &[(String, String)]) -> Result<(), BusError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut pipes: Vec<Option<redis::Pipeline>> =
            (0..self.keys.partitions()).map(|_| None).collect();
        for (event_type, json) in events {
            let keys = if self.keys.partitions() > 1 {
                self.keys.for_vehicle(&vehicle_of(json))
            } else {
                self.keys.partition(0)
            };
            let p = keys.narrowed().unwrap_or(0) as usize;
            pipes[p]
                .get_or_insert_with(redis::pipe)
                .add_command(self.xadd_cmd(&keys.stream(event_type), json))
                .ignore();
        }
        let sends = pipes.into_iter().flatten().map(|pipe| {
            let mut conn = self.conn.clone();
            async move { pipe.query_async::<()>(&mut conn).await }
        });
        futures::future::try_join_all(sends).await?;
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

/// Opens a shared Redis connection (reconnects by itself after Redis restarts): to one
/// server, or to a cluster when `url` lists several nodes separated by commas.
pub async fn connect(url: &str) -> Result<RedisConn, redis::RedisError> {
    RedisTarget::open(url, false)?.shared().await
}

/// The `vehicle_id` of an envelope's JSON (empty when it has none).
fn vehicle_of(json: &str) -> String {
    #[derive(serde::Deserialize)]
    struct Vehicle {
        #[serde(default)]
        vehicle_id: String,
    }
    serde_json::from_str::<Vehicle>(json)
        .map(|v| v.vehicle_id)
        .unwrap_or_default()
}
