//! The whole platform as separate processes — ingestion, health, agent, scheduling,
//! alert and the devinbox receivers — on real Postgres and Redis: simulated telemetry
//! of a truck whose DPF clogs goes in over HTTP; the owner's email comes out of the SMTP
//! server naming the vehicle, the component and what to do, exactly once; following its
//! acknowledge link stops the escalation. The critical decision is booked at the
//! emergency center; the owner's confirmation carries a valid iCalendar invitation;
//! completing the work order resets the DPF's health; the owner files a warranty claim
//! for the DPF over REST, it is decided on the vehicle's own record and the owner is
//! told by email.
//!
//! It runs on one Redis and, partitioned (ADR 0026), on the local Redis Cluster
//! (`scripts/redis-cluster.sh`).
//!
//! The service binaries are the ones `cargo test --workspace` builds next to this
//! package's own (`target/<profile>/`); with `cargo test -p alert` alone, build them
//! first (`cargo build -p ingestion -p health -p agent -p scheduling -p warranty`).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use chrono::Utc;
use fleetsim::degradation::{Degradation, FailureMode};
use fleetsim::profile::DutyProfile;
use fleetsim::simulate::{SimConfig, VehicleSim};
use fleetsim::vehicle::Vehicle;
use serde_json::{Value, json};
use shared_runtime::testing;
use tokio::process::{Child, Command};

use crate::helpers::{JWT_SECRET, ORG, admin};
use crate::inbox::Inbox;

const DEVICE_KEY: &str = "fk_dev_e2e0123456789abcdef0123456789ab";
/// Long enough for a loaded CI machine to apply the whole history and follow the
/// link first, short enough to show that nothing happens after it.
const ESCALATION: Duration = Duration::from_secs(20);

/// One service process, killed when dropped; its log is kept for failures.
pub(crate) struct Service {
    name: &'static str,
    pub(crate) url: String,
    log: PathBuf,
    _child: Child,
}

/// Where the platform's streams live: one Redis, or the local cluster with partitions.
#[derive(Debug, Clone)]
pub(crate) struct Backbone {
    redis_url: String,
    partitions: u32,
    cluster: bool,
}

impl Backbone {
    /// The test Redis, one partition.
    pub(crate) fn single() -> Self {
        Self {
            redis_url: testing::redis_url(),
            partitions: 1,
            cluster: false,
        }
    }

    /// The local Redis Cluster, four partitions.
    pub(crate) fn cluster() -> Self {
        Self {
            redis_url: testing::redis_cluster_url(),
            partitions: 4,
            cluster: true,
        }
    }

    /// What every service is started with.
    fn env(&self) -> [(&'static str, String); 3] {
        [
            ("REDIS_URL", self.redis_url.clone()),
            ("STREAM_PARTITIONS", self.partitions.to_string()),
            ("STREAM_LEASE_TTL_MS", "2000".to_owned()),
        ]
    }

    pub(crate) fn keys(&self, prefix: &str) -> shared_runtime::bus::Keys {
        shared_runtime::bus::Keys::partitioned(prefix, self.partitions, self.cluster)
    }
}

/// The running platform.
pub(crate) struct Platform {
    ingestion: Service,
    health: Service,
    pub(crate) agent: Service,
    pub(crate) scheduling: Service,
    warranty: Service,
    pub(crate) alert: Service,
    pub(crate) inbox: Inbox,
    pub(crate) prefix: String,
    pub(crate) backbone: Backbone,
    pub(crate) client: reqwest::Client,
}

impl Drop for Platform {
    fn drop(&mut self) {
        // A failing test shows what the services said.
        if std::thread::panicking() {
            for s in [
                &self.ingestion,
                &self.health,
                &self.agent,
                &self.scheduling,
                &self.warranty,
                &self.alert,
            ] {
                let log = std::fs::read_to_string(&s.log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(30).collect();
                eprintln!("----- {} ({}) -----", s.name, s.log.display());
                for line in tail.into_iter().rev() {
                    eprintln!("{line}");
                }
            }
        }
    }
}

/// A service binary built beside this package's own.
fn binary(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_BIN_EXE_alert")).parent().unwrap();
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is missing: `cargo test --workspace` builds it; with `cargo test -p alert` \
         run `cargo build -p ingestion -p health -p agent -p scheduling -p warranty` first",
        path.display()
    );
    path
}

/// Starts `name` on `port` with the common settings plus `env`, and waits until it
/// is ready.
async fn start(
    name: &'static str,
    port: u16,
    (prefix, backbone): (&str, &Backbone),
    logs: &Path,
    env: &[(&str, String)],
) -> Service {
    let database_url = testing::fresh_database(name).await;
    let log = logs.join(format!("{name}.log"));
    let file = std::fs::File::create(&log).unwrap();
    let mut cmd = Command::new(binary(name));
    cmd.env("DATABASE_URL", &database_url)
        .envs(backbone.env())
        .env("REDIS_PREFIX", prefix)
        .env("JWT_SECRET", JWT_SECRET)
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("start {name}: {e}"));
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let out = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("{name} exited with {status}:\n{out}");
        }
        let ready = client
            .get(format!("{url}/health/ready"))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ready {
            return Service {
                name,
                url,
                log,
                _child: child,
            };
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name} not ready within 60 s (log {})",
            log.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

impl Platform {
    /// Every service on one fresh Redis prefix, each with its own fresh database.
    pub(crate) async fn start() -> Self {
        Self::start_on(Backbone::single()).await
    }

    /// The same on `backbone`.
    pub(crate) async fn start_on(backbone: Backbone) -> Self {
        let prefix = testing::unique_prefix("e2e");
        let logs = std::env::temp_dir().join(format!("fleet-{}", prefix.trim_end_matches(':')));
        std::fs::create_dir_all(&logs).unwrap();
        let inbox = Inbox::start().await;
        let ingestion = start(
            "ingestion",
            testing::free_port(),
            (&prefix, &backbone),
            &logs,
            &[
                ("INGESTION_BOOTSTRAP_DEVICE_KEY", DEVICE_KEY.to_owned()),
                ("INGESTION_BOOTSTRAP_ORG", ORG.to_owned()),
            ],
        )
        .await;
        let health = start(
            "health",
            testing::free_port(),
            (&prefix, &backbone),
            &logs,
            &[],
        )
        .await;
        let scheduling = start(
            "scheduling",
            testing::free_port(),
            (&prefix, &backbone),
            &logs,
            &[("SCHEDULING_HEALTH_URL", health.url.clone())],
        )
        .await;
        let agent = start(
            "agent",
            testing::free_port(),
            (&prefix, &backbone),
            &logs,
            &[
                ("AGENT_HEALTH_URL", health.url.clone()),
                ("AGENT_SCHEDULING_URL", scheduling.url.clone()),
            ],
        )
        .await;
        // The acknowledge links point at this alert service: public URL = its address.
        let port = testing::free_port();
        let warranty = start(
            "warranty",
            testing::free_port(),
            (&prefix, &backbone),
            &logs,
            &[
                (
                    "WARRANTY_DATA_DIR",
                    logs.join("warranty").display().to_string(),
                ),
                ("WARRANTY_HEALTH_URL", health.url.clone()),
                ("WARRANTY_INGESTION_URL", ingestion.url.clone()),
                ("WARRANTY_SCHEDULING_URL", scheduling.url.clone()),
                ("WARRANTY_ALERT_URL", format!("http://127.0.0.1:{port}")),
            ],
        )
        .await;
        let alert = start(
            "alert",
            port,
            (&prefix, &backbone),
            &logs,
            &[
                ("ALERT_PUBLIC_URL", format!("http://127.0.0.1:{port}")),
                ("ALERT_LINK_SECRET", "e2e-link-secret".to_owned()),
                ("ALERT_SMTP_URL", format!("smtp://{}", inbox.smtp)),
                (
                    "ALERT_SMTP_FROM",
                    "Fleet alerts <alerts@fleet.test>".to_owned(),
                ),
                ("ALERT_SMS_URL", format!("{}/twilio", inbox.http)),
                ("ALERT_SMS_ACCOUNT_SID", "AC_e2e".to_owned()),
                ("ALERT_SMS_AUTH_TOKEN", "token".to_owned()),
                ("ALERT_SMS_FROM", "+15550000000".to_owned()),
                (
                    "ALERT_ESCALATION_DELAYS",
                    format!(
                        "warning=off,critical={0}s,emergency={0}s",
                        ESCALATION.as_secs()
                    ),
                ),
                ("ALERT_TICK_MS", "200".to_owned()),
                ("ALERT_SCHEDULING_URL", scheduling.url.clone()),
                ("ALERT_WARRANTY_URL", warranty.url.clone()),
            ],
        )
        .await;
        Self {
            ingestion,
            health,
            agent,
            scheduling,
            warranty,
            alert,
            inbox,
            prefix,
            backbone,
            client: reqwest::Client::new(),
        }
    }

    /// Adds a contact of `ORG` for `vehicle_id`.
    pub(crate) async fn contact(&self, name: &str, role: &str, email: &str, vehicle_id: &str) {
        let r = self
            .client
            .post(format!("{}/v1/contacts", self.alert.url))
            .bearer_auth(admin())
            .json(&json!({
                "org_id": ORG, "name": name, "role": role, "email": email,
                "vehicle_ids": [vehicle_id],
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }

    /// Posts `readings` to ingestion in order, in batches, with the device key.
    async fn post(&self, readings: &[shared_schemas::telemetry::TelemetryReading]) {
        for chunk in readings.chunks(500) {
            let r = self
                .client
                .post(format!("{}/v1/telemetry/batch", self.ingestion.url))
                .header("x-api-key", DEVICE_KEY)
                .json(&json!({ "readings": chunk }))
                .send()
                .await
                .unwrap();
            let status = r.status();
            let body: Value = r.json().await.unwrap();
            assert_eq!(status, 200, "{body:#}");
            assert_eq!(body["rejected"], 0, "{body:#}");
        }
    }

    /// Waits until health, agent and alert have handled everything on their streams.
    async fn wait_quiet(&self) {
        let mut redis = shared_runtime::bus::connect(&self.backbone.redis_url)
            .await
            .unwrap();
        let keys = self.backbone.keys(&self.prefix);
        let groups: [(&str, &[&str]); 3] = [
            ("health", &["vehicle.telemetry.received"]),
            (
                "agent",
                &[
                    "component.degraded",
                    "component.critical",
                    "vehicle.health.changed",
                ],
            ),
            (alert::events::GROUP, &alert::events::EVENT_TYPES),
        ];
        let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
        // Quiet for 2 s running: outbox relays publish what a consumer just committed.
        let mut quiet = 0;
        while quiet < 10 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the pipeline did not drain within 240 s"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
            quiet += 1;
            for (group, streams) in groups {
                let lag = shared_runtime::consumer::lag(&mut redis, &keys, group, streams)
                    .await
                    .unwrap();
                if lag.lag.unwrap_or(1) > 0 || lag.pending > 0 {
                    quiet = 0;
                }
            }
        }
    }

    /// What the booking-and-repair part of the story reaches.
    pub(crate) fn repair_view(&self) -> crate::e2e_repair::View<'_> {
        crate::e2e_repair::View {
            warranty: &self.warranty.url,
            scheduling: &self.scheduling.url,
            health: &self.health.url,
            inbox: &self.inbox,
            client: &self.client,
        }
    }

    async fn get(&self, path: &str) -> Value {
        let r = self
            .client
            .get(format!("{}{path}", self.alert.url))
            .bearer_auth(admin())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }
}

/// Where every simulated history ends before it is moved to end a minute ago
/// (2026-12-06T02:50:00Z). The simulator's driving follows the clock (days, nights,
/// weekends): a history simulated up to "now" drove differently, and showed a clogging
/// DPF or not, depending on when the test ran (it failed from 03:10 UTC on a Sunday).
/// One fixed window, moved in time, is the same story whenever the test runs.
const REFERENCE_END: i64 = 1_796_525_400;
/// Days simulated (ingestion takes readings up to 30 days old).
const SIMULATED_DAYS: i64 = 28;

/// The simulated window: start and end, Unix seconds.
fn window() -> (i64, i64) {
    (REFERENCE_END - SIMULATED_DAYS * 86_400, REFERENCE_END)
}

/// `vehicle`'s readings over [`window`], moved to end a minute ago.
fn simulated(vehicle: &Vehicle, seed: u64) -> Vec<shared_schemas::telemetry::TelemetryReading> {
    let (start, end) = window();
    let cfg = SimConfig {
        start,
        end,
        interval_s: 300,
        seed,
    };
    let shift = chrono::Duration::seconds(Utc::now().timestamp() - 60 - end);
    VehicleSim::new(vehicle.clone(), cfg)
        .map(|s| {
            let mut r = s.to_reading(vehicle, seed);
            r.recorded_at += shift;
            r
        })
        .collect()
}

/// 28 days of a long-haul truck whose DPF clogs fast, from 88 % to 97 % of the run, ending
/// a minute ago.
fn clogging_truck() -> (String, Vec<shared_schemas::telemetry::TelemetryReading>) {
    let seed = 11;
    let (start, end) = window();
    let mut vehicle = Vehicle::generate(seed, 0, DutyProfile::LongHaul, 28.0);
    let span = end - start;
    vehicle.degradation = Some(Degradation {
        mode: FailureMode::DpfClogging,
        onset: start + span * 22 / 25,
        failure: start + span * 97 / 100,
        wheel: 0,
    });
    let readings = simulated(&vehicle, seed);
    (vehicle.id, readings)
}

pub(crate) fn is_urgent(m: &Value) -> bool {
    matches!(
        m["headers"]["X-Fleet-Severity"].as_str(),
        Some("critical" | "emergency")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clogging_dpf_emails_the_owner_once_and_the_ack_link_stops_the_escalation() {
    clogging_dpf(Platform::start().await).await;
}

/// The same story on the local Redis Cluster, streams in four partitions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_redis_cluster_a_clogging_dpf_emails_the_owner_once() {
    clogging_dpf(Platform::start_on(Backbone::cluster()).await).await;
}

async fn clogging_dpf(p: Platform) {
    let (vehicle_id, readings) = clogging_truck();
    p.contact("Olivia Owner", "owner", "owner@acme.test", &vehicle_id)
        .await;
    p.contact(
        "Frank Manager",
        "fleet_manager",
        "fm@acme.test",
        &vehicle_id,
    )
    .await;
    p.contact(
        "Erin Emergency",
        "emergency_contact",
        "ec@acme.test",
        &vehicle_id,
    )
    .await;
    crate::e2e_repair::seed_emergency_center(&p.repair_view()).await;
    p.post(&readings).await;

    // ingestion → health (component.critical) → agent (decision) → alert → SMTP.
    let mails = p
        .inbox
        .wait_for("email", 1, 240, |m| {
            m["to"][0] == "owner@acme.test" && is_urgent(m)
        })
        .await;
    let mail = &mails[0];
    let subject = mail["subject"].as_str().unwrap();
    let text = mail["text"].as_str().unwrap();
    assert!(subject.contains(&vehicle_id), "{subject}");
    assert!(subject.contains("DPF"), "{subject}");
    let alert_id = mail["headers"]["X-Fleet-Alert-Id"].as_str().unwrap();
    let alert = p.get(&format!("/v1/alerts/{alert_id}")).await;
    assert_eq!(alert["vehicle_id"], vehicle_id.as_str());
    assert_eq!(alert["component"], "dpf");
    assert_eq!(alert["status"], "open");
    let actions = alert["diagnosis"]["actions"].as_array().unwrap();
    assert!(!actions.is_empty(), "{alert:#}");
    for action in actions {
        assert!(
            text.contains(action.as_str().unwrap()),
            "{action} in {text}"
        );
    }

    // The history ends past critical: let every service finish it (the alert may
    // still be raised to emergency, which mails the owner again at that severity).
    p.wait_quiet().await;

    // Follow the acknowledge link, as the owner would from the email.
    let start = text.find("http://127.0.0.1:").expect("an acknowledge link");
    let link = text[start..].split_whitespace().next().unwrap();
    assert!(link.contains("/ack?token="), "{link}");
    let r = p.client.get(link).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let acked = p.get(&format!("/v1/alerts/{alert_id}")).await;
    assert_eq!(acked["status"], "acknowledged", "{acked:#}");
    assert_eq!(acked["ack_via"], "link");

    // Well past the escalation delay, with the rest of the history applied: nobody
    // further up the chain was called, and the owner got the urgent email once.
    tokio::time::sleep(ESCALATION + Duration::from_secs(5)).await;
    let after = p.get(&format!("/v1/alerts/{alert_id}")).await;
    assert_eq!(after["status"], "acknowledged", "{after:#}");
    assert_eq!(after["step"], 0, "{after:#}");
    for d in after["deliveries"].as_array().unwrap() {
        assert_eq!(d["step"], 0, "an escalation delivery: {d:#}");
    }
    // Exactly once: one email per alert, recipient and severity (the history may raise
    // other alerts, e.g. on the pads of this long-haul truck), every delivery once.
    let emails: Vec<Value> = p
        .inbox
        .messages(Some("email"))
        .await
        .into_iter()
        .filter(|m| m["headers"]["X-Fleet-Alert-Id"].is_string())
        .collect();
    let mut seen = std::collections::HashMap::new();
    let mut deliveries = std::collections::HashSet::new();
    for m in &emails {
        let h = &m["headers"];
        let key = (
            m["to"][0].to_string(),
            h["X-Fleet-Alert-Id"].to_string(),
            h["X-Fleet-Severity"].to_string(),
        );
        if let Some(first) = seen.insert(key, m) {
            panic!("sent twice: {first:#}\nand again: {m:#}");
        }
        assert!(deliveries.insert(h["X-Fleet-Delivery-Id"].to_string()));
    }
    assert!(
        !emails.iter().any(|m| m["to"][0] == "ec@acme.test"),
        "the emergency contact was called: {emails:#?}"
    );
    let alerts = p.get(&format!("/v1/alerts?vehicle_id={vehicle_id}")).await;
    let dpf: Vec<&Value> = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["component"] == "dpf")
        .collect();
    assert_eq!(dpf.len(), 1, "one DPF alert, repeats folded: {alerts:#}");

    crate::e2e_repair::booked_invited_and_repaired(&p.repair_view(), &vehicle_id).await;
    let vin = readings[0]
        .vin
        .clone()
        .expect("the simulator sends the VIN");
    let odometer = readings
        .iter()
        .rev()
        .find_map(|r| r.odometer_km)
        .expect("an odometer");
    crate::e2e_claim::filed_decided_and_told(&p.repair_view(), &vehicle_id, &vin, odometer).await;
}

/// 28 days of a healthy long-haul truck whose pads are 80 % worn and wear at their
/// normal pace (brakes drift into the fair band: the case that used to email owners),
/// ending a minute ago.
fn healthy_truck() -> (String, Vec<shared_schemas::telemetry::TelemetryReading>) {
    let seed = 12;
    let mut vehicle = Vehicle::generate(seed, 0, DutyProfile::LongHaul, 28.0);
    vehicle.params.pad_start_mm = 6.5;
    let readings = simulated(&vehicle, seed);
    (vehicle.id, readings)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_truck_with_normal_pad_wear_alerts_nobody() {
    let p = Platform::start().await;
    let (vehicle_id, readings) = healthy_truck();
    p.contact("Olivia Owner", "owner", "owner@acme.test", &vehicle_id)
        .await;
    p.contact(
        "Frank Manager",
        "fleet_manager",
        "fm@acme.test",
        &vehicle_id,
    )
    .await;
    p.post(&readings).await;
    p.wait_quiet().await;

    // The agent decided on every health change, and none of them called for people.
    let decisions: Value = p
        .client
        .get(format!(
            "{}/v1/vehicles/{vehicle_id}/decisions?limit=200",
            p.agent.url
        ))
        .bearer_auth(admin())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let decided = decisions["decisions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for d in &decided {
        assert_ne!(d["disposition"], "alert", "{d:#}");
        let text = d["diagnosis"].as_str().unwrap_or_default();
        assert!(!text.contains("abnormal"), "{text}");
    }
    // The pads are a planning item for the fleet manager's digest instead.
    assert!(
        decided
            .iter()
            .any(|d| d["component"] == "brakes" && d["disposition"] == "plan"),
        "no brake planning decision: {decisions:#}"
    );
    let planned = p
        .get(&format!("/v1/planning-items?vehicle_id={vehicle_id}"))
        .await;
    assert!(
        planned.to_string().contains("Routine brake wear"),
        "{planned:#}"
    );
    let alerts = p.get(&format!("/v1/alerts?vehicle_id={vehicle_id}")).await;
    assert_eq!(alerts["alerts"], json!([]), "{alerts:#}");
    let messages = p.inbox.messages(None).await;
    assert!(
        messages.is_empty(),
        "messages about a healthy truck: {messages:#?}"
    );
}
