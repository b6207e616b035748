//! The tools over the real scheduling and warranty services: a model asks what could
//! be booked, what is booked and which claims the vehicle has; each answer names only
//! the case's organization; a service that is down leaves the decision degraded, never
//! failed.

use std::time::Duration;

use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_runtime::testing;
use shared_runtime::testing::app::TestService;

use crate::helpers::{
    JWT_SECRET, ORG, TestApp, dpf_degraded, envelope, llm_config, spawn_with, token,
};
use crate::llm_server::{LlmServer, Reply};

const VEHICLE: &str = "VH-S1";
const VIN: &str = "1HGCM82633A004352";

/// A real service on its own database, sharing the agent's token secret.
struct Running {
    url: String,
    _app: TestService,
}

async fn scheduling() -> Running {
    let db = testing::fresh_database("scheduling").await;
    let prefix = testing::unique_prefix("scheduling");
    let config = scheduling::Config {
        common: testing::common_config(&db, &prefix, JWT_SECRET),
        health_url: None,
        health_timeout: Duration::from_millis(500),
        optimize_budget: Duration::from_millis(300),
        plans_every: Duration::from_secs(3600),
        inbox_retention_days: 14,
    };
    let common = config.common.clone();
    let app = TestService::start(&common, |s| scheduling::build(config, s)).await;
    Running {
        url: app.address.clone(),
        _app: app,
    }
}

async fn warranty() -> Running {
    let db = testing::fresh_database("warranty").await;
    let prefix = testing::unique_prefix("warranty");
    let config = warranty::Config {
        common: testing::common_config(&db, &prefix, JWT_SECRET),
        data_dir: std::env::temp_dir().join(format!("agent-{}", prefix.trim_end_matches(':'))),
        health_url: None,
        ingestion_url: None,
        alert_url: None,
        scheduling_url: None,
        lookup_timeout: Duration::from_millis(500),
        max_attachment_bytes: 1 << 20,
        qdrant_url: None,
        inbox_retention_days: 14,
        retry_after: Duration::from_secs(60),
        retry_max_attempts: 5,
    };
    let common = config.common.clone();
    let app = TestService::start(&common, |s| warranty::build(config, s)).await;
    Running {
        url: app.address.clone(),
        _app: app,
    }
}

async fn call(base: &str, method: reqwest::Method, path: &str, who: &str, body: &Value) -> Value {
    let r = reqwest::Client::new()
        .request(method.clone(), format!("{base}{path}"))
        .bearer_auth(who)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap_or_default();
    assert!(status.is_success(), "{method} {path}: {status} {v}");
    v
}

/// A 24/7 center of `org` with an aftertreatment technician and a DPF in stock.
async fn seed_center(s: &Running, org: &str, name: &str) {
    let fm = token(Role::FleetManager, org, &[]);
    let day = json!({"open": "00:00", "close": "24:00"});
    let center = call(
        &s.url,
        reqwest::Method::POST,
        "/v1/centers",
        &fm,
        &json!({
        "name": name, "lat": 41.88, "lon": -87.63, "bays": 1, "emergency": true,
        "hours": [day, day, day, day, day, day, day]}),
    )
    .await;
    let id = center["id"].as_str().unwrap().to_owned();
    let shifts: Vec<Value> = (0..7)
        .map(|d| json!({"weekday": d, "start": "00:00", "end": "24:00"}))
        .collect();
    call(
        &s.url,
        reqwest::Method::POST,
        "/v1/technicians",
        &fm,
        &json!({
        "center_id": id, "name": format!("{name} tech"), "skills": ["aftertreatment"],
        "shifts": shifts}),
    )
    .await;
    call(
        &s.url,
        reqwest::Method::PUT,
        &format!("/v1/centers/{id}/stock/dpf_filter"),
        &fm,
        &json!({"on_hand": 2, "lead_time_hours": 24}),
    )
    .await;
}

/// `vehicle`'s contract in `org` and one claim described as `description`.
async fn seed_claim(w: &Running, org: &str, vehicle: &str, description: &str) {
    let fm = token(Role::FleetManager, org, &[]);
    let start = (chrono::Utc::now() - chrono::Duration::days(200)).date_naive();
    call(
        &w.url,
        reqwest::Method::PUT,
        &format!("/v1/contracts/{vehicle}"),
        &fm,
        &json!({
        "vin": VIN, "start_date": start, "start_odometer_km": 1000.0, "deductible": 100.0,
        "currency": "USD"}),
    )
    .await;
    call(
        &w.url,
        reqwest::Method::POST,
        "/v1/claims",
        &fm,
        &json!({
        "vehicle_id": vehicle, "vin": VIN, "component": "dpf",
        "failure_date": (chrono::Utc::now() - chrono::Duration::days(30)).date_naive(),
        "odometer_km": 30_000.0, "description": description,
        "shop": {"id": "SHOP-1", "name": "Corner garage", "region": "US-IL"},
        "cost": {"parts": [{"part": "dpf_filter", "quantity": 1, "unit_price": 2400.0}],
                 "labour_hours": 4.5, "labour_rate": 100.0, "currency": "USD"}}),
    )
    .await;
}

/// The model asks for booking options, open appointments and claims, then decides.
fn script() -> Vec<Reply> {
    vec![
        Reply::Tools(vec![
            (
                "get_booking_options",
                r#"{"severity": "high", "within_days": 3}"#,
            ),
            ("get_open_appointments", "{}"),
            ("get_warranty_claims", "{}"),
        ]),
        Reply::Answer,
    ]
}

async fn agent(server: &LlmServer, scheduling_url: &str, warranty_url: &str) -> TestApp {
    let mut llm = llm_config(&server.base_url);
    llm.deadline = Duration::from_secs(30);
    let (s, w) = (scheduling_url.to_owned(), warranty_url.to_owned());
    spawn_with(move |c| {
        c.llm = Some(llm);
        c.scheduling_url = Some(s);
        c.warranty_url = Some(w);
        c.tool_timeout = Duration::from_secs(5);
    })
    .await
}

/// Decides one clogging-DPF event of [`VEHICLE`]; the decision and the tool results
/// the model was given, by tool name.
async fn decide(app: &TestApp, server: &LlmServer) -> (Value, Vec<(String, Value)>) {
    let e = envelope(dpf_degraded(VEHICLE, 6.0));
    app.publish(std::slice::from_ref(&e)).await;
    app.wait_caught_up().await;
    let d = app.decision_of(e.event_id).await;
    let calls = server.calls();
    let messages = calls[1].body["messages"].as_array().unwrap().clone();
    let asked = calls[0].body["tools"].as_array().unwrap().len();
    assert_eq!(asked, 6, "every tool is offered");
    let names: Vec<String> = d["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tool"].as_str().unwrap().to_owned())
        .collect();
    let results = messages
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| serde_json::from_str(m["content"].as_str().unwrap()).unwrap())
        .zip(names)
        .map(|(v, n)| (n, v))
        .collect();
    (d, results)
}

#[tokio::test]
async fn the_model_sees_capacity_bookings_and_claims_of_its_own_organization_only() {
    let (s, w) = tokio::join!(scheduling(), warranty());
    seed_center(&s, ORG, "Acme hub").await;
    seed_center(&s, "globex", "Globex hub").await;
    seed_claim(
        &w,
        ORG,
        VEHICLE,
        "DPF replaced after repeated regeneration failures",
    )
    .await;
    seed_claim(&w, ORG, "VH-S2", "another vehicle's DPF").await;
    let server = LlmServer::sequence(script()).await;
    let app = agent(&server, &s.url, &w.url).await;
    let (d, results) = decide(&app, &server).await;
    assert!(
        d["tool_calls"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["ok"] == true),
        "{d:#}"
    );
    let [(_, options), (_, booked), (_, claims)] = &results[..] else {
        panic!("three tool results: {results:?}");
    };
    assert_eq!(options["skill"], "aftertreatment", "{options:#}");
    assert_eq!(
        options["options"][0]["center_name"], "Acme hub",
        "{options:#}"
    );
    assert!(!options.to_string().contains("Globex"), "{options:#}");
    assert_eq!(booked["appointments"], json!([]), "{booked:#}");
    let claims = claims["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 1, "the vehicle's claim only: {claims:#?}");
    assert!(claims[0].get("cost").is_none() && claims[0].get("assessment").is_none());
    assert_eq!(claims[0]["component"], "dpf");
    assert!(
        claims[0]["description"]
            .as_str()
            .unwrap()
            .contains("regeneration")
    );
    // Asking books nothing: the decision's own booking follows its event.
    assert_eq!(d["fallback_used"], false);
}

#[tokio::test]
async fn services_that_are_down_leave_the_decision_degraded_not_failed() {
    let server = LlmServer::sequence(script()).await;
    let app = agent(&server, "http://127.0.0.1:9", "http://127.0.0.1:9").await;
    let (d, results) = decide(&app, &server).await;
    assert_eq!(results.len(), 3);
    for (tool, content) in &results {
        assert_eq!(content["available"], false, "{tool}: {content}");
    }
    assert!(
        d["tool_calls"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["ok"] == false),
        "{d:#}"
    );
    assert_eq!(d["fallback_used"], false, "the model still decided: {d:#}");
    assert_eq!(d["failure_mode"], "dpf_clogging");
}
