//! `spawn_app()`, tokens and requests.

use std::ops::Deref;
use std::time::Duration;

use scheduling::Config;
use shared_runtime::auth::Role;
use shared_runtime::testing;
use shared_runtime::testing::app::TestService;

pub(crate) const JWT_SECRET: &str = "integration-test-secret-0123456789abcdef";
pub(crate) const ORG: &str = "acme";

/// A running scheduling app.
pub(crate) struct TestApp(pub(crate) TestService);

impl Deref for TestApp {
    type Target = TestService;
    fn deref(&self) -> &TestService {
        &self.0
    }
}

/// The configuration a test app runs with (no health service: positions unknown).
pub(crate) fn test_config(database_url: &str, prefix: &str) -> Config {
    Config {
        common: testing::common_config(database_url, prefix, JWT_SECRET),
        health_url: None,
        health_timeout: Duration::from_millis(500),
        optimize_budget: Duration::from_millis(300),
        plans_every: Duration::from_secs(3600),
        inbox_retention_days: 14,
    }
}

/// A scheduling app on a fresh database and Redis prefix, with a tweaked configuration.
pub(crate) async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let database_url = testing::fresh_database("scheduling").await;
    let prefix = testing::unique_prefix("scheduling");
    let mut config = test_config(&database_url, &prefix);
    tweak(&mut config);
    let common = config.common.clone();
    TestApp(TestService::start(&common, |shutdown| scheduling::build(config, shutdown)).await)
}

/// A scheduling app with the test configuration.
pub(crate) async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

/// A token for `role` in organization `org`.
pub(crate) fn token(role: Role, org: &str, vehicles: &[&str]) -> String {
    testing::token(JWT_SECRET, "tester", role, org, vehicles)
}

/// A technician's token for the centers `centers`.
pub(crate) fn technician_token(sub: &str, centers: &[uuid::Uuid]) -> String {
    use shared_runtime::auth::{Claims, Jwt};
    let mut claims = Claims::new(sub, Role::Technician, ORG, chrono::Duration::hours(1));
    claims.center_ids = centers.iter().map(ToString::to_string).collect();
    Jwt::new(&shared_runtime::config::Secret::new(JWT_SECRET))
        .issue(&claims)
        .expect("sign a test token")
}

/// A fleet manager of [`ORG`].
pub(crate) fn manager() -> String {
    token(Role::FleetManager, ORG, &[])
}

/// What [`seed`] created.
#[derive(Debug, Clone)]
pub(crate) struct Seeded {
    /// Open around the clock, takes emergencies, has the parts.
    pub(crate) hub: uuid::Uuid,
    /// Open weekdays 07:00-19:00, no stock of its own.
    pub(crate) depot: uuid::Uuid,
    /// The hub's technicians (brakes + general; aftertreatment + engine).
    pub(crate) hub_techs: Vec<uuid::Uuid>,
    /// The depot's technician (everything).
    pub(crate) depot_tech: uuid::Uuid,
}

async fn created(response: reqwest::Response, what: &str) -> serde_json::Value {
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    assert_eq!(status, 201, "creating {what}: {body}");
    body
}

fn id_of(v: &serde_json::Value) -> uuid::Uuid {
    v["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("an id")
}

/// Two centers of [`ORG`] through the REST API: a 24/7 emergency hub with two
/// technicians on round-the-clock shifts and brake pads in stock, and a weekday depot
/// 15 km away with one technician and no stock (pads orderable in 48 h).
pub(crate) async fn seed(app: &TestApp) -> Seeded {
    let (hub, depot) = seed_centers(app).await;
    let (hub_techs, depot_tech) = seed_technicians(app, hub, depot).await;
    for (center, part, on_hand, lead) in [
        (hub, "brake_pad_set", 4, 24.0),
        (depot, "brake_pad_set", 0, 48.0),
        (hub, "oil_filter", 10, 24.0),
        (depot, "oil_filter", 4, 24.0),
    ] {
        let r = app
            .put_as(
                &format!("/v1/centers/{center}/stock/{part}"),
                &manager(),
                &serde_json::json!({"on_hand": on_hand, "lead_time_hours": lead}),
            )
            .await;
        assert!(r.status().is_success(), "stock: {}", r.status());
    }
    Seeded {
        hub,
        depot,
        hub_techs,
        depot_tech,
    }
}

async fn seed_centers(app: &TestApp) -> (uuid::Uuid, uuid::Uuid) {
    use serde_json::json;
    let fm = manager();
    let all_day: Vec<_> = (0..7)
        .map(|_| json!({"open": "00:00", "close": "24:00"}))
        .collect();
    let weekdays: Vec<_> = (0..7)
        .map(|d| {
            if d < 5 {
                json!({"open": "07:00", "close": "19:00"})
            } else {
                json!(null)
            }
        })
        .collect();
    let hub = created(
        app.post_as(
            "/v1/centers",
            &fm,
            &json!({
            "name": "Hub 24/7", "address": "1 Hub Road", "lat": 41.88, "lon": -87.63,
            "bays": 2, "hours": all_day, "specializations": ["brakes", "aftertreatment"],
            "emergency": true, "rating": 4.6}),
        )
        .await,
        "the hub",
    )
    .await;
    let depot = created(
        app.post_as(
            "/v1/centers",
            &fm,
            &json!({
            "name": "West Depot", "address": "9 Depot St", "lat": 41.88, "lon": -87.45,
            "bays": 1, "hours": weekdays, "specializations": ["general"],
            "emergency": false, "rating": 4.1}),
        )
        .await,
        "the depot",
    )
    .await;
    (id_of(&hub), id_of(&depot))
}

async fn seed_technicians(
    app: &TestApp,
    hub: uuid::Uuid,
    depot: uuid::Uuid,
) -> (Vec<uuid::Uuid>, uuid::Uuid) {
    use serde_json::json;
    let fm = manager();
    let round_the_clock: Vec<_> = (0..7)
        .map(|d| json!({"weekday": d, "start": "00:00", "end": "24:00"}))
        .collect();
    let office: Vec<_> = (0..5)
        .map(|d| json!({"weekday": d, "start": "07:00", "end": "19:00"}))
        .collect();
    let mut hub_techs = Vec::new();
    for (name, skills) in [
        ("Ana Brakes", json!(["brakes", "general", "tires"])),
        (
            "Bo Exhaust",
            json!(["aftertreatment", "engine", "electrical"]),
        ),
    ] {
        let t = created(
            app.post_as(
                "/v1/technicians",
                &fm,
                &json!({
                "center_id": hub, "name": name, "skills": skills, "user_id": format!("user-{name}"),
                "shifts": round_the_clock}),
            )
            .await,
            name,
        )
        .await;
        hub_techs.push(id_of(&t));
    }
    let depot_tech = id_of(
        &created(
            app.post_as("/v1/technicians", &fm, &json!({
                "center_id": depot, "name": "Cy Allround",
                "skills": ["brakes", "general", "tires", "engine", "electrical", "aftertreatment", "transmission"],
                "shifts": office})).await,
            "the depot technician",
        )
        .await,
    );
    (hub_techs, depot_tech)
}

/// An `agent.decision.made` for `vehicle_id`'s `component` at `severity`.
pub(crate) fn decision(
    vehicle_id: &str,
    component: shared_schemas::events::Component,
    severity: shared_schemas::events::Severity,
    within_days: u32,
) -> shared_schemas::EventEnvelope<shared_schemas::events::DecisionMade> {
    use shared_schemas::events::{
        CostRange, DecisionMade, Disposition, UrgencyWindow, WorkerAgent,
    };
    let payload = DecisionMade {
        decision_id: uuid::Uuid::now_v7(),
        org_id: ORG.to_owned(),
        vehicle_id: vehicle_id.to_owned(),
        component,
        diagnosis: "pads worn".to_owned(),
        severity,
        disposition: Disposition::Alert,
        urgency: UrgencyWindow { within_days },
        recommended_actions: vec!["replace pads".to_owned()],
        estimated_cost: CostRange {
            min: 300.0,
            max: 600.0,
            currency: "USD".to_owned(),
        },
        confidence: 0.9,
        reasoning: "test".to_owned(),
        agent: WorkerAgent::Brakes,
        provider: "rules".to_owned(),
        model: "rules-v1".to_owned(),
        fallback_used: false,
        latency_ms: 1,
        tokens_in: 0,
        tokens_out: 0,
        cost_usd: 0.0,
        decided_at: chrono::Utc::now(),
        supersedes: None,
    };
    shared_schemas::EventEnvelope::new("agent", uuid::Uuid::now_v7(), payload)
}

/// `GET path` as JSON, asserting 200.
pub(crate) async fn get_json(app: &TestApp, path: &str, token: &str) -> serde_json::Value {
    let r = app.get_as(path, token).await;
    let status = r.status();
    let body: serde_json::Value = r.json().await.unwrap_or_default();
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

/// `GET path` as a fleet manager, asserting 200 and a JSON array.
pub(crate) async fn get_list(app: &TestApp, path: &str) -> Vec<serde_json::Value> {
    let v = get_json(app, path, &manager()).await;
    v.as_array()
        .cloned()
        .unwrap_or_else(|| panic!("GET {path}: not a list: {v}"))
}
