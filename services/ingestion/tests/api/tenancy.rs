//! Tenant isolation: a vehicle belongs to one organization, another organization's
//! keys cannot report for it, and only an admin moves it. (That another organization's
//! ids answer like unknown ones, for every role and operation, is the RBAC matrix's
//! check: `rbac.rs`.)

use reqwest::Method;
use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_runtime::testing::{Credential, TestClient};

use crate::helpers::{ORG, TestApp, reading, spawn_app, token};

pub(crate) const OTHER: &str = "globex";

/// A device key of `org`, created by an admin.
pub(crate) async fn device_key(api: &TestClient, org: &str) -> (String, String) {
    let admin = token(Role::Admin, "platform", &[]);
    let created = api
        .post_as(
            "/v1/device-keys",
            &admin,
            &json!({"name": format!("gateway of {org}"), "org_id": org}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    (
        created.body["key"].as_str().unwrap().to_owned(),
        created.body["id"].as_str().unwrap().to_owned(),
    )
}

async fn post_reading(
    api: &TestClient,
    key: &str,
    body: &Value,
) -> shared_runtime::testing::Answer {
    api.call(
        Method::POST,
        "/v1/telemetry",
        &Credential::DeviceKey(key.to_owned()),
        Some(body),
    )
    .await
}

/// Two organizations with a reporting vehicle each: acme's `A-1` (the app's bootstrap
/// key) and globex's `G-1`. Returns the client and globex's key and key id.
pub(crate) async fn two_fleets(app: &TestApp) -> (TestClient, String, String) {
    let api = TestClient::new(app.address.clone());
    let (globex_key, globex_key_id) = device_key(&api, OTHER).await;
    let a = post_reading(&api, &app.device_key, &reading("A-1", "a1-r1", 60)).await;
    assert_eq!(a.status, 202, "{}", a.body);
    let g = post_reading(&api, &globex_key, &reading("G-1", "g1-r1", 60)).await;
    assert_eq!(g.status, 202, "{}", g.body);
    app.wait_audited(2).await;
    (api, globex_key, globex_key_id)
}

#[tokio::test]
async fn device_key_of_another_org_cannot_take_over_a_vehicle() {
    let app = spawn_app().await;
    let (api, globex_key, _) = two_fleets(&app).await;

    // One reading and a batch for acme's vehicle, with globex's key: refused, counted.
    let single = post_reading(&api, &globex_key, &reading("A-1", "takeover-1", 30)).await;
    assert_eq!(single.status, 422, "{}", single.body);
    assert_eq!(single.body["problems"][0]["field"], "vehicle_id");
    let batch = api
        .call(
            Method::POST,
            "/v1/telemetry/batch",
            &Credential::DeviceKey(globex_key.clone()),
            Some(&json!({"readings": [reading("A-1", "takeover-2", 20), reading("G-1", "g1-r2", 20)]})),
        )
        .await;
    assert_eq!(batch.status, 200, "{}", batch.body);
    assert_eq!(batch.body["rejected"], 1);
    assert_eq!(batch.body["accepted"], 1);
    assert_eq!(batch.body["results"][0]["status"], "rejected");
    app.wait_audited(3).await;

    // Nothing changed owner: acme still reads its vehicle, globex gets the 404 of an
    // unknown vehicle, and the registry still says acme.
    let acme = token(Role::FleetManager, ORG, &[]);
    let latest = api.get_as("/v1/vehicles/A-1/telemetry/latest", &acme).await;
    assert_eq!(latest.status, 200, "{}", latest.body);
    assert_eq!(latest.body["reading"]["reading_id"], "a1-r1");
    let globex = token(Role::FleetManager, OTHER, &[]);
    let theirs = api
        .get_as("/v1/vehicles/A-1/telemetry/latest", &globex)
        .await;
    let unknown = api
        .get_as("/v1/vehicles/NOPE-1/telemetry/latest", &globex)
        .await;
    assert_eq!((theirs.status, unknown.status), (404, 404));
    let owner: String = sqlx::query_scalar("SELECT org_id FROM vehicles WHERE vehicle_id = 'A-1'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(owner, ORG);
    // (The metrics recorder is per process: other tests of this binary count too.)
    let metrics = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let refusals: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("ingestion_foreign_vehicle_refusals_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("refusals not counted: {metrics}"));
    assert!(refusals >= 2.0, "{refusals}");
    // The refusals are on the rejected stream for analytics.
    let rejected = app.stream("vehicle.telemetry.rejected").await;
    assert_eq!(rejected.len(), 2);
}

#[tokio::test]
async fn a_vehicle_id_another_org_holds_cannot_be_registered() {
    let app = spawn_app().await;
    let (api, _, _) = two_fleets(&app).await;
    let globex = token(Role::FleetManager, OTHER, &[]);
    let taken = api
        .post_as("/v1/vehicles", &globex, &json!({"vehicle_id": "A-1"}))
        .await;
    assert_eq!(taken.status, 409, "{}", taken.body);
    assert!(!taken.body.to_string().contains(ORG), "{}", taken.body);
    let fresh = api
        .post_as(
            "/v1/vehicles",
            &globex,
            &json!({"vehicle_id": "G-2", "vin": "1m8gdm9axkp042788", "label": "Truck 2"}),
        )
        .await;
    assert_eq!(fresh.status, 201, "{}", fresh.body);
    assert_eq!(fresh.body["org_id"], OTHER);
    assert_eq!(fresh.body["vin"], "1M8GDM9AXKP042788");
    // Registered before any reading: acme's key cannot claim it.
    let claim = post_reading(&api, &app.device_key, &reading("G-2", "g2-r1", 10)).await;
    assert_eq!(claim.status, 422, "{}", claim.body);
    let listed = api.get_as("/v1/vehicles", &globex).await;
    let ids: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["vehicle_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["G-1", "G-2"]);
}

#[tokio::test]
async fn an_admin_transfer_moves_the_vehicle_and_keeps_old_readings_with_their_org() {
    let app = spawn_app().await;
    let (api, globex_key, _) = two_fleets(&app).await;
    let acme = token(Role::FleetManager, ORG, &[]);
    let manager_transfer = api
        .post_as(
            "/v1/vehicles/A-1/transfers",
            &acme,
            &json!({"to_org_id": OTHER, "reason": "sold"}),
        )
        .await;
    assert_eq!(manager_transfer.status, 403, "{}", manager_transfer.body);

    let admin = token(Role::Admin, "platform", &[]);
    let moved = api
        .post_as(
            "/v1/vehicles/A-1/transfers",
            &admin,
            &json!({"to_org_id": OTHER, "reason": "sold to Globex, contract 17"}),
        )
        .await;
    assert_eq!(moved.status, 201, "{}", moved.body);
    assert_eq!(moved.body["from_org_id"], ORG);
    let again = api
        .post_as(
            "/v1/vehicles/A-1/transfers",
            &admin,
            &json!({"to_org_id": OTHER, "reason": "twice"}),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);

    // The move is announced (through the outbox) for health and analytics.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let event = loop {
        if let Some(e) = app.stream("vehicle.ownership.transferred").await.first() {
            break crate::helpers::envelope(e);
        }
        assert!(tokio::time::Instant::now() < deadline, "no transfer event");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(event["payload"]["to_org_id"], OTHER);
    assert_eq!(event["vehicle_id"], "A-1");

    // New readings come from globex now; acme's key is refused.
    let from_globex = post_reading(&api, &globex_key, &reading("A-1", "a1-r2", 10)).await;
    assert_eq!(from_globex.status, 202, "{}", from_globex.body);
    let from_acme = post_reading(&api, &app.device_key, &reading("A-1", "a1-r3", 5)).await;
    assert_eq!(from_acme.status, 422, "{}", from_acme.body);
    app.wait_audited(3).await;
    // Each organization sees the readings its keys sent, no more.
    let globex = token(Role::FleetManager, OTHER, &[]);
    let old = api.get_as("/v1/vehicles/A-1/telemetry", &acme).await;
    let new = api.get_as("/v1/vehicles/A-1/telemetry", &globex).await;
    let ids = |a: &shared_runtime::testing::Answer| -> Vec<String> {
        a.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["reading"]["reading_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&old), ["a1-r1"]);
    assert_eq!(ids(&new), ["a1-r2"]);
    let history = api.get_as("/v1/vehicles/A-1/transfers", &admin).await;
    assert_eq!(history.body.as_array().unwrap().len(), 1);
}
