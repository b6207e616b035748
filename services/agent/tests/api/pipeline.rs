//! Health events on the stream become exactly one decision event each; redeliveries
//! and events covered by another of the same transition make none; weak evidence is
//! escalated. End to end, the real health service's events drive the agent, whose
//! health tool asks the real health service.

use std::time::Duration;

use chrono::Utc;
use fleetsim::degradation::{Degradation, FailureMode};
use fleetsim::profile::DutyProfile;
use fleetsim::simulate::{SimConfig, VehicleSim};
use fleetsim::vehicle::Vehicle;
use serde_json::Value;
use shared_runtime::testing;
use shared_schemas::EventEnvelope;
use shared_schemas::events::{
    ChangeReason, Component, HealthBand, HealthChanged, TelemetryReceived,
};
use shared_schemas::telemetry::Protocol;
use uuid::Uuid;

use crate::helpers::{
    ORG, bare_degraded, dpf_degraded, envelope, spawn_app, spawn_health, spawn_with,
};

#[tokio::test]
async fn a_degraded_event_yields_one_decision_event_and_redelivery_none() {
    let app = spawn_app().await;
    let e = envelope(dpf_degraded("VH-P1", 5.0));
    app.publish(std::slice::from_ref(&e)).await;
    app.wait_caught_up().await;
    let made = app.stream("agent.decision.made").await;
    assert_eq!(made.len(), 1);
    let m = &made[0];
    assert_eq!(m["producer"], "agent");
    assert_eq!(m["vehicle_id"], "VH-P1");
    assert_eq!(m["causation_id"], e.event_id.to_string());
    assert_eq!(m["correlation_id"], e.correlation_id.to_string());
    let p = &m["payload"];
    assert_eq!(p["component"], "dpf");
    assert_eq!(p["agent"], "aftertreatment");
    assert_eq!(p["provider"], "rules");
    assert_eq!(p["fallback_used"], false);
    // 5 days left on a truck doing 420 km/day: 3.75 days, high.
    assert_eq!(p["severity"], "high");
    assert_eq!(p["urgency"]["within_days"], 1);
    assert!(p["confidence"].as_f64().unwrap() >= 0.7, "{p}");
    assert!(
        p["diagnosis"].as_str().unwrap().contains("dpf clogging"),
        "{p}"
    );
    assert!(p["recommended_actions"].as_array().unwrap().len() >= 2);
    assert!(
        p["estimated_cost"]["max"].as_f64().unwrap() > p["estimated_cost"]["min"].as_f64().unwrap()
    );
    assert!(
        app.stream("agent.escalation").await.is_empty(),
        "confident: not escalated"
    );

    // The same event again (a redelivery, or the relay republishing): nothing new.
    app.publish(std::slice::from_ref(&e)).await;
    app.wait_caught_up().await;
    assert_eq!(app.stream("agent.decision.made").await.len(), 1);
    assert_eq!(app.decision_count().await, 1);
}

#[tokio::test]
async fn weak_evidence_is_escalated_and_covered_changes_are_not_decided_twice() {
    let app = spawn_app().await;
    let weak = envelope(bare_degraded("VH-P2", Component::Battery));
    // The band crossing that came with it: covered by the degraded event.
    let covered = envelope(HealthChanged {
        org_id: ORG.to_owned(),
        vehicle_id: "VH-P2".to_owned(),
        component: Component::Battery,
        previous_score: 0.45,
        previous_band: HealthBand::Fair,
        current_score: 0.35,
        current_band: HealthBand::Poor,
        rul_days: 30.0,
        reason: ChangeReason::BandCrossed,
        detected_at: Utc::now(),
    });
    // An improvement: a monitor decision (the health service is down here).
    let better = envelope(HealthChanged {
        previous_score: 0.35,
        previous_band: HealthBand::Poor,
        current_score: 0.7,
        current_band: HealthBand::Good,
        rul_days: 120.0,
        ..covered.payload.clone()
    });
    app.publish(std::slice::from_ref(&weak)).await;
    app.publish(&[covered.clone(), better.clone()]).await;
    app.wait_caught_up().await;
    assert_eq!(app.decision_count().await, 2);
    let esc = app.stream("agent.escalation").await;
    assert_eq!(esc.len(), 1, "{esc:#?}");
    let d = app.decision_of(weak.event_id).await;
    assert_eq!(d["escalated"], true);
    assert!(d["confidence"].as_f64().unwrap() < 0.7);
    assert_eq!(esc[0]["payload"]["decision_id"], d["decision_id"]);
    assert!(
        esc[0]["payload"]["reason"]
            .as_str()
            .unwrap()
            .contains("below 0.70")
    );
    let monitor = app.decision_of(better.event_id).await;
    assert_eq!(monitor["failure_mode"], "monitor");
    assert_eq!(monitor["severity"], "low");
    assert_eq!(monitor["estimated_cost"]["max"], 0.0);
    // The health tool was tried and the decision degraded, not failed.
    assert_eq!(monitor["tool_calls"][0]["tool"], "get_component_health");
    assert_eq!(monitor["tool_calls"][0]["ok"], false);
    assert_eq!(monitor["evidence"]["health_source"]["kind"], "unavailable");
}

/// One simulated truck whose DPF clogs from 30 % to 90 % of a 28-day run, as
/// `vehicle.telemetry.received` events.
fn dpf_truck(seed: u64) -> Vec<EventEnvelope<TelemetryReceived>> {
    let end = 1_767_225_600;
    let start = end - 28 * 86_400;
    let cfg = SimConfig {
        start,
        end,
        interval_s: 300,
        seed,
    };
    let mut vehicle = Vehicle::generate(seed, 0, DutyProfile::LongHaul, 28.0);
    let span = end - start;
    vehicle.degradation = Some(Degradation {
        mode: FailureMode::DpfClogging,
        onset: start + span * 3 / 10,
        failure: start + span * 9 / 10,
        wheel: 0,
    });
    VehicleSim::new(vehicle.clone(), cfg)
        .map(|s| s.to_reading(&vehicle, seed))
        .map(|reading| {
            let payload = TelemetryReceived {
                org_id: ORG.to_owned(),
                reading_id: reading.reading_id.clone().unwrap(),
                protocol: Protocol::Canonical,
                received_at: Utc::now(),
                reading: reading.clone(),
            };
            EventEnvelope::new("ingestion", Uuid::now_v7(), payload).at(reading.recorded_at)
        })
        .collect()
}

#[tokio::test]
async fn health_events_of_a_clogging_dpf_become_one_decision_each() {
    let prefix = testing::unique_prefix("pipeline");
    // The real health service on the same Redis prefix.
    let health = spawn_health(&prefix).await;
    let health_url = health.url.clone();
    let health_db_url = health.db_url.clone();
    let app = spawn_with(|c| {
        c.common.redis_prefix.clone_from(&prefix);
        c.health_url.clone_from(&health_url);
        c.tool_timeout = Duration::from_secs(5);
    })
    .await;
    let readings = dpf_truck(3);
    for chunk in readings.chunks(500) {
        app.publish(chunk).await;
    }
    // Wait until health has handled every reading and published everything.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
    let mut conn = app.redis.clone();
    loop {
        let lag = shared_runtime::consumer::lag(
            &mut conn,
            &app.keys,
            "health",
            &["vehicle.telemetry.received"],
        )
        .await
        .unwrap();
        if lag.lag == Some(0) && lag.pending == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "health did not catch up: {lag:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Then until its outbox is empty: every health event is on the streams.
    let health_db = sqlx::PgPool::connect(&health_db_url).await.unwrap();
    while shared_runtime::outbox::pending(&health_db).await.unwrap() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "health outbox not drained"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut triggers: Vec<Value> = Vec::new();
    for t in [
        "component.degraded",
        "component.critical",
        "vehicle.health.changed",
    ] {
        triggers.extend(app.stream(t).await);
    }
    app.wait_caught_up().await;
    let degraded: Vec<&Value> = triggers
        .iter()
        .filter(|e| e["event_type"] == "component.degraded" && e["payload"]["component"] == "dpf")
        .collect();
    assert_eq!(degraded.len(), 1, "health flags the DPF once");

    // Exactly one decision per event that is not covered by another of its transition.
    let decided: Vec<&Value> = triggers
        .iter()
        .filter(|e| {
            let p = &e["payload"];
            match e["event_type"].as_str().unwrap() {
                "component.degraded" => p["band"] != "critical",
                "component.critical" => true,
                _ => {
                    let band = |v: &Value| serde_json::from_value::<HealthBand>(v.clone()).unwrap();
                    !agent::domain::case::change_is_covered(
                        band(&p["previous_band"]),
                        band(&p["current_band"]),
                    )
                }
            }
        })
        .collect();
    let made = app.stream("agent.decision.made").await;
    assert_eq!(
        made.len(),
        decided.len(),
        "{} decisions for {} triggers",
        made.len(),
        decided.len()
    );
    for t in &decided {
        let n = made
            .iter()
            .filter(|m| m["causation_id"] == t["event_id"])
            .count();
        assert_eq!(n, 1, "trigger {}", t["event_id"]);
    }
    // The DPF's condition decision (degraded, or critical when it jumped straight
    // there) names the clogging, with its figures.
    let (d,): (Value,) = sqlx::query_as(
        "SELECT record FROM decisions WHERE component = 'dpf'
           AND trigger IN ('component.degraded', 'component.critical')
         ORDER BY detected_at LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(d["failure_mode"], "dpf_clogging", "{d:#}");
    assert_eq!(d["agent"], "aftertreatment");
    assert!(
        d["diagnosis"]
            .as_str()
            .unwrap()
            .contains("DPF pressure drop"),
        "{d:#}"
    );
    // Changed events were completed from the real health service.
    let fetched: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM decisions WHERE trigger = 'vehicle.health.changed'
           AND record -> 'evidence' -> 'health_source' ->> 'kind' = 'health_service'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let changed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM decisions WHERE trigger = 'vehicle.health.changed'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        fetched, changed,
        "every changed event got the component's health"
    );
    // Escalations match the decisions under 0.7.
    let low: i64 = sqlx::query_scalar("SELECT count(*) FROM decisions WHERE confidence < 0.7")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(app.stream("agent.escalation").await.len() as i64, low);
}
