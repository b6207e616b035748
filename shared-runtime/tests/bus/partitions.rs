//! Partitioned streams (ADR 0026): routing by vehicle, instances sharing partitions
//! through leases, takeover of a dead instance's partitions with what it left pending
//! first, and fencing of an owner that lost its lease.

use std::sync::atomic::AtomicBool;

use super::*;

/// Settings of a partitioned consumer with a short lease (renewed every 200 ms).
fn leased(group: &str, name: &str) -> ConsumerConfig {
    fast(group)
        .consumer(name)
        .lease_ttl(Duration::from_millis(600))
}

/// The owner of each partition's lease of the consumers like `config` (`None`: free).
async fn owners(bus: &Bus, config: &ConsumerConfig) -> Vec<Option<String>> {
    let mut conn = bus.conn.clone();
    let mut owners = Vec::new();
    for keys in bus.keys.each_partition() {
        let key = keys.partition_key(&format!("lease:{}", config.lease_name()));
        owners.push(conn.get(key).await.expect("GET lease"));
    }
    owners
}

/// Entries of `group` pending on the stream `key`.
async fn pending_on(bus: &Bus, key: &str, group: &str) -> usize {
    bus.conn
        .clone()
        .xpending(key, group)
        .await
        .expect("xpending")
        .count()
}

/// Waits until nothing is pending on `stream` for group `g`, then stops the consumer.
async fn drain_and_stop(
    bus: &Bus,
    stream: &str,
    token: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
) {
    wait_until("nothing pending", WAIT, || async {
        pending_on(bus, stream, "g").await == 0
    })
    .await;
    stop(token, task).await;
}

/// Every instance's calls in one log, in the order they happened.
type Log = Arc<Mutex<Vec<(String, Uuid, Ping)>>>;

/// Records its calls in a shared log under its instance's name; with a gate, each
/// call first waits until the gate opens.
struct Logged {
    who: String,
    log: Log,
    gate: Option<Arc<AtomicBool>>,
    started: Notify,
}

impl Logged {
    fn new(who: &str, log: &Log) -> Arc<Self> {
        Arc::new(Self {
            who: who.to_owned(),
            log: Arc::clone(log),
            gate: None,
            started: Notify::new(),
        })
    }

    fn gated(who: &str, log: &Log, gate: &Arc<AtomicBool>) -> Arc<Self> {
        Arc::new(Self {
            who: who.to_owned(),
            log: Arc::clone(log),
            gate: Some(Arc::clone(gate)),
            started: Notify::new(),
        })
    }
}

#[async_trait::async_trait]
impl Handler for Logged {
    async fn handle(&self, event: &RawEnvelope) -> Result<(), HandlerError> {
        let event = event.decode::<Ping>().map_err(HandlerError::permanent)?;
        self.started.notify_one();
        if let Some(gate) = &self.gate {
            while !gate.load(Ordering::Acquire) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        self.log
            .lock()
            .expect("lock")
            .push((self.who.clone(), event.event_id, event.payload));
        Ok(())
    }
}

fn logged_ids(log: &Log) -> Vec<Uuid> {
    log.lock()
        .expect("lock")
        .iter()
        .map(|(_, id, _)| *id)
        .collect()
}

/// Each scenario on one Redis and on the local Redis Cluster
/// (`scripts/redis-cluster.sh`, started by the first test that needs it).
macro_rules! on_both {
    ($scenario:ident, $label:literal, $partitions:literal) => {
        mod $scenario {
            #[tokio::test]
            async fn on_one_redis() {
                let bus = super::Bus::partitioned($label, $partitions).await;
                super::$scenario(bus).await;
            }

            #[tokio::test]
            async fn on_the_cluster() {
                let bus = super::Bus::on_cluster($label, $partitions).await;
                super::$scenario(bus).await;
            }
        }
    };
}

on_both!(events_go_to_the_partition_of_their_vehicle, "routing", 4);
on_both!(
    two_instances_share_the_partitions_and_each_vehicle_keeps_its_order,
    "share",
    4
);
on_both!(
    a_dead_instances_partitions_move_and_what_it_left_pending_comes_first,
    "takeover",
    2
);
on_both!(
    consumers_of_one_group_over_other_streams_do_not_share_partitions,
    "kinds",
    2
);
on_both!(
    an_owner_that_lost_its_lease_neither_reads_nor_acknowledges,
    "fence",
    2
);

async fn events_go_to_the_partition_of_their_vehicle(bus: Bus) {
    let vehicle = |n: u32| format!("VH-{:06}", n % 16);
    let mut expected: HashMap<u32, Vec<Uuid>> = HashMap::new();
    for n in 0..40 {
        let e = ping(&vehicle(n), n);
        bus.publish(&e).await;
        expected
            .entry(bus::partition_of(&vehicle(n), 4))
            .or_default()
            .push(e.event_id);
    }
    // The outbox's path, serialized envelopes, is routed the same way.
    let raw: Vec<EventEnvelope<Ping>> = (40..60).map(|n| ping(&vehicle(n), n)).collect();
    let serialized: Vec<(String, String)> = raw
        .iter()
        .map(|e| {
            (
                Ping::TYPE.to_owned(),
                serde_json::to_string(e).expect("json"),
            )
        })
        .collect();
    bus.publisher
        .publish_raw(&serialized)
        .await
        .expect("publish_raw");
    for (n, e) in (40..60).zip(&raw) {
        expected
            .entry(bus::partition_of(&vehicle(n), 4))
            .or_default()
            .push(e.event_id);
    }
    assert_eq!(expected.len(), 4, "16 vehicles reach every partition");
    for p in 0..4 {
        let key = bus.keys.partition(p).stream(Ping::TYPE);
        let tag = bus.keys.partition(p).tag().expect("tagged").to_owned();
        assert!(
            key.contains(&format!("{{{tag}}}")) && tag.starts_with(&format!("p{p}")),
            "{key} carries its hash tag"
        );
        assert_eq!(bus.ids_in(&key).await, expected[&p], "partition {p}");
    }
    assert_eq!(bus.len(&bus.keys.key("stream:test.ping")).await, 0);
    bus.cleanup().await;
}

async fn two_instances_share_the_partitions_and_each_vehicle_keeps_its_order(bus: Bus) {
    let log: Log = Arc::default();
    let (a_token, a_task) = spawn(bus.consumer(leased("g", "a"), Logged::new("a", &log)));
    let (b_token, b_task) = spawn(bus.consumer(leased("g", "b"), Logged::new("b", &log)));
    wait_until("a and b to hold two partitions each", WAIT, || async {
        let mut held: Vec<Option<String>> = owners(&bus, &leased("g", "a")).await;
        held.sort();
        held == [Some("a"), Some("a"), Some("b"), Some("b")].map(|o| o.map(str::to_owned))
    })
    .await;

    let mut published: HashMap<String, Vec<Uuid>> = HashMap::new();
    for n in 0..400 {
        let vehicle = format!("VH-{:06}", n % 32);
        let e = ping(&vehicle, n);
        bus.publish(&e).await;
        published.entry(vehicle).or_default().push(e.event_id);
    }
    wait_until("the 400 events to be handled", WAIT, || async {
        log.lock().expect("lock").len() >= 400
    })
    .await;
    stop(a_token, a_task).await;
    stop(b_token, b_task).await;

    let log = log.lock().expect("lock").clone();
    assert_eq!(log.len(), 400, "each event once");
    let mut seen: HashMap<String, Vec<Uuid>> = HashMap::new();
    let mut handled_by: HashMap<String, HashSet<String>> = HashMap::new();
    for (who, id, ping) in &log {
        seen.entry(ping.vehicle_id.clone()).or_default().push(*id);
        handled_by
            .entry(ping.vehicle_id.clone())
            .or_default()
            .insert(who.clone());
    }
    assert_eq!(
        seen, published,
        "every vehicle's events, in publishing order"
    );
    assert!(
        handled_by.values().all(|who| who.len() == 1),
        "one instance per vehicle"
    );
    let instances: HashSet<&String> = log.iter().map(|(who, _, _)| who).collect();
    assert_eq!(instances.len(), 2, "both instances took a share");
    bus.cleanup().await;
}

async fn a_dead_instances_partitions_move_and_what_it_left_pending_comes_first(bus: Bus) {
    // A long min_idle: only the takeover can claim A's entries this soon.
    let config = |name: &str| leased("g", name).min_idle(Duration::from_secs(600));
    let mut published = Vec::new();
    for n in 0..10 {
        let e = ping("VH-000007", n);
        bus.publish(&e).await;
        published.push(e.event_id);
    }
    // A takes both partitions (it is alone) and reads the 10 in one batch.
    let hang = Arc::new(Hang::default());
    let (_a_token, a_task) = spawn(bus.consumer(config("a"), hang.clone()));
    tokio::time::timeout(WAIT, hang.started.notified())
        .await
        .expect("a handles its first event");
    // A dies mid-batch: no lease released, nothing acknowledged.
    a_task.abort();
    assert!(a_task.await.expect_err("a was aborted").is_cancelled());
    let stream = bus.keys.for_vehicle("VH-000007").stream(Ping::TYPE);
    assert_eq!(
        pending_on(&bus, &stream, "g").await,
        10,
        "a's batch is pending"
    );
    for n in 10..20 {
        let e = ping("VH-000007", n);
        bus.publish(&e).await;
        published.push(e.event_id);
    }

    let log: Log = Arc::default();
    let (token, task) = spawn(bus.consumer(config("b"), Logged::new("b", &log)));
    wait_until("b to handle all 20 events", WAIT, || async {
        log.lock().expect("lock").len() >= 20
    })
    .await;
    drain_and_stop(&bus, &stream, token, task).await;
    assert_eq!(
        logged_ids(&log),
        published,
        "a's pending entries first, then the new ones, each once, in order"
    );
    bus.cleanup().await;
}

async fn an_owner_that_lost_its_lease_neither_reads_nor_acknowledges(bus: Bus) {
    let log: Log = Arc::default();
    let gate = Arc::new(AtomicBool::new(false));
    let handler = Logged::gated("a", &log, &gate);
    let vehicle = "VH-000042";
    let mut published = Vec::new();
    for n in 0..5 {
        let e = ping(vehicle, n);
        bus.publish(&e).await;
        published.push(e.event_id);
    }
    // A, alone, takes both partitions and reads the 5 in one batch.
    let (token, task) = spawn(bus.consumer(leased("g", "a"), handler.clone()));
    tokio::time::timeout(WAIT, handler.started.notified())
        .await
        .expect("a holds its first batch");

    // Someone else holds the lease now (as after a pause longer than its TTL).
    let keys = bus.keys.for_vehicle(vehicle);
    let lease = keys.partition_key(&format!("lease:{}", leased("g", "a").lease_name()));
    let mut conn = bus.conn.clone();
    let _: () = conn.set(&lease, "intruder").await.expect("SET");
    // A's fence ends within one TTL of the lease leaving it, whatever it hears.
    tokio::time::sleep(Duration::from_millis(600)).await;
    gate.store(true, Ordering::Release);
    for n in 5..10 {
        let e = ping(vehicle, n);
        bus.publish(&e).await;
        published.push(e.event_id);
    }
    wait_until("a to finish the batch in hand", WAIT, || async {
        log.lock().expect("lock").len() >= 5
    })
    .await;
    // One more lease period: A must not acknowledge that batch nor read further.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let stream = keys.stream(Ping::TYPE);
    assert_eq!(logged_ids(&log), published[..5], "no new entry read");
    assert_eq!(
        pending_on(&bus, &stream, "g").await,
        5,
        "the batch is not acknowledged"
    );

    // The lease free again, A takes the partition back as a new owner: the batch it
    // could not acknowledge first, then the rest.
    let _: usize = conn.del(&lease).await.expect("DEL");
    wait_until("a to handle everything", WAIT, || async {
        log.lock().expect("lock").len() >= 15
    })
    .await;
    drain_and_stop(&bus, &stream, token, task).await;
    assert_eq!(
        logged_ids(&log)[5..],
        published[..],
        "in order after the takeover"
    );
    bus.cleanup().await;
}

async fn consumers_of_one_group_over_other_streams_do_not_share_partitions(bus: Bus) {
    // One service, two consumers in one group over different streams (as health's
    // telemetry and transfers): each must hold every partition of its own streams.
    let log: Log = Arc::default();
    let pings = leased("g", "a");
    let others = ConsumerConfig::new("g", ["test.other"])
        .consumer("b")
        .block(Duration::from_millis(100))
        .lease_ttl(Duration::from_millis(600));
    let (a_token, a_task) = spawn(bus.consumer(pings.clone(), Logged::new("a", &log)));
    let (b_token, b_task) = spawn(bus.consumer(others.clone(), Logged::new("b", &log)));
    wait_until(
        "each to hold both partitions of its streams",
        WAIT,
        || async {
            let a = Some("a".to_owned());
            let b = Some("b".to_owned());
            owners(&bus, &pings).await == [a.clone(), a]
                && owners(&bus, &others).await == [b.clone(), b]
        },
    )
    .await;
    let mut published = Vec::new();
    for n in 0..20 {
        let e = ping(&format!("VH-{n:06}"), n);
        bus.publish(&e).await;
        published.push(e.event_id);
    }
    wait_until("the pings to be handled", WAIT, || async {
        log.lock().expect("lock").len() >= 20
    })
    .await;
    stop(a_token, a_task).await;
    stop(b_token, b_task).await;
    let mut handled = logged_ids(&log);
    handled.sort();
    published.sort();
    assert_eq!(handled, published, "every ping, by the ping consumer");
    bus.cleanup().await;
}
