//! The REST API: scope, admin-only recompute, validation, history downsampling and the
//! fleet summary.

use std::time::Duration;

use fleetsim::profile::DutyProfile;
use models::health::{Reported, VehicleState};
use serde_json::Value;
use shared_runtime::auth::Role;
use shared_runtime::testing;

use crate::helpers::{
    ORG, TestApp, received, simulate, spawn_config, spawn_with, test_config, token,
};

const OTHER_ORG: &str = "globex";
/// Two vehicles of acme (the first with a clogging DPF) and one of globex.
const V1: &str = "VH-000001";
const V2: &str = "VH-000002";
const V3: &str = "VH-000003";

/// An app whose every batch (of 50) publishes `vehicle.health.computed` and history,
/// fed with the three vehicles.
async fn populated() -> TestApp {
    let app = spawn_with(|c| {
        c.batch = 50;
        c.computed_every = Duration::ZERO;
    })
    .await;
    feed(&app).await;
    app
}

async fn feed(app: &TestApp) {
    let mut events = Vec::new();
    for r in simulate(6, 0, DutyProfile::UrbanDelivery, 12, 300, true) {
        events.push(received(&r, ORG));
    }
    for r in simulate(6, 1, DutyProfile::CarCommuter, 4, 600, false) {
        events.push(received(&r, ORG));
    }
    for r in simulate(6, 2, DutyProfile::Regional, 4, 600, false) {
        events.push(received(&r, OTHER_ORG));
    }
    app.publish(&events).await;
    app.wait_caught_up().await;
}

async fn status(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    let resp = app.get_as(path, token).await;
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn reads_are_authenticated_and_scoped_out_of_scope_is_404() {
    let app = populated().await;
    let path = format!("/v1/vehicles/{V1}/health");
    let none = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(none.json::<Value>().await.unwrap()["code"], "unauthorized");
    let (s, _) = status(&app, &path, "not-a-token").await;
    assert_eq!(s, 401);

    let manager = token(Role::FleetManager, ORG, &[]);
    let (s, body) = status(&app, &path, &manager).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["vehicle_id"], V1);
    assert!(!body["components"].as_array().unwrap().is_empty());
    // Another organization's vehicle looks exactly like an unknown one.
    let (s, other) = status(&app, &format!("/v1/vehicles/{V3}/health"), &manager).await;
    let (s2, unknown) = status(&app, "/v1/vehicles/VH-999999/health", &manager).await;
    assert_eq!((s, s2), (404, 404));
    assert_eq!(other["code"], "not_found");
    assert_eq!(
        other["message"].as_str().unwrap().replace(V3, "X"),
        unknown["message"]
            .as_str()
            .unwrap()
            .replace("VH-999999", "X")
    );
    for sub in ["/health/dpf", "/health/history"] {
        let (s, _) = status(&app, &format!("/v1/vehicles/{V3}{sub}"), &manager).await;
        assert_eq!(s, 404, "{sub}");
    }

    // An owner sees their vehicles only.
    let owner = token(Role::Owner, ORG, &[V1]);
    assert_eq!(status(&app, &path, &owner).await.0, 200);
    let (s, _) = status(&app, &format!("/v1/vehicles/{V2}/health"), &owner).await;
    assert_eq!(s, 404);
    let (s, _) = status(&app, &format!("/v1/vehicles/{V2}/health/history"), &owner).await;
    assert_eq!(s, 404);

    // Admins and the other organization's staff see globex's vehicle.
    let admin = token(Role::Admin, "platform", &[]);
    assert_eq!(
        status(&app, &format!("/v1/vehicles/{V3}/health"), &admin)
            .await
            .0,
        200
    );
    let support = token(Role::Support, OTHER_ORG, &[]);
    assert_eq!(
        status(&app, &format!("/v1/vehicles/{V3}/health"), &support)
            .await
            .0,
        200
    );

    // One component.
    let (s, dpf) = status(&app, &format!("/v1/vehicles/{V1}/health/dpf"), &manager).await;
    assert_eq!(s, 200, "{dpf}");
    assert_eq!(dpf["component"], "dpf");
    assert_eq!(dpf["vehicle_id"], V1);
    assert!(dpf["rul_days"].is_number() && dpf["confidence"].is_number());
    assert!(dpf["model_version"].is_string() && dpf["factors"].is_array());
    // A car has no DPF.
    let (s, body) = status(&app, &format!("/v1/vehicles/{V2}/health/dpf"), &manager).await;
    assert_eq!(s, 404, "{body}");
}

#[tokio::test]
async fn malformed_input_is_400_naming_the_problem() {
    let app = populated().await;
    let manager = token(Role::FleetManager, ORG, &[]);
    let cases = [
        (format!("/v1/vehicles/{V1}/health/flux"), ["flux", "dpf"]),
        (
            format!("/v1/vehicles/{V1}/health/history?component=flux"),
            ["flux", "engine_oil"],
        ),
        (
            format!(
                "/v1/vehicles/{V1}/health/history?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z"
            ),
            ["`from`", "`to`"],
        ),
        (
            format!("/v1/vehicles/{V1}/health/history?from=yesterday"),
            ["from", "from"],
        ),
        (
            format!("/v1/vehicles/{V1}/health/history?bucket=7x"),
            ["`bucket`", "1h"],
        ),
        (
            format!("/v1/vehicles/{V1}/health/history?bucket=30s"),
            ["`bucket`", "too fine"],
        ),
        (
            format!(
                "/v1/vehicles/{V1}/health/history?from=2025-12-01T00:00:00Z&to=2026-01-01T00:00:00Z&bucket=1h&points=10"
            ),
            ["`bucket`", "`points`"],
        ),
        (
            format!("/v1/vehicles/{V1}/health/history?points=0"),
            ["`points`", "5000"],
        ),
        (
            format!("/v1/vehicles/{V1}/health/history?points=many"),
            ["points", "points"],
        ),
        (
            "/v1/fleet/health/summary?top=abc".to_owned(),
            ["top", "top"],
        ),
        (
            "/v1/fleet/health/summary?top=1000".to_owned(),
            ["`top`", "100"],
        ),
        ("/v1/fleet/health/summary?top=-1".to_owned(), ["top", "top"]),
    ];
    for (path, needles) in cases {
        let (s, body) = status(&app, &path, &manager).await;
        assert_eq!(s, 400, "{path}: {body}");
        assert_eq!(body["code"], "bad_request", "{path}");
        let message = body["message"].as_str().unwrap();
        for n in needles {
            assert!(message.contains(n), "{path}: {message:?} does not name {n}");
        }
    }
}

#[tokio::test]
async fn history_is_downsampled_to_at_most_the_requested_points_in_time_order() {
    let app = populated().await;
    let manager = token(Role::FleetManager, ORG, &[]);
    let range = "from=2025-12-15T00:00:00Z&to=2026-01-01T00:00:00Z";
    let (s, raw) = status(
        &app,
        &format!("/v1/vehicles/{V1}/health/history?{range}&bucket=raw&points=5000"),
        &manager,
    )
    .await;
    assert_eq!(s, 200, "{raw}");
    let dpf_raw = raw["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["component"] == "dpf")
        .unwrap()["points"]
        .as_array()
        .unwrap()
        .len();
    assert!(dpf_raw > 12, "only {dpf_raw} history rows");

    for (query, max) in [
        ("points=5", 5),
        ("points=12", 12),
        ("bucket=1d&points=20", 20),
        ("bucket=P1D&points=17", 17),
        ("component=dpf&bucket=6h&points=100", 100),
    ] {
        let (s, body) = status(
            &app,
            &format!("/v1/vehicles/{V1}/health/history?{range}&{query}"),
            &manager,
        )
        .await;
        assert_eq!(s, 200, "{query}: {body}");
        let series = body["series"].as_array().unwrap();
        assert!(!series.is_empty(), "{query}");
        for s in series {
            let points = s["points"].as_array().unwrap();
            assert!(
                !points.is_empty() && points.len() <= max,
                "{query}: {} points",
                points.len()
            );
            let times: Vec<&str> = points.iter().map(|p| p["at"].as_str().unwrap()).collect();
            assert!(times.windows(2).all(|w| w[0] < w[1]), "{query}: {times:?}");
            let total: i64 = points.iter().map(|p| p["samples"].as_i64().unwrap()).sum();
            if s["component"] == "dpf" {
                assert_eq!(total as usize, dpf_raw, "{query}: every record in a bucket");
            }
            for p in points {
                assert!(p["score_min"].as_f64().unwrap() <= p["score"].as_f64().unwrap() + 1e-9);
            }
        }
        if query.starts_with("component") {
            assert_eq!(series.len(), 1);
            assert_eq!(body["bucket"], "6h");
        }
    }
    // Raw rows beyond the requested points are refused, not cut.
    let (s, body) = status(
        &app,
        &format!("/v1/vehicles/{V1}/health/history?{range}&bucket=raw&points=3"),
        &manager,
    )
    .await;
    assert_eq!(s, 400, "{body}");
}

#[tokio::test]
async fn fleet_summary_counts_bands_and_lists_the_most_at_risk() {
    let app = populated().await;
    let admin = token(Role::Admin, "platform", &[]);
    let (s, all) = status(&app, "/v1/fleet/health/summary", &admin).await;
    assert_eq!(s, 200, "{all}");
    assert_eq!(all["vehicles"], 3);
    assert!(all.get("org_id").is_none());
    let sum = |counts: &Value| -> i64 {
        counts
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_i64().unwrap())
            .sum()
    };
    assert_eq!(sum(&all["overall"]), 3);
    assert_eq!(all["components"].as_object().unwrap().len(), 8);
    assert_eq!(sum(&all["components"]["dpf"]), 2, "two trucks have a DPF");
    let risk = all["at_risk"].as_array().unwrap();
    assert_eq!(risk.len(), 3);
    let scores: Vec<f64> = risk
        .iter()
        .map(|v| v["overall_score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] <= w[1]), "{scores:?}");
    assert_eq!(
        risk[0]["worst_component"]["score"].as_f64().unwrap(),
        scores[0],
        "the worst component makes the overall score"
    );

    let manager = token(Role::FleetManager, ORG, &[]);
    let (_, acme) = status(&app, "/v1/fleet/health/summary?top=1", &manager).await;
    assert_eq!(acme["org_id"], ORG);
    assert_eq!(acme["vehicles"], 2);
    assert_eq!(acme["at_risk"].as_array().unwrap().len(), 1);
    assert!(acme["at_risk"][0]["vehicle_id"] != V3);
    let owner = token(Role::Owner, ORG, &[V2]);
    let (_, mine) = status(&app, "/v1/fleet/health/summary?top=0", &owner).await;
    assert_eq!(mine["vehicles"], 1);
    assert!(mine["at_risk"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn recompute_is_admin_only_and_reports_what_a_new_model_changed() {
    let database_url = testing::fresh_database("health").await;
    let prefix = testing::unique_prefix("health");
    let mut config = test_config(&database_url, &prefix);
    config.batch = 50;
    let app = spawn_config(config).await;
    feed(&app).await;

    for role in [
        Role::FleetManager,
        Role::Owner,
        Role::Support,
        Role::Service,
    ] {
        let t = token(role, ORG, &[V1]);
        let resp = app
            .post_as(&format!("/v1/vehicles/{V1}/health/recompute"), &t)
            .await;
        assert_eq!(resp.status(), 403, "{role:?}");
        assert_eq!(resp.json::<Value>().await.unwrap()["code"], "forbidden");
        assert_eq!(app.post_as("/v1/health/recompute", &t).await.status(), 403);
    }
    let admin = token(Role::Admin, "platform", &[]);
    assert_eq!(
        app.post_as("/v1/vehicles/VH-999999/health/recompute", &admin)
            .await
            .status(),
        404
    );
    // The same model: nothing changes.
    let resp = app
        .post_as(&format!("/v1/vehicles/{V1}/health/recompute"), &admin)
        .await;
    assert_eq!(resp.status(), 200);
    let same: Value = resp.json().await.unwrap();
    assert_eq!(
        same["model_version"], same["previous_model_version"],
        "{same}"
    );
    assert_eq!(same["transitions"], Value::Array(vec![]), "{same}");

    // Another writer (think: a replica with an older model) leaves V1's report
    // tracker as if nothing had been announced: recompute announces the DPF again.
    let (version, head): (i64, Vec<u8>) =
        sqlx::query_as("SELECT version, head FROM vehicles WHERE vehicle_id = $1")
            .bind(V1)
            .fetch_one(&app.db)
            .await
            .unwrap();
    let mut state = VehicleState::restore(&head, []).unwrap();
    state.head.reported = Reported::default();
    sqlx::query("UPDATE vehicles SET head = $2, version = $3 WHERE vehicle_id = $1")
        .bind(V1)
        .bind(state.encode_head())
        .bind(version + 1)
        .execute(&app.db)
        .await
        .unwrap();
    let correlation = uuid::Uuid::now_v7();
    let resp = app
        .client
        .post(app.url(&format!("/v1/vehicles/{V1}/health/recompute")))
        .bearer_auth(&admin)
        .header("x-correlation-id", correlation.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    let kinds: Vec<(&str, &str)> = body["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["component"].as_str().unwrap(),
                t["kind"].as_str().unwrap(),
            )
        })
        .collect();
    for expected in [("dpf", "changed"), ("dpf", "degraded"), ("dpf", "critical")] {
        assert!(kinds.contains(&expected), "{expected:?} not in {kinds:?}");
    }
    app.wait_caught_up().await;
    for (stream, kind) in [
        ("vehicle.health.changed", "changed"),
        ("component.degraded", "degraded"),
        ("component.critical", "critical"),
    ] {
        let announced: Vec<Value> = app
            .stream(stream)
            .await
            .into_iter()
            .filter(|e| e["correlation_id"] == correlation.to_string())
            .collect();
        assert_eq!(
            announced.len(),
            kinds.iter().filter(|(_, k)| *k == kind).count(),
            "{stream}"
        );
        assert!(announced.iter().all(|e| e.get("causation_id").is_none()));
    }
    let before = app.stored(V1).await;
    app.stop().await;

    // A new model artifact (HEALTH_MODEL_PATH): recompute reports the versions.
    let bundled = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/artifacts/health-rul.json"
    ))
    .unwrap();
    let mut model: Value = serde_json::from_str(&bundled).unwrap();
    model["version"] = "test-model-v2".into();
    let path = std::env::temp_dir().join(format!("health-model-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&path, model.to_string()).unwrap();
    let mut config = test_config(&database_url, &prefix);
    config.model_path = Some(path.clone());
    let app = spawn_config(config).await;
    let computed_before = app.stream("vehicle.health.computed").await.len();
    let resp = app
        .post_as(&format!("/v1/vehicles/{V1}/health/recompute"), &admin)
        .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["model_version"], "test-model-v2", "{body}");
    assert_eq!(body["previous_model_version"], before["model_version"]);
    assert_eq!(body["health"]["model_version"], "test-model-v2");
    assert!(
        body["health"]["components"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["model_version"] == "test-model-v2")
    );
    app.wait_caught_up().await;
    let computed = app.stream("vehicle.health.computed").await;
    assert_eq!(
        computed.len(),
        computed_before + 1,
        "a recompute always publishes"
    );
    assert_eq!(
        computed.last().unwrap()["payload"]["components"][0]["model_version"],
        "test-model-v2"
    );

    let resp = app.post_as("/v1/health/recompute", &admin).await;
    assert_eq!(resp.status(), 200);
    let fleet: Value = resp.json().await.unwrap();
    assert_eq!(fleet["vehicles"], 3, "{fleet}");
    assert_eq!(fleet["model_version"], "test-model-v2");
    let _ = std::fs::remove_file(path);
}

#[tokio::test]
async fn fleet_positions_are_each_vehicles_newest_fix_in_scope() {
    let app = populated().await;
    let admin = token(Role::Admin, "platform", &[]);
    let (s, all) = status(&app, "/v1/fleet/positions", &admin).await;
    assert_eq!(s, 200, "{all}");
    let ids = |v: &Value| -> Vec<String> {
        v["vehicles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["vehicle_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&all), [V1, V2, V3]);
    // Each is the vehicle's view: the same fix and band as its health.
    for p in all["vehicles"].as_array().unwrap() {
        let id = p["vehicle_id"].as_str().unwrap();
        let (_, view) = status(&app, &format!("/v1/vehicles/{id}/health"), &admin).await;
        assert_eq!(p["lat"], view["position"]["lat"], "{id}");
        assert_eq!(p["lon"], view["position"]["lon"], "{id}");
        assert_eq!(p["at"], view["position"]["at"], "{id}");
        assert_eq!(p["overall_band"], view["overall_band"], "{id}");
    }
    // A fleet manager sees their organization's, an owner their vehicle's.
    let manager = token(Role::FleetManager, ORG, &[]);
    let (_, mine) = status(&app, "/v1/fleet/positions", &manager).await;
    assert_eq!(ids(&mine), [V1, V2]);
    let owner = token(Role::Owner, ORG, &[V2]);
    let (_, theirs) = status(&app, "/v1/fleet/positions?limit=10", &owner).await;
    assert_eq!(ids(&theirs), [V2]);
    let (_, first) = status(&app, "/v1/fleet/positions?limit=1", &admin).await;
    assert_eq!(ids(&first), [V1]);
    for bad in ["limit=0", "limit=50001", "limit=x", "nope=1"] {
        let (s, body) = status(&app, &format!("/v1/fleet/positions?{bad}"), &admin).await;
        assert_eq!(s, 400, "{bad}: {body}");
    }
}
