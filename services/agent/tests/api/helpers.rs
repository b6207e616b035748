//! `spawn_app()`, events, publishing and waiting.

use std::ops::Deref;
use std::time::Duration;

use agent::Config;
use agent::config::LlmConfig;
use chrono::Utc;
use serde_json::Value;
use shared_runtime::auth::Role;
use shared_runtime::config::Secret;
use shared_runtime::testing;
use shared_runtime::testing::app::TestService;
use shared_schemas::events::{Component, ComponentDegraded, Factor, HealthBand};
use shared_schemas::telemetry::Dtc;
use shared_schemas::{Event, EventEnvelope};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub(crate) const JWT_SECRET: &str = "integration-test-secret-0123456789abcdef";
pub(crate) const ORG: &str = "acme";
/// Nothing listens there: the health service is down unless a test says otherwise.
pub(crate) const NO_HEALTH: &str = "http://127.0.0.1:9";

/// A running agent app and handles on what it writes.
pub(crate) struct TestApp(TestService);

impl Deref for TestApp {
    type Target = TestService;
    fn deref(&self) -> &TestService {
        &self.0
    }
}

/// The configuration a test app runs with (rules only, health service down).
pub(crate) fn test_config(database_url: &str, prefix: &str) -> Config {
    Config {
        common: testing::common_config(database_url, prefix, JWT_SECRET),
        llm: None,
        health_url: NO_HEALTH.to_owned(),
        scheduling_url: None,
        warranty_url: None,
        tool_timeout: Duration::from_millis(500),
        concurrency: 8,
        batch: 64,
        consumers: 4,
        reclaim_idle: Duration::from_secs(30),
        currency: "USD".to_owned(),
        inbox_retention_days: 14,
        review_min_window: Duration::from_secs(3_600),
        review_check_every: Duration::from_millis(200),
    }
}

/// Provider settings pointing at a test server, with short timeouts.
pub(crate) fn llm_config(base_url: &str) -> LlmConfig {
    let mut c = LlmConfig::new(
        base_url.to_owned(),
        "fake-model-1".to_owned(),
        Some(Secret::new("sk-test-never-logged")),
    );
    c.provider = "fake-llm".to_owned();
    c.call_timeout = Duration::from_millis(800);
    c.deadline = Duration::from_secs(4);
    c.backoff = Duration::from_millis(50);
    c.price_in_per_1k = 0.5;
    c.price_out_per_1k = 1.5;
    c
}

/// An agent app on a fresh database and Redis prefix, with a tweaked configuration.
pub(crate) async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let database_url = testing::fresh_database("agent").await;
    let prefix = testing::unique_prefix("agent");
    let mut config = test_config(&database_url, &prefix);
    tweak(&mut config);
    spawn_config(config).await
}

/// An agent app deciding with the rules.
pub(crate) async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

/// An agent app with exactly this configuration.
pub(crate) async fn spawn_config(config: Config) -> TestApp {
    let common = config.common.clone();
    TestApp(TestService::start(&common, |shutdown| agent::build(config, shutdown)).await)
}

/// A token for `role` in organization `org`.
pub(crate) fn token(role: Role, org: &str, vehicles: &[&str]) -> String {
    testing::token(JWT_SECRET, "tester", role, org, vehicles)
}

/// A `component.degraded` payload of a clogging DPF, as the health engine words it.
pub(crate) fn dpf_degraded(vehicle_id: &str, rul_days: f64) -> ComponentDegraded {
    ComponentDegraded {
        org_id: ORG.to_owned(),
        vehicle_id: vehicle_id.to_owned(),
        component: Component::Dpf,
        score: 0.31,
        band: HealthBand::Poor,
        rul_days,
        rul_km: Some(rul_days * 420.0),
        rul_interval_days: None,
        confidence: 0.86,
        factors: vec![
            Factor {
                name: "dpf_restriction_trend_per_day".to_owned(),
                value: 0.052,
                impact: -0.69,
                detail: format!(
                    "dpf_restriction damage rising 5.20 %/day (t = 9.4); limit in about {rul_days:.0} days"
                ),
                part: Some("dpf_restriction".to_owned()),
                damage: Some(0.62),
                t_stat: Some(9.4),
                ..Factor::default()
            },
            Factor {
                name: "dpf_dp_at_highway_flow_kpa".to_owned(),
                value: 19.4,
                impact: -0.62,
                detail: "dpf_restriction: 19.400 against a baseline of 10.200 (limit 25.000), 62 % of the way".to_owned(),
                part: Some("dpf_restriction".to_owned()),
                baseline: Some(10.2),
                limit: Some(25.0),
                damage: Some(0.62),
                ..Factor::default()
            },
        ],
        dtcs: vec![Dtc::Obd {
            code: "P2463".to_owned(),
        }],
        odometer_km: Some(184_220.0),
        detected_at: Utc::now(),
    }
}

/// A `component.degraded` with nothing but the score (weak evidence: escalated).
pub(crate) fn bare_degraded(vehicle_id: &str, component: Component) -> ComponentDegraded {
    ComponentDegraded {
        org_id: ORG.to_owned(),
        vehicle_id: vehicle_id.to_owned(),
        component,
        score: 0.35,
        band: HealthBand::Poor,
        rul_days: 30.0,
        rul_km: None,
        rul_interval_days: None,
        confidence: 0.4,
        factors: Vec::new(),
        dtcs: Vec::new(),
        odometer_km: None,
        detected_at: Utc::now(),
    }
}

/// Wraps a payload as the health service would publish it.
pub(crate) fn envelope<P: Event>(payload: P) -> EventEnvelope<P> {
    let mut e = EventEnvelope::new("health", Uuid::now_v7(), payload);
    e.causation_id = Some(Uuid::now_v7());
    e
}

impl TestApp {
    /// Decisions recorded.
    pub(crate) async fn decision_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM decisions")
            .fetch_one(&self.db)
            .await
            .unwrap()
    }

    /// Waits until the consumer has handled everything and the relay has published
    /// every event (fails after 90 s).
    pub(crate) async fn wait_caught_up(&self) {
        let types = &agent::events::consumer::EVENT_TYPES;
        let within = Duration::from_secs(90);
        self.0
            .wait_caught_up(agent::events::GROUP, types, within)
            .await;
    }

    /// The stored decision of a trigger, as served JSON.
    pub(crate) async fn decision_of(&self, trigger: Uuid) -> Value {
        let row: (Value,) =
            sqlx::query_as("SELECT record FROM decisions WHERE trigger_event_id = $1")
                .bind(trigger)
                .fetch_one(&self.db)
                .await
                .unwrap();
        row.0
    }

    /// Cancels the app and waits until it has stopped.
    pub(crate) async fn stop(self) {
        self.0.stop().await;
    }
}

/// The real health service, running on its own fresh database and the given Redis
/// prefix until dropped.
pub(crate) struct RunningHealth {
    pub(crate) url: String,
    pub(crate) db_url: String,
    _stop: tokio_util::sync::DropGuard,
}

pub(crate) async fn spawn_health(prefix: &str) -> RunningHealth {
    let shutdown = CancellationToken::new();
    let db_url = testing::fresh_database("health").await;
    let config = health::Config {
        common: shared_runtime::config::CommonConfig {
            db_max_connections: 4,
            ..testing::common_config(&db_url, prefix, JWT_SECRET)
        },
        batch: 1_000,
        computed_every: Duration::from_secs(60),
        model_path: None,
        reclaim_idle: Duration::from_secs(5),
        cache_vehicles: 100,
        maintenance_every: Duration::from_secs(3_600),
        history_retention_days: 36_500,
    };
    let app = health::build(config, shutdown.clone())
        .await
        .expect("build health");
    let url = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run());
    RunningHealth {
        url,
        db_url,
        _stop: shutdown.drop_guard(),
    }
}
