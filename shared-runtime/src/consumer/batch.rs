//! Handling one batch of entries: decode, filter, call the handler, then acknowledge
//! and dead-letter in one atomic round trip.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::time::Instant;

use futures::FutureExt;
use redis::streams::StreamId;
use shared_schemas::RawEnvelope;
use tracing::Instrument;

use super::{Delivery, HandlerError, Worker};
use crate::bus::FIELD_EVENT;
use crate::redis_conn::RedisConn;

/// Most remembered transient errors; beyond, the memory is cleared (it only makes
/// dead-letter reasons more helpful).
const MAX_REMEMBERED_ERRORS: usize = 10_000;

/// A stream entry read or reclaimed by this consumer.
#[derive(Debug)]
pub(super) struct Entry {
    /// Index of the stream in [`Worker::streams`].
    pub(super) stream: usize,
    pub(super) entry: StreamId,
    /// Deliveries so far, this one included.
    pub(super) delivered: u64,
}

/// An entry bound for the dead-letter stream.
#[derive(Debug)]
struct DeadLetter {
    stream: usize,
    id: String,
    event_id: Option<uuid::Uuid>,
    payload: Option<Vec<u8>>,
    reason: String,
    attempts: u64,
}

/// What to tell Redis once the batch is handled.
#[derive(Debug, Default)]
struct Plan {
    /// `(stream, entry id, outcome label)`.
    acks: Vec<(usize, String, &'static str)>,
    dead: Vec<DeadLetter>,
}

impl Plan {
    fn dead_letter(
        &mut self,
        entry: &Entry,
        event_id: Option<uuid::Uuid>,
        reason: String,
        attempts: u64,
    ) {
        self.dead.push(DeadLetter {
            stream: entry.stream,
            id: entry.entry.id.clone(),
            event_id,
            payload: entry.entry.get(FIELD_EVENT),
            reason,
            attempts,
        });
    }
}

impl Worker {
    /// Handles `entries` in order and settles them: acknowledged (handled or skipped),
    /// dead-lettered, or left pending (transient failure). Only a Redis error fails.
    pub(super) async fn process(
        &mut self,
        conn: &mut RedisConn,
        entries: Vec<Entry>,
    ) -> Result<(), redis::RedisError> {
        if !self.holds() {
            // The lease ran out: the new owner claims these entries (ADR 0026).
            return Ok(());
        }
        let mut plan = Plan::default();
        let mut deliveries = Vec::new();
        let mut indexes = Vec::new();
        for entry in entries {
            if entry.delivered > self.config.max_attempts {
                let attempts = entry.delivered - 1;
                let last = self
                    .last_errors
                    .remove(&(entry.stream, entry.entry.id.clone()))
                    .unwrap_or_else(|| "not seen by this consumer".to_owned());
                let reason = format!("gave up after {attempts} attempts; last error: {last}");
                plan.dead_letter(&entry, None, reason, attempts);
                continue;
            }
            let Some(bytes) = field_bytes(&entry.entry, FIELD_EVENT) else {
                let reason = format!("entry has no `{FIELD_EVENT}` field");
                plan.dead_letter(&entry, None, reason, entry.delivered);
                continue;
            };
            match serde_json::from_slice::<RawEnvelope>(bytes) {
                Err(e) => {
                    let reason = format!("not an event envelope: {e}");
                    plan.dead_letter(&entry, None, reason, entry.delivered);
                }
                Ok(envelope) if !self.wants(&envelope.event_type) => {
                    tracing::debug!(event_type = %envelope.event_type, event_id = %envelope.event_id, "skipping event of an unhandled type");
                    plan.acks.push((entry.stream, entry.entry.id, "skipped"));
                }
                Ok(envelope) => {
                    indexes.push(entry.stream);
                    deliveries.push(Delivery {
                        envelope,
                        stream: self.streams[entry.stream].key.clone(),
                        id: entry.entry.id.clone(),
                        attempt: entry.delivered,
                        entry: entry.entry,
                    });
                }
            }
        }
        if !deliveries.is_empty() {
            self.handle(&mut plan, deliveries, indexes).await;
        }
        if !self.holds() {
            tracing::warn!(
                group = %self.config.group,
                partition = ?self.keys.narrowed(),
                entries = plan.acks.len() + plan.dead.len(),
                "partition lease lost while handling a batch: not acknowledged, the new owner handles it again"
            );
            return Ok(());
        }
        self.apply(conn, plan).await
    }

    fn wants(&self, event_type: &str) -> bool {
        self.config.event_types.iter().any(|t| t == event_type) && self.handler.handles(event_type)
    }

    /// Calls the handler and records its verdicts in `plan`.
    async fn handle(&mut self, plan: &mut Plan, deliveries: Vec<Delivery>, indexes: Vec<usize>) {
        let span =
            tracing::info_span!("batch", group = %self.config.group, size = deliveries.len());
        let started = Instant::now();
        // A panicking handler must not take the consumer down: its batch is retried
        // like a transient failure (and dead-lettered if it keeps panicking).
        let results = AssertUnwindSafe(self.handler.handle_batch(&deliveries))
            .catch_unwind()
            .instrument(span)
            .await;
        metrics::histogram!("event_batch_handle_seconds", "group" => self.config.group.clone())
            .record(started.elapsed().as_secs_f64());
        let (results, missing) = match results {
            Ok(results) => (results, "handler returned no result for this event"),
            Err(_) => {
                tracing::error!(group = %self.config.group, "handler panicked; the batch will be retried");
                (Vec::new(), "handler panicked")
            }
        };
        let mut results = results.into_iter();
        for (delivery, stream) in deliveries.into_iter().zip(indexes) {
            let result = results
                .next()
                .unwrap_or_else(|| Err(HandlerError::Transient(anyhow::anyhow!(missing))));
            let envelope = &delivery.envelope;
            match result {
                Ok(()) => {
                    self.last_errors.remove(&(stream, delivery.id.clone()));
                    plan.acks.push((stream, delivery.id, "ok"));
                }
                Err(HandlerError::Transient(e)) => {
                    tracing::warn!(
                        group = %self.config.group,
                        event_id = %envelope.event_id,
                        event_type = %envelope.event_type,
                        attempt = delivery.attempt,
                        error = format!("{e:#}"),
                        "handler failed; the event will be retried"
                    );
                    count(
                        &self.config.group,
                        &self.streams[stream].event_type,
                        "transient",
                        1,
                    );
                    if self.last_errors.len() >= MAX_REMEMBERED_ERRORS {
                        self.last_errors.clear();
                    }
                    self.last_errors
                        .insert((stream, delivery.id), format!("{e:#}"));
                }
                Err(HandlerError::Permanent(e)) => {
                    plan.dead.push(DeadLetter {
                        stream,
                        id: delivery.id.clone(),
                        event_id: Some(envelope.event_id),
                        payload: delivery.entry.get(FIELD_EVENT),
                        reason: format!("{e:#}"),
                        attempts: delivery.attempt,
                    });
                }
            }
        }
    }

    /// One atomic round trip: the dead letters are added, then every settled entry is
    /// acknowledged, so a dead letter is never lost nor its entry left cycling.
    async fn apply(&mut self, conn: &mut RedisConn, plan: Plan) -> Result<(), redis::RedisError> {
        if plan.acks.is_empty() && plan.dead.is_empty() {
            return Ok(());
        }
        let group = &self.config.group;
        let mut pipe = redis::pipe();
        pipe.atomic();
        let dead_letter_key = self.keys.dead_letter(group);
        for d in &plan.dead {
            let mut cmd = redis::cmd("XADD");
            cmd.arg(&dead_letter_key)
                .arg("MAXLEN")
                .arg("~")
                .arg(self.config.dead_letter_max_len)
                .arg("*")
                .arg("stream")
                .arg(&self.streams[d.stream].key)
                .arg("id")
                .arg(&d.id);
            if let Some(payload) = &d.payload {
                cmd.arg(FIELD_EVENT).arg(payload);
            }
            cmd.arg("error")
                .arg(&d.reason)
                .arg("attempts")
                .arg(d.attempts)
                .arg("group")
                .arg(group);
            pipe.add_command(cmd).ignore();
        }
        let mut per_stream: Vec<Vec<&str>> = vec![Vec::new(); self.streams.len()];
        for (stream, id, _) in &plan.acks {
            per_stream[*stream].push(id);
        }
        for d in &plan.dead {
            per_stream[d.stream].push(&d.id);
        }
        for (stream, ids) in self.streams.iter().zip(&per_stream) {
            if !ids.is_empty() {
                pipe.cmd("XACK")
                    .arg(&stream.key)
                    .arg(group)
                    .arg(ids)
                    .ignore();
            }
        }
        pipe.query_async::<()>(conn).await?;

        // Reported only once Redis has taken it.
        let mut counts: HashMap<(usize, &'static str), u64> = HashMap::new();
        for (stream, _, outcome) in &plan.acks {
            *counts.entry((*stream, outcome)).or_default() += 1;
        }
        for d in &plan.dead {
            let stream = &self.streams[d.stream];
            tracing::error!(
                group = %group,
                stream = %stream.key,
                entry_id = %d.id,
                event_id = d.event_id.map(|id| id.to_string()),
                attempts = d.attempts,
                reason = %d.reason,
                "event dead-lettered"
            );
            *counts.entry((d.stream, "dead_lettered")).or_default() += 1;
        }
        for ((stream, outcome), n) in counts {
            count(group, &self.streams[stream].event_type, outcome, n);
        }
        for d in plan.dead {
            self.last_errors.remove(&(d.stream, d.id));
        }
        Ok(())
    }
}

/// `events_consumed_total{group, event_type, outcome}`; `event_type` is the stream's,
/// so garbage in an entry cannot blow up the label set.
pub(super) fn count(group: &str, event_type: &str, outcome: &'static str, n: u64) {
    metrics::counter!(
        "events_consumed_total",
        "group" => group.to_owned(),
        "event_type" => event_type.to_owned(),
        "outcome" => outcome
    )
    .increment(n);
}

/// A field of an entry as the bytes Redis sent, borrowed: `StreamId::get` clones the
/// value first, a copy of every envelope every consumer reads.
fn field_bytes<'a>(entry: &'a StreamId, name: &str) -> Option<&'a [u8]> {
    match entry.map.get(name)? {
        redis::Value::BulkString(b) => Some(b),
        redis::Value::SimpleString(s) => Some(s.as_bytes()),
        _ => None,
    }
}
