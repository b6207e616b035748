//! The request audit: every state-changing request (POST, PUT, PATCH, DELETE) a service
//! answers becomes an `audit.request.recorded` event (who, what, when, from where,
//! outcome), which analytics records in its tamper-evident log (ADR 0013).
//!
//! The request never waits on Redis and never fails because of the audit: the
//! middleware hands the event to a bounded queue and a background publisher sends the
//! queue in pipelined batches. When the queue is full (Redis down for a while) the
//! event is dropped, counted in `audit_requests_dropped_total{reason}` and logged. The
//! publisher is a task of the service ([`crate::service::Tasks`]): it stops once the
//! server has answered its last request and the queue is empty, so what was queued is
//! flushed at shutdown.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;
use shared_schemas::events::{RequestActor, RequestOutcome, RequestRecorded};
use shared_schemas::ids::check_vehicle_id;
use shared_schemas::{Event, EventEnvelope};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::CorrelationId;
use crate::auth::CallerSlot;
use crate::bus::Publisher;

/// Events waiting for Redis, at most; beyond, requests are dropped from the audit.
pub const QUEUE_CAPACITY: usize = 10_000;
/// Events sent in one pipeline.
const BATCH: usize = 256;
/// Longest path kept in an event.
const MAX_PATH_CHARS: usize = 512;
/// Attempts to publish a batch once the server has stopped (Redis may be gone for
/// good); while it serves, a batch is retried until Redis answers.
const ATTEMPTS_AT_SHUTDOWN: u32 = 3;

/// The middleware's handle on the queue; cloned into every route.
#[derive(Debug, Clone)]
pub struct RequestAudit {
    service: &'static str,
    queue: mpsc::Sender<EventEnvelope<RequestRecorded>>,
    dropped: Arc<AtomicU64>,
    /// Routes whose successful requests are recorded by events of their own.
    recorded_elsewhere: Arc<[&'static str]>,
}

/// Sends the queued events to their stream; run it as a task of the service.
#[derive(Debug)]
pub struct AuditPublisher {
    queue: mpsc::Receiver<EventEnvelope<RequestRecorded>>,
    publisher: Publisher,
    dropped: Arc<AtomicU64>,
}

impl RequestAudit {
    /// The middleware's handle for `service` and the publisher task that drains it.
    pub fn new(service: &'static str, publisher: Publisher) -> (Self, AuditPublisher) {
        Self::with_capacity(service, publisher, QUEUE_CAPACITY)
    }

    /// Same as [`RequestAudit::new`] with a queue of `capacity` events.
    pub fn with_capacity(
        service: &'static str,
        publisher: Publisher,
        capacity: usize,
    ) -> (Self, AuditPublisher) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        let audit = Self {
            service,
            queue: tx,
            dropped: dropped.clone(),
            recorded_elsewhere: Arc::new([]),
        };
        let publisher = AuditPublisher {
            queue: rx,
            publisher,
            dropped,
        };
        (audit, publisher)
    }

    /// Successful requests to `routes` (templates, e.g. `/v1/telemetry`) are not
    /// recorded: each already becomes an event of its own that the audit records (an
    /// accepted reading is a `vehicle.telemetry.received`). Refused ones still are.
    #[must_use]
    pub fn recorded_elsewhere(mut self, routes: &[&'static str]) -> Self {
        self.recorded_elsewhere = routes.into();
        self
    }

    /// Queues `event` without waiting; a full or closed queue drops it (counted, and
    /// logged at the first drop and every 1,000th).
    fn offer(&self, event: EventEnvelope<RequestRecorded>) {
        let reason = match self.queue.try_send(event) {
            Ok(()) => return,
            Err(mpsc::error::TrySendError::Full(_)) => "queue_full",
            Err(mpsc::error::TrySendError::Closed(_)) => "closed",
        };
        count_dropped(&self.dropped, reason, 1);
    }
}

fn count_dropped(dropped: &AtomicU64, reason: &'static str, n: u64) {
    metrics::counter!("audit_requests_dropped_total", "reason" => reason).increment(n);
    let before = dropped.fetch_add(n, Ordering::Relaxed);
    if before == 0 || before / 1_000 != (before + n) / 1_000 {
        tracing::error!(
            reason,
            dropped_so_far = before + n,
            "request audit events dropped"
        );
    }
}

/// Middleware: records state-changing requests. Put it inside
/// [`super::observe`] (which assigns the correlation id) and outside the routes.
pub async fn record(State(audit): State<RequestAudit>, mut req: Request, next: Next) -> Response {
    if !audited(req.method()) {
        return next.run(req).await;
    }
    let received_at = Utc::now();
    let started = Instant::now();
    let slot = CallerSlot::default();
    req.extensions_mut().insert(slot.clone());
    let seen = Seen::of(&req);
    let response = next.run(req).await;
    let status = response.status().as_u16();
    if response.status().is_success() && audit.recorded_elsewhere.contains(&seen.route.as_str()) {
        return response;
    }
    let payload = RequestRecorded {
        service: audit.service.to_owned(),
        method: seen.method,
        vehicle_id: vehicle_in_path(&seen.route, &seen.path),
        route: seen.route,
        path: truncate(&seen.path, MAX_PATH_CHARS),
        status,
        outcome: RequestOutcome::of_status(status),
        actor: slot.get().map(|c| RequestActor {
            sub: c.sub.clone(),
            role: role_name(c.role),
            org: c.org.clone(),
        }),
        remote_addr: seen.remote,
        peer_addr: seen.peer.map(|p| p.to_string()),
        request_id: seen.request_id,
        received_at,
        duration_ms: started.elapsed().as_secs_f64() * 1_000.0,
    };
    let event = EventEnvelope::new(audit.service, seen.request_id, payload).at(received_at);
    audit.offer(event);
    response
}

/// Whether requests of `method` change state (and are audited).
pub fn audited(method: &Method) -> bool {
    [Method::POST, Method::PUT, Method::PATCH, Method::DELETE].contains(method)
}

/// What the middleware reads of a request before handing it on.
struct Seen {
    method: String,
    route: String,
    path: String,
    remote: Option<String>,
    peer: Option<SocketAddr>,
    request_id: Uuid,
}

impl Seen {
    fn of(req: &Request) -> Self {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        Self {
            method: req.method().as_str().to_owned(),
            route: req
                .extensions()
                .get::<MatchedPath>()
                .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned()),
            path: req.uri().path().to_owned(),
            remote: forwarded_for(req.headers())
                .or(peer.map(|p| p.ip()))
                .map(|ip| ip.to_string()),
            peer,
            request_id: req
                .extensions()
                .get::<CorrelationId>()
                .map_or_else(Uuid::now_v7, |c| c.0),
        }
    }
}

/// The first hop of `X-Forwarded-For`, when it is an IP address (with or without a
/// port); anything else is ignored rather than recorded.
fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let value = headers.get("x-forwarded-for")?.to_str().ok()?;
    let first = value.split(',').next()?.trim();
    first
        .parse::<IpAddr>()
        .ok()
        .or_else(|| first.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// The vehicle a path names: the segment matched by a `{…}` parameter right after a
/// `vehicles` segment of the route template, when it is a valid vehicle id.
pub fn vehicle_in_path(route: &str, path: &str) -> String {
    let template: Vec<&str> = route.split('/').collect();
    let actual: Vec<&str> = path.split('/').collect();
    if template.len() != actual.len() {
        return String::new();
    }
    template
        .windows(2)
        .position(|w| w[0] == "vehicles" && w[1].starts_with('{'))
        .and_then(|i| {
            percent_encoding::percent_decode_str(actual[i + 1])
                .decode_utf8()
                .ok()
        })
        .filter(|v| check_vehicle_id(v).is_ok())
        .map(|v| v.into_owned())
        .unwrap_or_default()
}

fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => s[..i].to_owned(),
        None => s.to_owned(),
    }
}

fn role_name(role: crate::auth::Role) -> String {
    match serde_json::to_value(role) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{role:?}"),
    }
}

impl AuditPublisher {
    /// Publishes queued events until every [`RequestAudit`] handle is gone (the server
    /// stopped) and the queue is empty. A batch Redis refuses is retried with backoff
    /// while the server runs (requests meanwhile queue, then drop); after it stopped, a
    /// batch gets a few attempts and what cannot be sent is counted as dropped.
    pub async fn run(mut self) {
        let mut batch = Vec::with_capacity(BATCH);
        let mut redis_gone = false;
        while self.queue.recv_many(&mut batch, BATCH).await > 0 {
            if redis_gone {
                count_dropped(&self.dropped, "redis_unavailable", batch.len() as u64);
            } else {
                redis_gone = !self.send(&batch).await;
            }
            batch.clear();
        }
    }

    /// Sends one batch; `false` when it was given up (after the server stopped).
    async fn send(&self, batch: &[EventEnvelope<RequestRecorded>]) -> bool {
        let raw: Vec<(String, String)> = batch
            .iter()
            .filter_map(|e| match serde_json::to_string(e) {
                Ok(json) => Some((RequestRecorded::TYPE.to_owned(), json)),
                Err(error) => {
                    tracing::error!(%error, "request audit event does not serialize");
                    None
                }
            })
            .collect();
        let mut delay = Duration::from_millis(100);
        let mut failures_after_close = 0;
        loop {
            match self.publisher.publish_raw(&raw).await {
                Ok(()) => {
                    metrics::counter!("audit_requests_published_total").increment(raw.len() as u64);
                    return true;
                }
                Err(error) => {
                    tracing::warn!(%error, events = raw.len(), "publishing request audit events failed; retrying");
                    if self.queue.is_closed() {
                        failures_after_close += 1;
                        if failures_after_close >= ATTEMPTS_AT_SHUTDOWN {
                            count_dropped(&self.dropped, "redis_unavailable", raw.len() as u64);
                            return false;
                        }
                    }
                }
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vehicle_of_a_path() {
        for (route, path, vehicle) in [
            ("/v1/vehicles/{id}", "/v1/vehicles/truck-042", "truck-042"),
            (
                "/v1/vehicles/{id}/transfers",
                "/v1/vehicles/VH%2D1/transfers",
                "VH-1",
            ),
            ("/v1/vehicles/{id}", "/v1/vehicles/a%20b", ""),
            ("/v1/vehicles", "/v1/vehicles", ""),
            (
                "/v1/alerts/{id}/acknowledge",
                "/v1/alerts/x/acknowledge",
                "",
            ),
            ("unmatched", "/v1/vehicles/x", ""),
        ] {
            assert_eq!(vehicle_in_path(route, path), vehicle, "{path}");
        }
    }

    #[test]
    fn the_first_forwarded_hop_when_it_is_an_address() {
        let mut headers = HeaderMap::new();
        assert_eq!(forwarded_for(&headers), None);
        headers.insert("x-forwarded-for", "203.0.113.7, 10.0.0.1".parse().unwrap());
        assert_eq!(forwarded_for(&headers), "203.0.113.7".parse().ok());
        headers.insert("x-forwarded-for", "[2001:db8::1]:443".parse().unwrap());
        assert_eq!(forwarded_for(&headers), "2001:db8::1".parse().ok());
        headers.insert("x-forwarded-for", "<script>".parse().unwrap());
        assert_eq!(forwarded_for(&headers), None);
    }

    #[test]
    fn long_paths_are_cut_on_a_character() {
        assert_eq!(truncate("ééé", 2), "éé");
        assert_eq!(truncate("abc", 5), "abc");
    }

    #[test]
    fn only_state_changing_methods_are_audited() {
        assert!(audited(&Method::POST) && audited(&Method::DELETE));
        assert!(!audited(&Method::GET) && !audited(&Method::HEAD));
    }
}
