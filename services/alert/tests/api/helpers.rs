//! `spawn_app()`, events, contacts, publishing and waiting.

use std::collections::{BTreeMap, HashMap};
use std::ops::Deref;
use std::time::Duration;

use alert::Config;
use alert::config::{PushConfig, PushToken, SmsConfig, SmtpConfig};
use chrono::Utc;
use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_runtime::config::Secret;
use shared_runtime::testing;
use shared_runtime::testing::app::TestService;
use shared_schemas::events::{
    AlertSeverity, Channel, Component, ComponentCritical, CostRange, DecisionMade, Disposition,
    HealthBand, Severity, UrgencyWindow, WorkerAgent,
};
use shared_schemas::{Event, EventEnvelope};
use uuid::Uuid;

use crate::inbox::Inbox;

pub(crate) const JWT_SECRET: &str = "integration-test-secret-0123456789abcdef";
pub(crate) const LINK_SECRET: &str = "link-secret-for-the-alert-tests";
pub(crate) const WEBHOOK_SECRET: &str = "webhook-secret-for-the-alert-tests";
pub(crate) const ORG: &str = "acme";

/// A running alert app, its receivers and handles on what it writes.
pub(crate) struct TestApp {
    service: TestService,
    pub(crate) inbox: Inbox,
}

impl Deref for TestApp {
    type Target = TestService;
    fn deref(&self) -> &TestService {
        &self.service
    }
}

/// The configuration a test app runs with: every channel to `inbox`, long escalation
/// delays, a 2 s wait for the diagnosis, fast retries.
pub(crate) fn test_config(database_url: &str, prefix: &str, inbox: &Inbox) -> Config {
    Config {
        common: testing::common_config(database_url, prefix, JWT_SECRET),
        link_secret: Secret::new(LINK_SECRET),
        public_url: "http://alert.test".to_owned(),
        link_ttl: chrono::Duration::hours(1),
        link_confirm: false,
        smtp: Some(SmtpConfig {
            url: Secret::new(format!("smtp://{}", inbox.smtp)),
            from: "Fleet alerts <alerts@fleet.test>".to_owned(),
        }),
        sms: Some(SmsConfig {
            base_url: format!("{}/twilio", inbox.http),
            account_sid: "AC_test".to_owned(),
            auth_token: Secret::new("token"),
            from: "+15550000000".to_owned(),
        }),
        push: Some(PushConfig {
            base_url: format!("{}/fcm", inbox.http),
            project: "fleet-test".to_owned(),
            token: PushToken::Static(Secret::new("push-token")),
        }),
        webhook_secret: Some(Secret::new(WEBHOOK_SECRET)),
        escalation_delays: BTreeMap::from([
            (AlertSeverity::Warning, Duration::from_secs(3600)),
            (AlertSeverity::Critical, Duration::from_secs(3600)),
            (AlertSeverity::Emergency, Duration::from_secs(3600)),
        ]),
        max_escalation_steps: 5,
        decision_wait: Duration::from_secs(2),
        rate_limits: HashMap::from([(Channel::Sms, 5), (Channel::Push, 20)]),
        max_attempts: 4,
        retry_base: Duration::from_millis(200),
        retry_max: Duration::from_secs(2),
        send_timeout: Duration::from_secs(5),
        send_concurrency: 8,
        sender_lease: Duration::from_secs(60),
        tick: Duration::from_millis(200),
        stale_factor: 3.0,
        stale_min: Duration::from_secs(900),
        stale_max_gap: Duration::from_secs(86_400),
        stale_min_samples: 10,
        stale_check: Duration::from_secs(3600),
        concurrency: 8,
        batch: 64,
        inbox_retention_days: 14,
        digest_every: Some(Duration::from_secs(7 * 86_400)),
        scheduling_url: None,
        warranty_url: None,
    }
}

/// An alert app with its own receivers, a fresh database and Redis prefix, and a
/// tweaked configuration.
pub(crate) async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let inbox = Inbox::start().await;
    spawn_with_inbox(inbox, tweak).await
}

/// An alert app delivering to `inbox`.
pub(crate) async fn spawn_with_inbox(inbox: Inbox, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let database_url = testing::fresh_database("alert").await;
    let prefix = testing::unique_prefix("alert");
    let mut config = test_config(&database_url, &prefix, &inbox);
    tweak(&mut config);
    let common = config.common.clone();
    let service = TestService::start(&common, |shutdown| alert::build(config, shutdown)).await;
    TestApp { service, inbox }
}

/// The default test app.
pub(crate) async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

/// A token for `role` in `org`.
pub(crate) fn token(role: Role, org: &str, vehicles: &[&str]) -> String {
    token_for("tester", role, org, vehicles)
}

/// A token for user `sub`.
pub(crate) fn token_for(sub: &str, role: Role, org: &str, vehicles: &[&str]) -> String {
    testing::token(JWT_SECRET, sub, role, org, vehicles)
}

pub(crate) fn admin() -> String {
    token(Role::Admin, "platform", &[])
}

/// An `agent.decision.made` about a clogging DPF.
pub(crate) fn decision(vehicle_id: &str, severity: Severity) -> DecisionMade {
    DecisionMade {
        decision_id: Uuid::now_v7(),
        org_id: ORG.to_owned(),
        vehicle_id: vehicle_id.to_owned(),
        component: Component::Dpf,
        diagnosis: "Probable dpf clogging: soot accumulates faster than regeneration burns it off."
            .to_owned(),
        severity,
        disposition: Disposition::Alert,
        urgency: UrgencyWindow { within_days: 1 },
        recommended_actions: vec![
            "Run a forced (parked) DPF regeneration and check that it completes".to_owned(),
            "Clean or replace the DPF if the pressure drop stays high".to_owned(),
        ],
        estimated_cost: CostRange {
            min: 250.0,
            max: 2800.0,
            currency: "USD".to_owned(),
        },
        confidence: 0.86,
        reasoning: "pressure drop rising".to_owned(),
        agent: WorkerAgent::Aftertreatment,
        provider: "rules".to_owned(),
        model: "rules-v1".to_owned(),
        fallback_used: false,
        latency_ms: 1,
        tokens_in: 0,
        tokens_out: 0,
        cost_usd: 0.0,
        decided_at: Utc::now(),
        supersedes: None,
    }
}

/// A `plan` decision: routine brake wear at the vehicle's usual pace, to plan within
/// `within_days`.
pub(crate) fn plan(vehicle_id: &str, within_days: u32) -> DecisionMade {
    let mut d = decision(vehicle_id, Severity::Low);
    d.component = Component::Brakes;
    d.disposition = Disposition::Plan;
    d.agent = WorkerAgent::Brakes;
    d.diagnosis = format!(
        "Routine brake wear: pads wear at this vehicle's usual pace, about {} days to the limit.",
        within_days + 30
    );
    d.urgency = UrgencyWindow { within_days };
    d.recommended_actions = vec![format!("Plan a pad replacement within {within_days} days")];
    d.estimated_cost = CostRange {
        min: 180.0,
        max: 420.0,
        currency: "USD".to_owned(),
    };
    d
}

/// A decision on `vehicle_id`'s brakes with `disposition` (`monitor`: nothing to do).
pub(crate) fn brakes(
    vehicle_id: &str,
    severity: Severity,
    disposition: Disposition,
) -> DecisionMade {
    let mut d = decision(vehicle_id, severity);
    d.component = Component::Brakes;
    d.disposition = disposition;
    d
}

/// A `component.critical` of the DPF.
pub(crate) fn critical(vehicle_id: &str) -> ComponentCritical {
    ComponentCritical {
        org_id: ORG.to_owned(),
        vehicle_id: vehicle_id.to_owned(),
        component: Component::Dpf,
        score: 0.12,
        band: HealthBand::Critical,
        rul_days: 1.5,
        rul_km: Some(600.0),
        rul_interval_days: None,
        confidence: 0.8,
        factors: Vec::new(),
        dtcs: Vec::new(),
        odometer_km: Some(120_000.0),
        detected_at: Utc::now(),
    }
}

/// Wraps a payload as its producer would publish it.
pub(crate) fn envelope<P: Event>(producer: &str, payload: P) -> EventEnvelope<P> {
    EventEnvelope::new(producer, Uuid::now_v7(), payload)
}

impl TestApp {
    /// Adds a contact of `ORG` through the API; returns its id.
    pub(crate) async fn contact(&self, name: &str, role: &str, extra: Value) -> Uuid {
        let mut body = json!({"org_id": ORG, "name": name, "role": role});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        let r = self.post_as("/v1/contacts", &admin(), &body).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let v: Value = r.json().await.unwrap();
        v["contact_id"].as_str().unwrap().parse().unwrap()
    }

    /// The usual chain: an owner with every address, a fleet manager, an emergency
    /// contact (email only for the last two).
    pub(crate) async fn chain(&self) -> [Uuid; 3] {
        let owner = self
            .contact(
                "Olivia Owner",
                "owner",
                json!({"email": "owner@acme.test", "phone": "+15551230001", "push_token": "device-owner-1"}),
            )
            .await;
        let fm = self
            .contact(
                "Frank Manager",
                "fleet_manager",
                json!({"email": "fm@acme.test"}),
            )
            .await;
        let ec = self
            .contact(
                "Erin Emergency",
                "emergency_contact",
                json!({"email": "ec@acme.test"}),
            )
            .await;
        [owner, fm, ec]
    }

    /// Waits until the alert consumer has handled everything published and the relay
    /// has published every event.
    pub(crate) async fn wait_consumed(&self) {
        let (group, types) = (alert::events::GROUP, &alert::events::EVENT_TYPES);
        let within = Duration::from_secs(30);
        self.service.wait_caught_up(group, types, within).await;
    }

    /// Waits until the notice consumer of `source` has handled everything published.
    pub(crate) async fn wait_notices_consumed(&self, source: alert::events::notices::Source) {
        let within = Duration::from_secs(30);
        self.service
            .wait_caught_up(source.group, source.event_types, within)
            .await;
    }

    /// The single alert of a vehicle (waits up to 20 s for it).
    pub(crate) async fn alert_of(&self, vehicle_id: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let r = self
                .get_as(&format!("/v1/alerts?vehicle_id={vehicle_id}"), &admin())
                .await;
            let v: Value = r.json().await.unwrap();
            if let Some(a) = v["alerts"].as_array().and_then(|a| a.first()) {
                let id = a["alert_id"].as_str().unwrap().to_owned();
                return self
                    .get_as(&format!("/v1/alerts/{id}"), &admin())
                    .await
                    .json()
                    .await
                    .unwrap();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no alert for {vehicle_id}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The alert as served, with deliveries.
    pub(crate) async fn alert(&self, alert_id: &str) -> Value {
        self.get_as(&format!("/v1/alerts/{alert_id}"), &admin())
            .await
            .json()
            .await
            .unwrap()
    }

    /// Cancels the app and waits until it has stopped.
    pub(crate) async fn stop(self) {
        self.service.stop().await;
    }
}

/// The acknowledge link in an email's text.
pub(crate) fn ack_link(email: &Value) -> String {
    let text = email["text"].as_str().unwrap();
    let start = text
        .find("http://alert.test/v1/alerts/")
        .expect("an acknowledge link");
    text[start..].split_whitespace().next().unwrap().to_owned()
}

/// Deliveries of an alert (as served) with `channel` and `status`.
pub(crate) fn deliveries<'a>(alert: &'a Value, channel: &str, status: &str) -> Vec<&'a Value> {
    alert["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["channel"] == channel && d["status"] == status)
        .collect()
}

/// Waits until `cond` holds on the alert (re-read every 100 ms, at most `secs`).
pub(crate) async fn wait_alert(
    app: &TestApp,
    alert_id: &str,
    secs: u64,
    cond: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let a = app.alert(alert_id).await;
        if cond(&a) {
            return a;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "alert never reached the state: {a:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
