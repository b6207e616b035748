//! The in-app live feed: every replica reads the service's own `alert.*` streams (plain
//! `XREAD` from the entry that was newest when it started, no consumer group: each
//! replica needs every event)
//! and broadcasts them to its SSE clients, who see what their token's scope allows. The
//! last [`REPLAY`] events are kept so a client reconnecting with `Last-Event-ID`
//! catches up.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::AsyncCommands;
use redis::streams::{StreamRangeReply, StreamReadReply};
use serde::Deserialize;
use shared_runtime::bus::{FIELD_EVENT, Keys};
use shared_runtime::redis_conn::{RedisConn, RedisTarget};
use shared_schemas::Event;
use shared_schemas::events::{AlertAcknowledged, AlertCreated, AlertEscalated, AlertResolved};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// Events kept for reconnecting clients.
pub const REPLAY: usize = 1_000;

/// The streams of the feed.
pub const FEED_TYPES: [&str; 4] = [
    AlertCreated::TYPE,
    AlertAcknowledged::TYPE,
    AlertEscalated::TYPE,
    AlertResolved::TYPE,
];

/// One feed event.
#[derive(Debug, Clone)]
pub struct FeedItem {
    /// The event id (the SSE id).
    pub id: String,
    /// The event type (the SSE event name).
    pub event_type: String,
    /// Organization, for scoping.
    pub org_id: String,
    /// Vehicle, for scoping.
    pub vehicle_id: String,
    /// The envelope JSON.
    pub json: String,
}

#[derive(Deserialize)]
struct Head {
    event_id: uuid::Uuid,
    event_type: String,
    vehicle_id: String,
    payload: OrgOnly,
}

#[derive(Deserialize)]
struct OrgOnly {
    org_id: String,
}

/// The broadcast and its replay buffer.
#[derive(Debug, Clone)]
pub struct Feed {
    tx: broadcast::Sender<FeedItem>,
    recent: Arc<Mutex<VecDeque<FeedItem>>>,
}

impl Default for Feed {
    fn default() -> Self {
        Self::new()
    }
}

impl Feed {
    /// An empty feed.
    pub fn new() -> Self {
        Self {
            tx: broadcast::channel(4_096).0,
            recent: Arc::new(Mutex::new(VecDeque::with_capacity(REPLAY))),
        }
    }

    /// A subscription, and the kept events after `last_id` (all kept events when it is
    /// not among them; none without it).
    pub fn subscribe(
        &self,
        last_id: Option<&str>,
    ) -> (broadcast::Receiver<FeedItem>, Vec<FeedItem>) {
        let recent = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let rx = self.tx.subscribe();
        let replay = match last_id {
            None => Vec::new(),
            Some(id) => match recent.iter().position(|i| i.id == id) {
                Some(p) => recent.iter().skip(p + 1).cloned().collect(),
                None => recent.iter().cloned().collect(),
            },
        };
        (rx, replay)
    }

    fn publish(&self, item: FeedItem) {
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if recent.len() >= REPLAY {
            recent.pop_front();
        }
        recent.push_back(item.clone());
        // No subscriber is fine.
        let _ = self.tx.send(item);
    }

    /// Reads the streams of every partition (ADR 0026) until `shutdown`, reconnecting
    /// after Redis errors.
    pub async fn run(self, redis: RedisTarget, keys: Keys, shutdown: CancellationToken) {
        let readers = keys
            .each_partition()
            .into_iter()
            .map(|keys| self.read_partition(&redis, keys, &shutdown));
        futures::future::join_all(readers).await;
    }

    /// Reads one partition's streams (one hash slot: one `XREAD`).
    async fn read_partition(&self, redis: &RedisTarget, keys: Keys, shutdown: &CancellationToken) {
        let streams: Vec<String> = FEED_TYPES.iter().map(|t| keys.stream(t)).collect();
        let mut ids: Vec<String> = vec!["$".to_owned(); streams.len()];
        let mut backoff = Duration::from_millis(200);
        while !shutdown.is_cancelled() {
            let mut conn = match redis
                .dedicated(Duration::from_secs(2), Duration::from_secs(6))
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::debug!(error = %e, "feed: Redis unavailable");
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                    continue;
                }
            };
            backoff = Duration::from_millis(200);
            if let Err(e) = resolve_newest(&mut conn, &streams, &mut ids).await {
                tracing::debug!(error = %e, "feed: cannot find the streams' ends; reconnecting");
                continue;
            }
            loop {
                let mut cmd = redis::cmd("XREAD");
                cmd.arg("COUNT")
                    .arg(256)
                    .arg("BLOCK")
                    .arg(1_000)
                    .arg("STREAMS");
                for s in &streams {
                    cmd.arg(s);
                }
                for id in &ids {
                    cmd.arg(id);
                }
                let read = tokio::select! {
                    () = shutdown.cancelled() => return,
                    r = cmd.query_async::<Option<StreamReadReply>>(&mut conn) => r,
                };
                let reply = match read {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::debug!(error = %e, "feed: read failed; reconnecting");
                        break;
                    }
                };
                let Some(reply) = reply else { continue };
                for key in reply.keys {
                    let Some(i) = streams.iter().position(|s| *s == key.key) else {
                        continue;
                    };
                    for entry in key.ids {
                        ids[i].clone_from(&entry.id);
                        let Some(json) = entry.get::<String>(FIELD_EVENT) else {
                            continue;
                        };
                        if let Ok(h) = serde_json::from_str::<Head>(&json) {
                            self.publish(FeedItem {
                                id: h.event_id.to_string(),
                                event_type: h.event_type,
                                org_id: h.payload.org_id,
                                vehicle_id: h.vehicle_id,
                                json,
                            });
                        }
                    }
                }
            }
        }
    }
}

/// Replaces `$` (the newest entry) with the id it stands for now. Given to every
/// `XREAD`, `$` would skip what a stream received between two reads: an event on a
/// stream that had none yet, appended while the previous read was being handled, was
/// never shown. A stream that does not exist yet starts at `0-0`.
async fn resolve_newest(
    conn: &mut RedisConn,
    streams: &[String],
    ids: &mut [String],
) -> redis::RedisResult<()> {
    for (stream, id) in streams.iter().zip(ids.iter_mut()) {
        if id != "$" {
            continue;
        }
        let newest: StreamRangeReply = conn.xrevrange_count(stream, "+", "-", 1).await?;
        *id = newest
            .ids
            .first()
            .map_or_else(|| "0-0".to_owned(), |e| e.id.clone());
    }
    Ok(())
}
