//! REST: manual orchestration, decision history and one decision with scoping, the
//! review queue, agent status.

use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_schemas::events::Component;

use crate::helpers::{ORG, bare_degraded, dpf_degraded, envelope, spawn_app, token};

#[tokio::test]
async fn manual_orchestration_decides_once_per_request_id() {
    let app = spawn_app().await;
    let manager = token(Role::FleetManager, ORG, &[]);
    let request_id = uuid::Uuid::now_v7();
    let body = json!({
        "vehicle_id": "VH-M9",
        "component": "cooling",
        "request_id": request_id,
        "note": "driver reports the temperature gauge in the red on hills",
        "dtcs": [{"kind": "obd", "code": "P0217"}],
        "rul_days": 4.0
    });
    // The health service is down: decided on the request's data, degraded.
    let resp = app.post_as("/v1/orchestrate", &manager, &body).await;
    assert_eq!(resp.status(), 201);
    let d: Value = resp.json().await.unwrap();
    assert_eq!(d["trigger"], "manual");
    assert_eq!(d["org_id"], ORG);
    assert_eq!(d["failure_mode"], "coolant_overheat", "{d:#}");
    assert_eq!(d["severity"], "high");
    assert_eq!(d["evidence"]["health_source"]["kind"], "unavailable");
    assert_eq!(d["evidence"]["note"], body["note"]);
    // Again: the same decision, nothing new announced.
    let again = app.post_as("/v1/orchestrate", &manager, &body).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["decision_id"], d["decision_id"]);
    app.wait_caught_up().await;
    assert_eq!(app.stream("agent.decision.made").await.len(), 1);

    let owner = token(Role::Owner, ORG, &["VH-M9"]);
    assert_eq!(
        app.post_as("/v1/orchestrate", &owner, &body).await.status(),
        403
    );
    let bad = json!({"vehicle_id": "VH-M9", "component": "flux_capacitor"});
    let resp = app.post_as("/v1/orchestrate", &manager, &bad).await;
    assert_eq!(resp.status(), 400);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["code"], "bad_request");
    // Nothing to go on: no health service and no remaining life given.
    let admin = token(Role::Admin, "platform", &[]);
    let resp = app
        .post_as(
            "/v1/orchestrate",
            &admin,
            &json!({"vehicle_id": "VH-M9", "component": "dpf"}),
        )
        .await;
    assert_eq!(resp.status(), 503);
    assert_eq!(
        app.client
            .post(app.url("/v1/orchestrate"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn decisions_are_served_within_the_callers_scope() {
    let app = spawn_app().await;
    let a = envelope(dpf_degraded("VH-S1", 10.0));
    let b = envelope(bare_degraded("VH-S1", Component::Brakes));
    let mut other = bare_degraded("VH-X1", Component::Tires);
    other.org_id = "globex".to_owned();
    let c = envelope(other);
    app.publish(&[a.clone(), b.clone()]).await;
    app.publish(&[c]).await;
    app.wait_caught_up().await;

    let manager = token(Role::FleetManager, ORG, &[]);
    let resp = app.get_as("/v1/vehicles/VH-S1/decisions", &manager).await;
    assert_eq!(resp.status(), 200);
    let page: Value = resp.json().await.unwrap();
    let ds = page["decisions"].as_array().unwrap();
    assert_eq!(ds.len(), 2);
    assert!(
        ds[0]["decided_at"].as_str() >= ds[1]["decided_at"].as_str(),
        "newest first"
    );
    let resp = app
        .get_as(
            "/v1/vehicles/VH-S1/decisions?component=brakes&limit=1",
            &manager,
        )
        .await;
    let page: Value = resp.json().await.unwrap();
    assert_eq!(page["decisions"].as_array().unwrap().len(), 1);
    assert_eq!(page["decisions"][0]["component"], "brakes");
    assert_eq!(
        app.get_as("/v1/vehicles/VH-S1/decisions?limit=0", &manager)
            .await
            .status(),
        400
    );
    assert_eq!(
        app.get_as("/v1/vehicles/VH-X1/decisions", &manager)
            .await
            .status(),
        404,
        "other org"
    );
    let owner = token(Role::Owner, ORG, &["VH-S1"]);
    assert_eq!(
        app.get_as("/v1/vehicles/VH-S1/decisions", &owner)
            .await
            .status(),
        200
    );
    let stranger = token(Role::Owner, ORG, &["VH-S2"]);
    assert_eq!(
        app.get_as("/v1/vehicles/VH-S1/decisions", &stranger)
            .await
            .status(),
        404
    );

    let id = ds[0]["decision_id"].as_str().unwrap();
    let resp = app.get_as(&format!("/v1/decisions/{id}"), &manager).await;
    assert_eq!(resp.status(), 200);
    let one: Value = resp.json().await.unwrap();
    assert_eq!(one["decision_id"], id);
    let globex = token(Role::FleetManager, "globex", &[]);
    assert_eq!(
        app.get_as(&format!("/v1/decisions/{id}"), &globex)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get_as("/v1/decisions/not-a-uuid", &manager)
            .await
            .status(),
        400
    );

    // The review queue: escalated decisions of the caller's organization only.
    let resp = app.get_as("/v1/decisions?escalated=true", &manager).await;
    let queue: Value = resp.json().await.unwrap();
    let queue = queue["decisions"].as_array().unwrap();
    assert_eq!(queue.len(), 1, "{queue:#?}");
    assert_eq!(queue[0]["component"], "brakes");
    let admin = token(Role::Admin, "platform", &[]);
    let all: Value = app
        .get_as("/v1/decisions?escalated=true", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["decisions"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn status_reports_throughput_fallbacks_and_latency() {
    let app = spawn_app().await;
    let events: Vec<_> = (0..5)
        .map(|i| envelope(dpf_degraded(&format!("VH-T{i}"), 9.0)))
        .collect();
    app.publish(&events).await;
    app.wait_caught_up().await;
    let manager = token(Role::FleetManager, ORG, &[]);
    let resp = app
        .get_as("/v1/agent/status?window_hours=1", &manager)
        .await;
    assert_eq!(resp.status(), 200);
    let s: Value = resp.json().await.unwrap();
    assert_eq!(s["decisions"], 5, "{s:#}");
    assert_eq!(s["throughput_per_hour"], 5.0);
    assert_eq!(s["provider"]["configured"], false);
    assert_eq!(s["provider"]["name"], "rules");
    assert_eq!(s["fallback_rate"], 0.0);
    assert_eq!(s["model_rate"], 0.0);
    assert!(s["latency_ms"]["p99"].as_f64().unwrap() >= s["latency_ms"]["p50"].as_f64().unwrap());
    assert_eq!(s["by_agent"]["aftertreatment"], 5);
    assert_eq!(s["backlog"]["pending"], 0);
    let other = token(Role::FleetManager, "globex", &[]);
    let s: Value = app
        .get_as("/v1/agent/status", &other)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["decisions"], 0, "scoped to the organization");
    let owner = token(Role::Owner, ORG, &["VH-T0"]);
    assert_eq!(app.get_as("/v1/agent/status", &owner).await.status(), 403);
    assert_eq!(
        app.get_as("/v1/agent/status?window_hours=0", &manager)
            .await
            .status(),
        400
    );
}
