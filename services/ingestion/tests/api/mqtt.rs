//! Readings over MQTT (ADR 0024), against a real Mosquitto: the machine's on
//! 127.0.0.1:1883 (anonymous), and, for the broker's authentication and ACL, a private
//! one on a spare port configured by `scripts/mqtt-auth.sh`. Each test uses its own
//! topic root, share group and client id, so parallel tests do not see each other.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ingestion::mqtt::MqttConfig;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::{Value, json};
use shared_runtime::testing;
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::helpers::{ORG, TestApp, reading, spawn_app_with};

const SYSTEM_BROKER: &str = "mqtt://127.0.0.1:1883";
const RECEIVED: &str = "vehicle.telemetry.received";
const REJECTED: &str = "vehicle.telemetry.rejected";

/// A test's own topic root, share group and subscriber client id.
struct Names {
    root: String,
    group: String,
    client_id: String,
}

impl Names {
    fn new() -> Self {
        let id = Uuid::new_v4().simple().to_string();
        Self {
            root: format!("t-{id}"),
            group: format!("g-{id}"),
            client_id: format!("ingestion-test-{id}"),
        }
    }

    fn topic(&self, org: &str, vehicle: &str, kind: &str) -> String {
        format!("{}/{org}/{vehicle}/{kind}", self.root)
    }

    fn config(&self, url: &str) -> MqttConfig {
        let mut mqtt = MqttConfig::new(url, &self.client_id).unwrap();
        mqtt.topic_root.clone_from(&self.root);
        mqtt.share_group.clone_from(&self.group);
        mqtt
    }
}

/// An app subscribed to the broker at `url` under `names`.
async fn spawn_subscribed(names: &Names, url: &str) -> TestApp {
    let mqtt = names.config(url);
    spawn_app_with(|c| c.mqtt = Some(mqtt)).await
}

/// A connected MQTT client (a device, in these tests).
struct Device {
    client: AsyncClient,
}

impl Device {
    /// Connects to 127.0.0.1:`port`, with `credentials` if given; the broker's refusal
    /// otherwise.
    async fn connect(port: u16, credentials: Option<(&str, &str)>) -> Result<Self, String> {
        let mut options = MqttOptions::new(
            format!("dev-{}", Uuid::new_v4().simple()),
            "127.0.0.1",
            port,
        );
        options.set_max_packet_size(1 << 24, 1 << 24);
        if let Some((user, password)) = credentials {
            options.set_credentials(user, password);
        }
        let (client, mut events) = AsyncClient::new(options, 100);
        let (connected, answer) = oneshot::channel();
        tokio::spawn(async move {
            let mut connected = Some(connected);
            loop {
                match events.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        if let Some(c) = connected.take() {
                            let _ = c.send(Ok(()));
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        if let Some(c) = connected.take() {
                            let _ = c.send(Err(e.to_string()));
                        }
                        return;
                    }
                }
            }
        });
        answer.await.unwrap()?;
        Ok(Self { client })
    }

    /// Publishes `payload` at QoS 1.
    async fn publish(&self, topic: &str, payload: &Value) {
        self.client
            .publish(
                topic,
                QoS::AtLeastOnce,
                false,
                serde_json::to_vec(payload).unwrap(),
            )
            .await
            .unwrap();
    }

    async fn publish_raw(&self, topic: &str, payload: &'static [u8]) {
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .await
            .unwrap();
    }
}

/// The reading ids on `event_type`'s stream.
async fn reading_ids(app: &TestApp, event_type: &str) -> Vec<String> {
    app.stream(event_type)
        .await
        .iter()
        .map(|e| {
            crate::helpers::envelope(e)["payload"]["reading_id"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect()
}

/// Waits until the stream has `n` entries, then a little longer so anything still in
/// flight lands, and returns their reading ids.
async fn settled(app: &TestApp, event_type: &str, n: usize) -> Vec<String> {
    app.wait_stream(event_type, n).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    reading_ids(app, event_type).await
}

/// Ends the subscriber's persistent session on the machine's broker (a clean-session
/// connect with its client id), so tests leave no session behind.
async fn forget_session(client_id: &str) {
    let mut options = MqttOptions::new(client_id, "127.0.0.1", 1883);
    options.set_clean_session(true);
    let (client, mut events) = AsyncClient::new(options, 10);
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Ok(event) = events.poll().await {
            if let Event::Incoming(Packet::ConnAck(_)) = event {
                let _ = client.try_disconnect();
            }
            if let Event::Outgoing(rumqttc::Outgoing::Disconnect) = event {
                break;
            }
        }
    })
    .await;
}

#[tokio::test]
async fn mqtt_reading_and_batch_reach_the_stream_exactly_once() {
    let names = Names::new();
    let app = spawn_subscribed(&names, SYSTEM_BROKER).await;
    let device = Device::connect(1883, None).await.unwrap();

    device
        .publish(
            &names.topic(ORG, "VH-M1", "telemetry"),
            &reading("VH-M1", "m-1", 5),
        )
        .await;
    let batch = json!({ "readings": (0..3).map(|i| reading("VH-M2", &format!("mb-{i}"), 10 + i)).collect::<Vec<_>>() });
    device
        .publish(&names.topic(ORG, "VH-M2", "batch"), &batch)
        .await;
    let mut ids = settled(&app, RECEIVED, 4).await;
    ids.sort();
    assert_eq!(ids, ["m-1", "mb-0", "mb-1", "mb-2"]);

    // The same message again (a device's retry, or the broker redelivering a message
    // whose acknowledgement was lost): duplicates, not new entries.
    device
        .publish(
            &names.topic(ORG, "VH-M1", "telemetry"),
            &reading("VH-M1", "m-1", 5),
        )
        .await;
    device
        .publish(&names.topic(ORG, "VH-M2", "batch"), &batch)
        .await;
    device
        .publish(
            &names.topic(ORG, "VH-M1", "telemetry"),
            &reading("VH-M1", "m-2", 1),
        )
        .await;
    let mut ids = settled(&app, RECEIVED, 5).await;
    ids.sort();
    assert_eq!(
        ids,
        ["m-1", "m-2", "mb-0", "mb-1", "mb-2"],
        "each reading once"
    );
    let envelopes = app.stream(RECEIVED).await;
    assert!(
        envelopes
            .iter()
            .all(|e| crate::helpers::envelope(e)["payload"]["org_id"] == ORG)
    );
    assert!(app.stream(REJECTED).await.is_empty());
    app.wait_audited(5).await;
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("ingestion_mqtt_messages_total{outcome=\"acked\"}"),
        "{metrics}"
    );
    app.stop().await;
    forget_session(&names.client_id).await;
}

#[tokio::test]
async fn mqtt_invalid_payloads_become_rejection_events() {
    let names = Names::new();
    let app = spawn_subscribed(&names, SYSTEM_BROKER).await;
    let device = Device::connect(1883, None).await.unwrap();

    let mut bad = reading("VH-X", "bad-1", 0);
    bad["vin"] = json!("1M8GDM9AYKP042788"); // wrong check digit
    device
        .publish(&names.topic(ORG, "VH-X", "telemetry"), &bad)
        .await;
    device
        .publish_raw(&names.topic(ORG, "VH-X", "batch"), b"not json")
        .await;
    // A batch of one good and one bad reading: the good one is taken.
    let mut hot = reading("VH-X", "bad-2", 1);
    hot["signals"]["coolant_temp_c"] = json!(900.0);
    device
        .publish(
            &names.topic(ORG, "VH-X", "batch"),
            &json!({ "readings": [reading("VH-X", "good-1", 2), hot] }),
        )
        .await;

    let rejected = app.wait_stream(REJECTED, 3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.stream(REJECTED).await.len(), 3);
    let problem_fields = |id: Option<&str>| -> Vec<String> {
        rejected
            .iter()
            .find(|e| e["payload"]["reading_id"].as_str() == id)
            .unwrap_or_else(|| panic!("no rejection of {id:?}: {rejected:?}"))["payload"]["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["field"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(problem_fields(Some("bad-1")).contains(&"vin".to_owned()));
    assert!(problem_fields(Some("bad-2")).contains(&"signals.coolant_temp_c".to_owned()));
    assert_eq!(problem_fields(None), ["readings"], "the unparseable batch");
    for e in &rejected {
        assert_eq!(e["payload"]["org_id"], ORG);
        assert_eq!(e["payload"]["vehicle_id"], "VH-X");
    }
    assert_eq!(reading_ids(&app, RECEIVED).await, ["good-1"]);
    app.stop().await;
    forget_session(&names.client_id).await;
}

#[tokio::test]
async fn mqtt_message_for_a_vehicle_of_another_org_is_refused() {
    let names = Names::new();
    let app = spawn_subscribed(&names, SYSTEM_BROKER).await;
    // VH-OWNED belongs to acme (claimed by its first reading, over REST).
    let first = app
        .post_device("/v1/telemetry", &reading("VH-OWNED", "own-1", 3))
        .await;
    assert_eq!(first.status(), 202);
    let device = Device::connect(1883, None).await.unwrap();

    // Published under another organization's topic: refused, as REST refuses it.
    device
        .publish(
            &names.topic("rival", "VH-OWNED", "telemetry"),
            &reading("VH-OWNED", "steal-1", 2),
        )
        .await;
    // A payload naming another vehicle than its topic: refused too.
    device
        .publish(
            &names.topic("rival", "VH-RIVAL", "telemetry"),
            &reading("VH-OWNED", "steal-2", 2),
        )
        .await;
    let rejected = app.wait_stream(REJECTED, 2).await;
    for e in &rejected {
        assert_eq!(e["payload"]["org_id"], "rival");
        assert_eq!(e["payload"]["vehicle_id"], "VH-OWNED");
        assert_eq!(e["payload"]["problems"][0]["field"], "vehicle_id");
    }
    // The rival's own vehicle is fine.
    device
        .publish(
            &names.topic("rival", "VH-RIVAL", "telemetry"),
            &reading("VH-RIVAL", "rival-1", 2),
        )
        .await;
    let ids = settled(&app, RECEIVED, 2).await;
    assert_eq!(ids, ["own-1", "rival-1"]);
    assert_eq!(app.stream(REJECTED).await.len(), 2);
    app.stop().await;
    forget_session(&names.client_id).await;
}

#[tokio::test]
async fn mqtt_message_held_unacknowledged_is_delivered_again_after_a_restart() {
    // The first instance holds a backfill message (its backlog is over the limit), so
    // it must not acknowledge it; stopped, it leaves it to the broker, which delivers it
    // to the next process with the same client id.
    let names = Names::new();
    let mqtt = names.config(SYSTEM_BROKER);
    let first = spawn_app_with(|c| {
        c.mqtt = Some(mqtt);
        c.backfill.max_backlog = 0;
        c.backfill.sample_every = Duration::from_millis(50);
    })
    .await;
    let flushed = first
        .post_device("/v1/telemetry", &reading("VH-R", "old-0", 7_200))
        .await;
    assert_eq!(
        flushed.status(),
        202,
        "under the limit until the next sample"
    );
    let backfill = |app: &TestApp| {
        let key = app.keys.backfill(RECEIVED);
        let mut redis = app.redis.clone();
        async move { testing::stream_entries(&mut redis, &key).await.len() }
    };
    // Wait until the backlog (1 > 0) is sampled: REST backfill is then refused.
    testing::app::wait_until(
        Duration::from_secs(10),
        "the backlog is sampled",
        || async {
            let r = first
                .post_device("/v1/telemetry", &reading("VH-R", "old-x", 7_200))
                .await;
            (r.status() == 429).then_some(())
        },
    )
    .await;
    let before = backfill(&first).await;

    let device = Device::connect(1883, None).await.unwrap();
    device
        .publish(
            &names.topic(ORG, "VH-R", "telemetry"),
            &reading("VH-R", "old-1", 3_600),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        backfill(&first).await,
        before,
        "the held message is not taken"
    );
    assert!(
        first
            .metrics()
            .await
            .contains("ingestion_mqtt_held_total{reason=\"backlogged\"}"),
        "it is held for the backlog"
    );
    first.stop().await;

    let second = spawn_subscribed(&names, SYSTEM_BROKER).await;
    testing::app::wait_until(
        Duration::from_secs(20),
        "the redelivered message",
        || async { (backfill(&second).await == 1).then_some(()) },
    )
    .await;
    let ids: Vec<String> = second
        .lanes(RECEIVED)
        .await
        .iter()
        .map(|e| e["payload"]["reading_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["old-1"]);
    second.stop().await;
    forget_session(&names.client_id).await;
}

#[tokio::test]
async fn mqtt_instances_in_one_share_group_split_the_messages() {
    let names = Names::new();
    let a = spawn_subscribed(&names, SYSTEM_BROKER).await;
    let b_names = Names {
        client_id: format!("{}-b", names.client_id),
        ..Names::new()
    };
    let b_config = {
        let mut c = b_names.config(SYSTEM_BROKER);
        c.topic_root.clone_from(&names.root);
        c.share_group.clone_from(&names.group);
        c
    };
    let b = spawn_app_with(|c| c.mqtt = Some(b_config)).await;
    let device = Device::connect(1883, None).await.unwrap();
    for i in 0..20 {
        device
            .publish(
                &names.topic(ORG, "VH-S", "telemetry"),
                &reading("VH-S", &format!("s-{i}"), 1 + i),
            )
            .await;
    }
    testing::app::wait_until(
        Duration::from_secs(20),
        "20 readings between the two",
        || async {
            (a.stream(RECEIVED).await.len() + b.stream(RECEIVED).await.len() >= 20).then_some(())
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (in_a, in_b) = (
        reading_ids(&a, RECEIVED).await,
        reading_ids(&b, RECEIVED).await,
    );
    assert_eq!(
        in_a.len() + in_b.len(),
        20,
        "each message to one instance: {in_a:?} {in_b:?}"
    );
    assert!(
        !in_a.is_empty() && !in_b.is_empty(),
        "both take a share: {in_a:?} {in_b:?}"
    );
    a.stop().await;
    b.stop().await;
    forget_session(&names.client_id).await;
    forget_session(&b_names.client_id).await;
}

/// A private Mosquitto on a spare port, with the password file and ACL that
/// `scripts/mqtt-auth.sh` generates; stopped and removed on drop.
struct PrivateBroker {
    port: u16,
    child: Child,
    dir: PathBuf,
}

impl PrivateBroker {
    fn start(root: &str, clients: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("ingestion-mqtt-{}", Uuid::new_v4().simple()));
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/mqtt-auth.sh");
        let mut generate = Command::new(script)
            .args([dir.to_str().unwrap(), &port.to_string(), root])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut generate.stdin.take().unwrap(), clients.as_bytes()).unwrap();
        assert!(generate.wait().unwrap().success(), "mqtt-auth.sh failed");
        let mosquitto = if std::path::Path::new("/usr/sbin/mosquitto").exists() {
            "/usr/sbin/mosquitto"
        } else {
            "mosquitto"
        };
        let child = Command::new(mosquitto)
            .arg("-c")
            .arg(dir.join("mosquitto.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto (scripts/setup.sh installs it)");
        // Killed and waited for on drop, also when it never listens.
        let broker = Self { port, child, dir };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return broker;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the private mosquitto did not listen on {port}");
    }
}

impl Drop for PrivateBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn mqtt_broker_lets_a_device_publish_only_for_its_own_org_and_vehicles() {
    let names = Names::new();
    let key_id = Uuid::new_v4().to_string();
    let broker = PrivateBroker::start(
        &names.root,
        &format!("subscriber ingestion sub-pw\ndevice {key_id} fk_device_secret {ORG} VH-P\n"),
    );
    let url = format!("mqtt://ingestion:sub-pw@127.0.0.1:{}", broker.port);
    let app = spawn_subscribed(&names, &url).await;

    assert!(
        Device::connect(broker.port, None).await.is_err(),
        "anonymous refused"
    );
    assert!(
        Device::connect(broker.port, Some((&key_id, "fk_wrong")))
            .await
            .is_err(),
        "a wrong key refused"
    );
    let device = Device::connect(broker.port, Some((&key_id, "fk_device_secret")))
        .await
        .unwrap();
    // Another organization's topic, and a vehicle outside the key's list: the broker
    // drops both, ingestion sees neither.
    device
        .publish(
            &names.topic("rival", "VH-P", "telemetry"),
            &reading("VH-P", "x-org", 3),
        )
        .await;
    device
        .publish(
            &names.topic(ORG, "VH-Q", "telemetry"),
            &reading("VH-Q", "x-vehicle", 3),
        )
        .await;
    device
        .publish(
            &names.topic(ORG, "VH-P", "telemetry"),
            &reading("VH-P", "p-1", 2),
        )
        .await;
    device
        .publish(
            &names.topic(ORG, "VH-P", "batch"),
            &json!({ "readings": [reading("VH-P", "p-2", 1)] }),
        )
        .await;
    let mut ids = settled(&app, RECEIVED, 2).await;
    ids.sort();
    assert_eq!(ids, ["p-1", "p-2"]);
    assert!(
        app.stream(REJECTED).await.is_empty(),
        "nothing else reached ingestion"
    );
    app.stop().await;
    drop(broker);
}

#[tokio::test]
async fn mqtt_a_flood_of_messages_is_taken_and_acknowledged_with_few_handlers() {
    // More messages at once than the subscriber handles concurrently: the poll loop
    // must keep acknowledging while handlers wait for their turn.
    let names = Names::new();
    let mut mqtt = names.config(SYSTEM_BROKER);
    mqtt.inflight = 2;
    let app = spawn_app_with(|c| c.mqtt = Some(mqtt)).await;
    let device = Device::connect(1883, None).await.unwrap();
    let n = 600;
    for i in 0..n {
        let vehicle = format!("VH-F{}", i % 50);
        device
            .publish(
                &names.topic(ORG, &vehicle, "telemetry"),
                &reading(&vehicle, &format!("f-{i}"), 1 + i64::from(i / 50)),
            )
            .await;
    }
    testing::app::wait_until(Duration::from_secs(30), "every message taken", || async {
        (app.stream(RECEIVED).await.len() >= n as usize).then_some(())
    })
    .await;
    app.stop().await;
    forget_session(&names.client_id).await;
}
