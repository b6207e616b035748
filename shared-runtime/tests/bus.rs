//! The event bus against the real Redis and Postgres: consumer groups (reclaim after a
//! crash, dead letters, unknown types, order, shutdown, reconnection), the idempotent
//! inbox and the transactional outbox. Each test has its own key prefix and database,
//! so they run in parallel.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::AsyncTypedCommands;
use redis::streams::StreamId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared_runtime::bus::{self, FIELD_EVENT, Keys, Publisher};
use shared_runtime::consumer::{self, Consumer, ConsumerConfig, GroupLag, Handler, HandlerError};
use shared_runtime::outbox::{self, Relay};
use shared_runtime::redis_conn::{RedisConn, RedisTarget};
use shared_runtime::{db, inbox, testing};
use shared_schemas::{Event, EventEnvelope, RawEnvelope};
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

#[path = "bus/partitions.rs"]
mod partitions;

// ---------------------------------------------------------------- fixtures

/// The test event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
struct Ping {
    vehicle_id: String,
    n: u32,
}

impl Event for Ping {
    const TYPE: &'static str = "test.ping";
    const VERSION: u32 = 1;
    fn vehicle_id(&self) -> &str {
        &self.vehicle_id
    }
}

fn ping(vehicle: &str, n: u32) -> EventEnvelope<Ping> {
    EventEnvelope::new(
        "bus-test",
        Uuid::now_v7(),
        Ping {
            vehicle_id: vehicle.to_owned(),
            n,
        },
    )
}

const WAIT: Duration = Duration::from_secs(10);

/// Redis handles under a prefix of the test's own.
struct Bus {
    keys: Keys,
    target: RedisTarget,
    conn: RedisConn,
    publisher: Publisher,
}

impl Bus {
    async fn new(label: &str) -> Self {
        Self::with_keys(
            Keys::new(testing::unique_prefix(label)),
            &testing::redis_url(),
        )
        .await
    }

    /// A bus whose streams have `partitions` partitions (ADR 0026).
    async fn partitioned(label: &str, partitions: u32) -> Self {
        let keys = Keys::partitioned(testing::unique_prefix(label), partitions, false);
        Self::with_keys(keys, &testing::redis_url()).await
    }

    /// A partitioned bus on the local Redis Cluster.
    async fn on_cluster(label: &str, partitions: u32) -> Self {
        let keys = Keys::partitioned(testing::unique_prefix(label), partitions, true);
        Self::with_keys(keys, &testing::redis_cluster_url()).await
    }

    async fn with_keys(keys: Keys, url: &str) -> Self {
        let conn = bus::connect(url).await.expect("redis is up");
        Self {
            target: RedisTarget::open(url, false).expect("redis url"),
            publisher: Publisher::new(conn.clone(), keys.clone(), 10_000),
            keys,
            conn,
        }
    }

    fn stream(&self) -> String {
        self.keys.stream(Ping::TYPE)
    }

    fn consumer(&self, config: ConsumerConfig, handler: Arc<dyn Handler>) -> Consumer {
        Consumer::new(self.target.clone(), self.keys.clone(), config, handler)
    }

    async fn publish(&self, envelope: &EventEnvelope<Ping>) -> String {
        self.publisher.publish(envelope).await.expect("publish")
    }

    async fn xadd_raw(&self, fields: &[(&str, &str)]) -> String {
        let mut cmd = redis::cmd("XADD");
        cmd.arg(self.stream()).arg("*");
        for (k, v) in fields {
            cmd.arg(*k).arg(*v);
        }
        cmd.query_async(&mut self.conn.clone()).await.expect("xadd")
    }

    /// Creates `group` on the test stream (and the stream): it has read nothing yet.
    async fn create_group(&self, group: &str) {
        testing::create_group(&mut self.conn.clone(), &self.stream(), group).await;
    }

    /// Reads up to `count` new entries of the test stream as consumer `c` of `group`
    /// (without acknowledging them).
    async fn read_group(&self, group: &str, count: usize) {
        let _: redis::Value = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(group)
            .arg("c")
            .arg("COUNT")
            .arg(count)
            .arg("STREAMS")
            .arg(self.stream())
            .arg(">")
            .query_async(&mut self.conn.clone())
            .await
            .expect("XREADGROUP");
    }

    async fn pending(&self, group: &str) -> usize {
        self.conn
            .clone()
            .xpending(self.stream(), group)
            .await
            .expect("xpending")
            .count()
    }

    async fn len(&self, key: &str) -> usize {
        self.conn.clone().xlen(key).await.expect("xlen")
    }

    async fn entries(&self, key: &str) -> Vec<StreamId> {
        self.conn.clone().xrange_all(key).await.expect("xrange").ids
    }

    /// Event ids of the entries of the test stream, in stream order.
    async fn published_ids(&self) -> Vec<Uuid> {
        self.ids_in(&self.stream()).await
    }

    /// Event ids of the entries of the stream `key`, in stream order.
    async fn ids_in(&self, key: &str) -> Vec<Uuid> {
        self.entries(key)
            .await
            .iter()
            .map(|e| {
                let json: String = e.get(FIELD_EVENT).expect("entry has an envelope");
                serde_json::from_str::<RawEnvelope>(&json)
                    .expect("envelope")
                    .event_id
            })
            .collect()
    }

    /// Deletes the test's keys (left behind when a test fails, for inspection).
    async fn cleanup(&self) {
        let mut conn = self.conn.clone();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.keys.prefix()))
            .query_async(&mut conn)
            .await
            .expect("keys");
        if !keys.is_empty() {
            conn.del(keys).await.expect("del");
        }
    }
}

/// Settings that make reclaiming and retrying fast.
fn fast(group: &str) -> ConsumerConfig {
    ConsumerConfig::new(group, [Ping::TYPE])
        .block(Duration::from_millis(100))
        .min_idle(Duration::from_millis(200))
        .reclaim_every(Duration::from_millis(100))
        .max_attempts(3)
}

fn spawn(consumer: Consumer) -> (CancellationToken, JoinHandle<anyhow::Result<()>>) {
    let token = CancellationToken::new();
    let task = tokio::spawn(consumer.run(token.clone()));
    (token, task)
}

async fn stop(token: CancellationToken, task: JoinHandle<anyhow::Result<()>>) {
    token.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("stops within 5 s")
        .expect("task did not panic")
        .expect("run returns Ok");
}

/// Polls `check` until it holds; fails the test after `timeout`.
async fn wait_until<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Records every call, in order.
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<(Uuid, Ping)>>,
}

impl Recorder {
    fn ids(&self) -> Vec<Uuid> {
        self.calls
            .lock()
            .expect("lock")
            .iter()
            .map(|(id, _)| *id)
            .collect()
    }
}

#[async_trait::async_trait]
impl Handler for Recorder {
    async fn handle(&self, event: &RawEnvelope) -> Result<(), HandlerError> {
        let event = event.decode::<Ping>().map_err(HandlerError::permanent)?;
        self.calls
            .lock()
            .expect("lock")
            .push((event.event_id, event.payload));
        Ok(())
    }
}

async fn database(label: &str) -> PgPool {
    let url = testing::fresh_database(label).await;
    let pool = db::connect(&url, 5).await.expect("connect");
    let none = sqlx::migrate::Migrator::with_migrations(Vec::new());
    db::migrate(&pool, &none).await.expect("migrate");
    pool
}

// ---------------------------------------------------------------- consumer groups

/// Hangs forever on its first event: a consumer that died mid-batch.
#[derive(Default)]
struct Hang {
    started: Notify,
}

#[async_trait::async_trait]
impl Handler for Hang {
    async fn handle(&self, _: &RawEnvelope) -> Result<(), HandlerError> {
        self.started.notify_one();
        std::future::pending().await
    }
}

#[tokio::test]
async fn consumer_killed_mid_batch_loses_nothing() {
    let bus = Bus::new("killed").await;
    let mut published = Vec::new();
    for n in 0..20 {
        let e = ping(&format!("v{}", n % 4), n);
        bus.publish(&e).await;
        published.push(e.event_id);
    }

    // A reads the whole batch, then dies in its handler before acknowledging anything.
    let hang = Arc::new(Hang::default());
    let (_a_token, a_task) = spawn(bus.consumer(fast("g").consumer("a"), hang.clone()));
    tokio::time::timeout(WAIT, hang.started.notified())
        .await
        .expect("A handles its first event");
    a_task.abort();
    assert!(a_task.await.expect_err("A was aborted").is_cancelled());
    let summary = bus
        .conn
        .clone()
        .xpending(bus.stream(), "g")
        .await
        .expect("xpending");
    let redis::streams::StreamPendingReply::Data(summary) = summary else {
        panic!("A's batch should be pending");
    };
    assert_eq!(summary.count, 20, "A read all 20 and acknowledged none");
    let owners: Vec<(String, usize)> = summary
        .consumers
        .iter()
        .map(|c| (c.name.clone(), c.pending))
        .collect();
    assert_eq!(owners, [("a".to_owned(), 20)]);

    // B, in the same group, reclaims A's entries once idle and applies them, in order.
    let recorder = Arc::new(Recorder::default());
    let (token, task) = spawn(bus.consumer(fast("g").consumer("b"), recorder.clone()));
    wait_until("B to apply the 20 events", WAIT, || async {
        recorder.ids().len() >= 20
    })
    .await;
    wait_until("nothing pending", WAIT, || async {
        bus.pending("g").await == 0
    })
    .await;
    stop(token, task).await;
    assert_eq!(
        recorder.ids(),
        published,
        "each event once, in stream order"
    );
    assert_eq!(bus.pending("g").await, 0);
    bus.cleanup().await;
}

/// Fails transiently on `n == 13`, permanently on `n == 99`, counts calls.
#[derive(Default)]
struct Picky {
    calls: Mutex<HashMap<u32, u32>>,
}

#[async_trait::async_trait]
impl Handler for Picky {
    async fn handle(&self, event: &RawEnvelope) -> Result<(), HandlerError> {
        let n = event
            .decode::<Ping>()
            .map_err(HandlerError::permanent)?
            .payload
            .n;
        *self.calls.lock().expect("lock").entry(n).or_default() += 1;
        match n {
            13 => Err(HandlerError::transient(anyhow::anyhow!(
                "database is sulking"
            ))),
            99 => Err(HandlerError::permanent(anyhow::anyhow!(
                "violates an invariant"
            ))),
            _ => Ok(()),
        }
    }
}

#[tokio::test]
async fn poison_entries_go_to_the_dead_letter_stream() {
    let bus = Bus::new("poison").await;
    let garbage = bus.xadd_raw(&[(FIELD_EVENT, "not json")]).await;
    let fieldless = bus.xadd_raw(&[("x", "y")]).await;
    bus.publish(&ping("v1", 1)).await;
    let flaky = ping("v2", 13);
    let flaky_id = bus.publish(&flaky).await;
    let invalid = ping("v3", 99);
    let invalid_id = bus.publish(&invalid).await;
    bus.publish(&ping("v4", 2)).await;

    let handler = Arc::new(Picky::default());
    let (token, task) = spawn(bus.consumer(fast("g"), handler.clone()));
    let dead_letters = bus.keys.dead_letter("g");
    wait_until("four dead letters", WAIT, || async {
        bus.len(&dead_letters).await >= 4
    })
    .await;
    wait_until("nothing pending", WAIT, || async {
        bus.pending("g").await == 0
    })
    .await;
    stop(token, task).await;

    let dead: HashMap<String, StreamId> = bus
        .entries(&dead_letters)
        .await
        .into_iter()
        .map(|e| (e.get::<String>("id").expect("id field"), e))
        .collect();
    assert_eq!(dead.len(), 4);
    let field = |id: &str, name: &str| dead[id].get::<String>(name);
    for id in [&garbage, &fieldless, &flaky_id, &invalid_id] {
        assert_eq!(field(id, "stream"), Some(bus.stream()));
        assert_eq!(field(id, "group").as_deref(), Some("g"));
    }
    // Not an envelope: dead at once, payload kept for inspection.
    assert_eq!(field(&garbage, FIELD_EVENT).as_deref(), Some("not json"));
    assert_eq!(field(&garbage, "attempts").as_deref(), Some("1"));
    assert!(
        field(&garbage, "error")
            .expect("error")
            .contains("not an event envelope")
    );
    assert_eq!(field(&fieldless, FIELD_EVENT), None);
    assert_eq!(field(&fieldless, "attempts").as_deref(), Some("1"));
    // Permanent failure: dead at once.
    assert_eq!(field(&invalid_id, "attempts").as_deref(), Some("1"));
    assert!(
        field(&invalid_id, "error")
            .expect("error")
            .contains("violates an invariant")
    );
    // Transient every time: dead after max_attempts, with the last error.
    assert_eq!(field(&flaky_id, "attempts").as_deref(), Some("3"));
    let error = field(&flaky_id, "error").expect("error");
    assert!(error.contains("gave up after 3 attempts"), "{error}");
    assert!(error.contains("database is sulking"), "{error}");
    let payload: EventEnvelope<Ping> =
        serde_json::from_str(&field(&flaky_id, FIELD_EVENT).expect("payload")).expect("envelope");
    assert_eq!(payload, flaky);

    let calls = handler.calls.lock().expect("lock").clone();
    assert_eq!(calls, HashMap::from([(1, 1), (2, 1), (13, 3), (99, 1)]));
    assert_eq!(bus.pending("g").await, 0, "no poison keeps cycling");
    bus.cleanup().await;
}

/// Handles pings only, though its consumer also reads another stream.
#[derive(Default)]
struct PingsOnly(Recorder);

#[async_trait::async_trait]
impl Handler for PingsOnly {
    async fn handle(&self, event: &RawEnvelope) -> Result<(), HandlerError> {
        self.0.handle(event).await
    }
    fn handles(&self, event_type: &str) -> bool {
        event_type == Ping::TYPE
    }
}

const PONG: &str = "test.pong";

#[tokio::test]
async fn unknown_event_types_and_fields_are_tolerated() {
    let bus = Bus::new("unknown").await;
    let envelope_of = |event_type: &str| {
        serde_json::json!({
            "event_id": Uuid::now_v7(),
            "event_type": event_type,
            "schema_version": 1,
            "occurred_at": "2030-01-01T00:00:00Z",
            "producer": "future",
            "correlation_id": Uuid::now_v7(),
            "vehicle_id": "v1",
            "payload": {"anything": true},
        })
        .to_string()
    };
    // A type the group does not read, found in a stream it reads.
    let stray = envelope_of("test.from-the-future");
    // A type the group reads but the handler declines.
    let declined = envelope_of(PONG);
    let extended = ping("v1", 7);
    let mut extended_json = serde_json::to_value(&extended).expect("json");
    extended_json["added_to_the_envelope"] = serde_json::json!("later");
    extended_json["payload"]["colour"] = serde_json::json!("red");
    let plain = ping("v1", 8);
    bus.publisher
        .publish_raw(&[
            (Ping::TYPE.to_owned(), stray),
            (Ping::TYPE.to_owned(), extended_json.to_string()),
            (PONG.to_owned(), declined),
        ])
        .await
        .expect("publish");
    bus.publish(&plain).await;

    let lag_of = || async {
        let mut conn = bus.conn.clone();
        consumer::lag(&mut conn, &bus.keys, "g", &[Ping::TYPE, PONG])
            .await
            .expect("lag")
    };
    let before = lag_of().await;
    assert_eq!((before.pending, before.lag), (0, Some(4)), "no group yet");

    let handler = Arc::new(PingsOnly::default());
    let config = ConsumerConfig {
        event_types: vec![Ping::TYPE.to_owned(), PONG.to_owned()],
        ..fast("g")
    };
    let (token, task) = spawn(bus.consumer(config, handler.clone()));
    wait_until("the group to catch up", WAIT, || async {
        let lag = lag_of().await;
        lag.pending == 0 && lag.lag == Some(0)
    })
    .await;
    stop(token, task).await;

    let calls = handler.0.calls.lock().expect("lock").clone();
    assert_eq!(
        calls,
        [
            (extended.event_id, extended.payload),
            (plain.event_id, plain.payload)
        ]
    );
    assert_eq!(
        bus.len(&bus.keys.dead_letter("g")).await,
        0,
        "skipped, not dead"
    );
    let after: GroupLag = lag_of().await;
    let per_stream: Vec<(&str, u64, Option<u64>)> = after
        .streams
        .iter()
        .map(|s| (s.event_type.as_str(), s.pending, s.lag))
        .collect();
    let caught_up = (0, Some(0));
    assert_eq!(
        per_stream,
        [Ping::TYPE, PONG, Ping::TYPE, PONG].map(|t| (t, caught_up.0, caught_up.1)),
        "both lanes of both types"
    );
    bus.cleanup().await;
}

/// Records `(vehicle, n)` after a short, uneven pause, tracking concurrency.
#[derive(Default)]
struct Slow {
    seen: Mutex<Vec<(String, u32)>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

#[async_trait::async_trait]
impl Handler for Slow {
    async fn handle(&self, event: &RawEnvelope) -> Result<(), HandlerError> {
        let p = event
            .decode::<Ping>()
            .map_err(HandlerError::permanent)?
            .payload;
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        // Uneven pauses, so lanes finish out of step.
        tokio::time::sleep(Duration::from_millis(u64::from(p.n * 7 % 5))).await;
        self.seen.lock().expect("lock").push((p.vehicle_id, p.n));
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn concurrent_handling_keeps_each_vehicles_order() {
    let bus = Bus::new("order").await;
    for n in 0..10 {
        for v in ["v0", "v1", "v2", "v3"] {
            bus.publish(&ping(v, n)).await;
        }
    }
    let handler = Arc::new(Slow::default());
    let (token, task) = spawn(bus.consumer(fast("g").concurrency(4), handler.clone()));
    wait_until("40 events", WAIT, || async {
        handler.seen.lock().expect("lock").len() >= 40
    })
    .await;
    wait_until("nothing pending", WAIT, || async {
        bus.pending("g").await == 0
    })
    .await;
    stop(token, task).await;

    let seen = handler.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 40);
    for v in ["v0", "v1", "v2", "v3"] {
        let order: Vec<u32> = seen
            .iter()
            .filter(|(x, _)| x == v)
            .map(|(_, n)| *n)
            .collect();
        assert_eq!(order, (0..10).collect::<Vec<_>>(), "order of {v}");
    }
    assert!(
        handler.max_in_flight.load(Ordering::SeqCst) > 1,
        "vehicles were handled concurrently"
    );
    bus.cleanup().await;
}

#[tokio::test]
async fn live_events_are_read_before_a_backfill_backlog() {
    let bus = Bus::new("lanes").await;
    let mut pipe = redis::pipe();
    for n in 0..200 {
        let json = serde_json::to_string(&ping("old", n)).expect("serializes");
        pipe.add_command(
            bus.publisher
                .xadd_cmd(&bus.keys.backfill(Ping::TYPE), &json),
        )
        .ignore();
    }
    pipe.query_async::<()>(&mut bus.conn.clone())
        .await
        .expect("backfill");
    let live = ping("live", 0);
    bus.publish(&live).await;
    let before = consumer::lag(&mut bus.conn.clone(), &bus.keys, "g", &[Ping::TYPE])
        .await
        .expect("lag");
    let lanes: Vec<(&str, Option<u64>)> = before
        .streams
        .iter()
        .map(|s| (s.key.as_str(), s.lag))
        .collect();
    let (live_key, backfill_key) = (bus.stream(), bus.keys.backfill(Ping::TYPE));
    assert_eq!(
        lanes,
        [
            (live_key.as_str(), Some(1)),
            (backfill_key.as_str(), Some(200))
        ]
    );
    assert!(before.streams.iter().all(|s| s.backlog_age.is_some()));

    let handler = Arc::new(Recorder::default());
    let (token, task) = spawn(bus.consumer(fast("g").batch_size(10), handler.clone()));
    wait_until("201 events", WAIT, || async { handler.ids().len() >= 201 }).await;
    stop(token, task).await;
    let ids = handler.ids();
    assert_eq!(
        ids.iter().position(|id| *id == live.event_id),
        Some(0),
        "the live event is handled first, not after 200 backfill events"
    );
    assert_eq!(ids.len(), 201, "each once");
    bus.cleanup().await;
}

#[tokio::test]
async fn entries_trimmed_before_a_group_read_them_are_counted() {
    let bus = Bus::new("trimmed").await;
    let mut conn = bus.conn.clone();
    for group in ["slow", "done"] {
        bus.create_group(group).await;
    }
    for n in 0..50 {
        bus.publish(&ping("VH-1", n)).await;
    }
    // "done" reads everything; "slow" the first 5.
    for (group, count) in [("done", 50), ("slow", 5)] {
        bus.read_group(group, count).await;
    }
    let lag_of = |group: &'static str| {
        let (mut conn, key) = (bus.conn.clone(), bus.stream());
        async move {
            consumer::stream_lag(&mut conn, key, Ping::TYPE, group)
                .await
                .expect("lag")
        }
    };
    assert_eq!(
        lag_of("slow").await.trimmed_unread,
        0,
        "nothing trimmed yet"
    );
    let _: u64 = redis::cmd("XTRIM")
        .arg(bus.stream())
        .arg("MAXLEN")
        .arg(20)
        .query_async(&mut conn)
        .await
        .expect("trim");
    let slow = lag_of("slow").await;
    // 45 not read, 20 left in the stream: 25 lost to "slow".
    assert_eq!((slow.lag, slow.trimmed_unread), (Some(45), 25));
    assert_eq!(lag_of("done").await.trimmed_unread, 0, "it had read them");
    bus.cleanup().await;
}

#[tokio::test]
async fn backfill_waits_while_a_group_it_yields_to_lags_on_live_events() {
    let bus = Bus::new("yield").await;
    let backfill = bus.keys.backfill(Ping::TYPE);
    let mut pipe = redis::pipe();
    for n in 0..50 {
        let json = serde_json::to_string(&ping("old", n)).expect("serializes");
        pipe.add_command(bus.publisher.xadd_cmd(&backfill, &json))
            .ignore();
    }
    pipe.query_async::<()>(&mut bus.conn.clone())
        .await
        .expect("backfill");
    for n in 0..30 {
        bus.publish(&ping("live", n)).await;
    }
    // "slow" (say, health) has read none of the 30 live events: a lag of 30 > 10.
    bus.create_group("slow").await;

    let handler = Arc::new(Recorder::default());
    let config = fast("audit")
        .batch_size(20)
        .backfill_yields_to(["slow"])
        .backfill_yield_lag(10);
    let (token, task) = spawn(bus.consumer(config, handler.clone()));
    wait_until("the live events", WAIT, || async {
        handler.ids().len() >= 30
    })
    .await;
    // Several gate samples (every 200 ms) later, still no backfill.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let calls = handler.calls.lock().expect("lock").clone();
    assert_eq!(calls.len(), 30, "no backfill while slow lags: {calls:?}");
    assert!(calls.iter().all(|(_, p)| p.vehicle_id == "live"));

    // slow catches up: backfill flows.
    bus.read_group("slow", 100).await;
    wait_until("the backfill", WAIT, || async { handler.ids().len() >= 80 }).await;
    stop(token, task).await;
    assert_eq!(handler.ids().len(), 80, "each once");
    bus.cleanup().await;
}

/// Takes 30 ms per event and signals the first.
#[derive(Default)]
struct Steady {
    first: Notify,
    done: Mutex<Vec<Uuid>>,
}

#[async_trait::async_trait]
impl Handler for Steady {
    async fn handle(&self, event: &RawEnvelope) -> Result<(), HandlerError> {
        self.first.notify_one();
        tokio::time::sleep(Duration::from_millis(30)).await;
        self.done.lock().expect("lock").push(event.event_id);
        Ok(())
    }
}

#[tokio::test]
async fn shutdown_finishes_and_acknowledges_the_batch_in_hand() {
    let bus = Bus::new("shutdown").await;
    for n in 0..5 {
        bus.publish(&ping("v1", n)).await;
    }
    let handler = Arc::new(Steady::default());
    let (token, task) = spawn(bus.consumer(fast("g").consumer("leaving"), handler.clone()));
    tokio::time::timeout(WAIT, handler.first.notified())
        .await
        .expect("handling starts");
    stop(token, task).await;
    assert_eq!(
        handler.done.lock().expect("lock").len(),
        5,
        "whole batch handled"
    );
    assert_eq!(bus.pending("g").await, 0, "and acknowledged");
    let consumers: Vec<HashMap<String, redis::Value>> = redis::cmd("XINFO")
        .arg("CONSUMERS")
        .arg(bus.stream())
        .arg("g")
        .query_async(&mut bus.conn.clone())
        .await
        .expect("xinfo consumers");
    assert!(
        consumers.is_empty(),
        "a clean stop removes the consumer's name"
    );
    bus.cleanup().await;
}

#[tokio::test]
async fn consumer_recovers_when_its_stream_and_group_vanish() {
    let bus = Bus::new("vanish").await;
    let recorder = Arc::new(Recorder::default());
    let (token, task) = spawn(bus.consumer(fast("g"), recorder.clone()));
    let first = ping("v1", 1);
    bus.publish(&first).await;
    wait_until("the first event", WAIT, || async {
        recorder.ids().len() == 1
    })
    .await;

    // As after a Redis restart without persistence: reads fail with NOGROUP until the
    // consumer reconnects and recreates its group (from the beginning).
    bus.conn.clone().del(bus.stream()).await.expect("del");
    let second = ping("v1", 2);
    bus.publish(&second).await;
    wait_until("the second event", WAIT, || async {
        recorder.ids().len() == 2
    })
    .await;
    stop(token, task).await;
    assert_eq!(recorder.ids(), [first.event_id, second.event_id]);
    bus.cleanup().await;
}

#[tokio::test]
async fn consumer_waits_out_an_unreachable_redis_and_still_stops() {
    let keys = Keys::new(testing::unique_prefix("unreachable"));
    let recorder: Arc<dyn Handler> = Arc::new(Recorder::default());
    let consumer = Consumer::from_url("redis://127.0.0.1:1", keys, fast("g"), recorder)
        .expect("the URL is valid");
    let (token, task) = spawn(consumer);
    tokio::time::sleep(Duration::from_millis(300)).await; // several failed connections
    assert!(!task.is_finished(), "an outage is not fatal");
    stop(token, task).await;
}

#[tokio::test]
async fn invalid_configuration_fails_at_once() {
    let bus = Bus::new("invalid").await;
    let recorder: Arc<dyn Handler> = Arc::new(Recorder::default());
    let none: [&str; 0] = [];
    let consumer = bus.consumer(ConsumerConfig::new("g", none), recorder);
    let result = tokio::time::timeout(WAIT, consumer.run(CancellationToken::new()))
        .await
        .expect("returns at once");
    assert!(result.is_err(), "a consumer reading no stream is a bug");

    let recorder: Arc<dyn Handler> = Arc::new(Recorder::default());
    let selfish = ConsumerConfig::new("g", [Ping::TYPE]).backfill_yields_to(["g"]);
    let result = tokio::time::timeout(
        WAIT,
        bus.consumer(selfish, recorder)
            .run(CancellationToken::new()),
    )
    .await
    .expect("returns at once");
    assert!(
        result.is_err(),
        "a group yielding to itself would never read backfill"
    );
}

// ---------------------------------------------------------------- inbox

#[tokio::test]
async fn inbox_mark_commits_and_rolls_back_with_the_effect() {
    let pool = database("inbox").await;
    let id = Uuid::now_v7();

    let mut tx = pool.begin().await.expect("begin");
    assert!(inbox::first_delivery(&mut tx, "g", id).await.expect("mark"));
    tx.rollback().await.expect("rollback");

    let mut tx = pool.begin().await.expect("begin");
    assert!(
        inbox::first_delivery(&mut tx, "g", id).await.expect("mark"),
        "rolled back: still new"
    );
    tx.commit().await.expect("commit");

    let mut conn = pool.acquire().await.expect("conn");
    assert!(
        !inbox::first_delivery(&mut conn, "g", id)
            .await
            .expect("mark"),
        "applied"
    );
    assert!(
        inbox::first_delivery(&mut conn, "other", id)
            .await
            .expect("mark"),
        "per group"
    );

    assert_eq!(
        inbox::prune(&pool, chrono::Duration::hours(1))
            .await
            .expect("prune"),
        0
    );
    // A cutoff in the future takes every mark.
    assert_eq!(
        inbox::prune(&pool, chrono::Duration::minutes(-1))
            .await
            .expect("prune"),
        2
    );
}

/// Applies `Ping`s into `effects` through the inbox; the first call for each event
/// commits and then "crashes" before the acknowledgement.
struct ApplyOnce {
    pool: PgPool,
    crashed: Mutex<HashSet<Uuid>>,
    calls: Mutex<HashMap<Uuid, u32>>,
}

#[async_trait::async_trait]
impl Handler for ApplyOnce {
    async fn handle(&self, event: &RawEnvelope) -> Result<(), HandlerError> {
        let event = event.decode::<Ping>().map_err(HandlerError::permanent)?;
        let mut tx = self.pool.begin().await.map_err(HandlerError::transient)?;
        if inbox::first_delivery(&mut tx, "g", event.event_id)
            .await
            .map_err(HandlerError::transient)?
        {
            sqlx::query("INSERT INTO effects (event_id, n) VALUES ($1, $2)")
                .bind(event.event_id)
                .bind(i32::try_from(event.payload.n).expect("small n"))
                .execute(&mut *tx)
                .await
                .map_err(HandlerError::transient)?;
        }
        tx.commit().await.map_err(HandlerError::transient)?;
        *self
            .calls
            .lock()
            .expect("lock")
            .entry(event.event_id)
            .or_default() += 1;
        if self.crashed.lock().expect("lock").insert(event.event_id) {
            return Err(HandlerError::transient(anyhow::anyhow!(
                "crashed before the ack"
            )));
        }
        Ok(())
    }
}

#[tokio::test]
async fn redelivered_event_is_applied_once() {
    let bus = Bus::new("once").await;
    let pool = database("once").await;
    sqlx::query("CREATE TABLE effects (event_id UUID NOT NULL, n INT NOT NULL)")
        .execute(&pool)
        .await
        .expect("create effects");
    let twice = ping("v1", 1);
    let once = ping("v2", 2);
    bus.publish(&twice).await;
    bus.publish(&twice).await; // a producer retry: same event id, two entries
    bus.publish(&once).await;

    let handler = Arc::new(ApplyOnce {
        pool: pool.clone(),
        crashed: Mutex::default(),
        calls: Mutex::default(),
    });
    let (token, task) = spawn(bus.consumer(fast("g"), handler.clone()));
    wait_until("every delivery settled", WAIT, || async {
        let calls = handler.calls.lock().expect("lock").clone();
        // Calls first: the group does not exist before the consumer's first read.
        calls.get(&twice.event_id) == Some(&3)
            && calls.get(&once.event_id) == Some(&2)
            && bus.pending("g").await == 0
    })
    .await;
    stop(token, task).await;

    // Calls: `twice` 3 (crash, duplicate entry, redelivery), `once` 2 (crash, redelivery).
    let effects: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT event_id, count(*) FROM effects GROUP BY event_id ORDER BY event_id",
    )
    .fetch_all(&pool)
    .await
    .expect("effects");
    assert_eq!(effects, [(twice.event_id, 1), (once.event_id, 1)]);
    let marks: i64 =
        sqlx::query_scalar("SELECT count(*) FROM processed_events WHERE consumer_group = 'g'")
            .fetch_one(&pool)
            .await
            .expect("marks");
    assert_eq!(marks, 2);
    bus.cleanup().await;
}

// ---------------------------------------------------------------- outbox

async fn enqueue_all(pool: &PgPool, events: &[EventEnvelope<Ping>]) {
    let mut tx = pool.begin().await.expect("begin");
    for e in events {
        outbox::enqueue(&mut tx, e).await.expect("enqueue");
    }
    tx.commit().await.expect("commit");
}

fn pings(count: u32) -> Vec<EventEnvelope<Ping>> {
    (0..count)
        .map(|n| ping(&format!("v{}", n % 3), n))
        .collect()
}

fn ids(events: &[EventEnvelope<Ping>]) -> Vec<Uuid> {
    events.iter().map(|e| e.event_id).collect()
}

#[tokio::test]
async fn outbox_publishes_committed_events_once_and_rolled_back_never() {
    let bus = Bus::new("outbox").await;
    let pool = database("outbox").await;
    let first = pings(1);
    enqueue_all(&pool, &first).await;

    // A long poll: after its first pass, only the notifier can wake the relay in time.
    let relay = Relay::new(pool.clone(), bus.publisher.clone())
        .batch_size(10)
        .poll_interval(Duration::from_secs(60));
    let notify = relay.notifier();
    let token = CancellationToken::new();
    let task = tokio::spawn(relay.run(token.clone()));
    wait_until("the first pass", WAIT, || async {
        bus.len(&bus.stream()).await == 1
    })
    .await;

    let rolled_back = ping("v9", 99);
    let mut tx = pool.begin().await.expect("begin");
    outbox::enqueue(&mut tx, &rolled_back)
        .await
        .expect("enqueue");
    tx.rollback().await.expect("rollback");
    let later = pings(25); // three batches of at most 10
    enqueue_all(&pool, &later).await;
    notify.notify_one();
    wait_until("the relay to drain the outbox", WAIT, || async {
        outbox::pending(&pool).await.expect("pending") == 0
    })
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await; // room for a wrong extra publish
    token.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("relay stops")
        .expect("relay did not panic");

    let expected: Vec<Uuid> = ids(&first).into_iter().chain(ids(&later)).collect();
    let published = bus.published_ids().await;
    assert!(!published.contains(&rolled_back.event_id));
    assert_eq!(
        published, expected,
        "each committed event once, in commit order"
    );
    assert_eq!(outbox::pending(&pool).await.expect("pending"), 0);
    bus.cleanup().await;
}

#[tokio::test]
async fn outbox_keeps_events_while_redis_is_down() {
    let bus = Bus::new("outage").await;
    let pool = database("outage").await;
    let events = pings(5);
    enqueue_all(&pool, &events).await;

    // Nothing listens on port 1: the relay must start anyway and keep the rows.
    let unreachable = RedisTarget::open("redis://127.0.0.1:1", false).expect("url");
    let down = Relay::lazy(pool.clone(), &unreachable, bus.keys.clone(), 1000)
        .expect("a lazy relay does not connect")
        .poll_interval(Duration::from_millis(20))
        .backoff(Duration::from_millis(10), Duration::from_millis(50));
    assert!(down.relay_once().await.is_err(), "publishing fails");
    let token = CancellationToken::new();
    let task = tokio::spawn(down.run(token.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await; // several failed attempts
    token.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("relay stops during an outage")
        .expect("relay did not panic");
    assert_eq!(
        outbox::pending(&pool).await.expect("pending"),
        5,
        "rows kept"
    );
    assert_eq!(bus.len(&bus.stream()).await, 0);

    // Redis is back: everything goes out, in order.
    let up =
        Relay::new(pool.clone(), bus.publisher.clone()).poll_interval(Duration::from_millis(20));
    let token = CancellationToken::new();
    let task = tokio::spawn(up.run(token.clone()));
    wait_until("the backlog to be published", WAIT, || async {
        outbox::pending(&pool).await.expect("pending") == 0
    })
    .await;
    token.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("relay stops")
        .expect("relay did not panic");
    assert_eq!(bus.published_ids().await, ids(&events));
    bus.cleanup().await;
}

#[tokio::test]
async fn relays_on_one_database_share_the_outbox_without_duplicates() {
    let bus = Bus::new("replicas").await;
    let pool = database("replicas").await;
    let events = pings(200);
    enqueue_all(&pool, &events).await;

    let token = CancellationToken::new();
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let relay = Relay::new(pool.clone(), bus.publisher.clone())
                .batch_size(7)
                .poll_interval(Duration::from_millis(20));
            tokio::spawn(relay.run(token.clone()))
        })
        .collect();
    wait_until("the outbox to drain", WAIT, || async {
        outbox::pending(&pool).await.expect("pending") == 0
    })
    .await;
    token.cancel();
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("relay stops")
            .expect("relay did not panic");
    }
    let mut published = bus.published_ids().await;
    assert_eq!(published.len(), 200, "no event twice");
    published.sort();
    let mut expected = ids(&events);
    expected.sort();
    assert_eq!(published, expected, "every event");
    bus.cleanup().await;
}
