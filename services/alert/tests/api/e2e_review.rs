//! The human in the loop across the platform's processes: the agent escalates a
//! decision it is unsure of (a clogging DPF the health engine has little evidence on),
//! the alert says a person must review it, a fleet manager overrides it to critical
//! over the agent's REST API, and the override is what the rest follows: scheduling
//! books the emergency repair for the new decision, the alert carries it and the owner
//! is told it is urgent.

use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use shared_runtime::testing;
use shared_schemas::EventEnvelope;
use shared_schemas::events::{Component, ComponentDegraded, HealthBand};
use uuid::Uuid;

use crate::e2e::{Platform, is_urgent};
use crate::helpers::{ORG, admin};

const VEHICLE: &str = "VH-REVIEW-1";

/// What the health engine announces about a DPF it has little evidence on: poor, five
/// days left, its own confidence low, no indicator behind it.
fn thin_evidence() -> EventEnvelope<ComponentDegraded> {
    let payload = ComponentDegraded {
        org_id: ORG.to_owned(),
        vehicle_id: VEHICLE.to_owned(),
        component: Component::Dpf,
        score: 0.35,
        band: HealthBand::Poor,
        rul_days: 5.0,
        rul_km: None,
        rul_interval_days: None,
        confidence: 0.4,
        factors: Vec::new(),
        dtcs: Vec::new(),
        odometer_km: None,
        detected_at: Utc::now(),
    };
    EventEnvelope::new("health", Uuid::now_v7(), payload)
}

/// `GET url` as an admin, until `done` holds of the answer (60 s at most).
async fn wait_get(p: &Platform, url: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let r = p.client.get(url).bearer_auth(admin()).send().await.unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap_or_default();
        if status.is_success() && done(&body) {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{url}: {status} {body:#}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn alert_of(list: &Value) -> Option<&Value> {
    list["alerts"]
        .as_array()?
        .iter()
        .find(|a| a["vehicle_id"] == VEHICLE)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_managers_override_of_an_escalated_decision_is_what_alerts_and_scheduling_follow() {
    let p = Platform::start().await;
    p.contact("Olga Owner", "owner", "olga@acme.test", VEHICLE)
        .await;
    crate::e2e_repair::seed_emergency_center(&p.repair_view()).await;
    let redis = shared_runtime::bus::connect(&testing::redis_url())
        .await
        .unwrap();
    let keys = shared_runtime::bus::Keys::new(p.prefix.clone());
    testing::app::publish(&redis, &keys, &[thin_evidence()]).await;

    // The agent escalates; the alert says a person must review it.
    let reviews = format!("{}/v1/reviews", p.agent.url);
    let queue = wait_get(&p, &reviews, |v| v["reviews"][0]["vehicle_id"] == VEHICLE).await;
    let review = &queue["reviews"][0];
    assert_eq!(review["component"], "dpf");
    let escalated = review["decision_id"].as_str().unwrap().to_owned();
    let alerts = format!("{}/v1/alerts?vehicle_id={VEHICLE}", p.alert.url);
    let open = wait_get(&p, &alerts, |v| {
        alert_of(v).is_some_and(|a| a["needs_review"] == true)
    })
    .await;
    assert_eq!(
        alert_of(&open).unwrap()["diagnosis"]["decision_id"],
        escalated.as_str()
    );

    // A fleet manager overrides it: the DPF is to be replaced now.
    let r = p
        .client
        .post(format!("{reviews}/{escalated}/override"))
        .bearer_auth(admin())
        .json(&json!({"severity": "critical", "note": "Soot on the tailpipe, regeneration failed twice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let done: Value = r.json().await.unwrap();
    assert_eq!(done["review"]["status"], "overridden", "{done:#}");
    let replacement = done["replacement"]["decision_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Scheduling books the emergency repair for the reviewer's decision.
    let booked = format!(
        "{}/v1/vehicles/{VEHICLE}/appointments?org_id={ORG}",
        p.scheduling.url
    );
    let appointments = wait_get(&p, &booked, |v| {
        v.as_array()
            .is_some_and(|l| l.iter().any(|a| a["decision_id"] == replacement.as_str()))
    })
    .await;
    let a = &appointments.as_array().unwrap()[0];
    assert_eq!(a["auto_booked"], true, "{a:#}");
    assert_eq!(a["center_name"], "Midway Truck Hub", "{a:#}");

    // The alert carries the override, and the owner is told it is urgent.
    let followed = wait_get(&p, &alerts, |v| {
        alert_of(v).is_some_and(|a| a["diagnosis"]["decision_id"] == replacement.as_str())
    })
    .await;
    let alert = alert_of(&followed).unwrap();
    assert!(
        matches!(alert["severity"].as_str(), Some("critical" | "emergency")),
        "{alert:#}"
    );
    p.inbox
        .wait_for("email", 1, 60, |m| {
            m["to"][0] == "olga@acme.test" && is_urgent(m)
        })
        .await;
}
