//! The agent's human in the loop as the alert service sees it: a person's override
//! (`agent.decision.made` with `supersedes`) becomes the alert's current decision, even
//! when less severe; a review left past its window (`agent.escalation` with `overdue`)
//! sends the alert up the chain, reopened if it was acknowledged.

use chrono::Utc;
use serde_json::json;
use shared_runtime::auth::Role;
use shared_schemas::events::{DecisionMade, Escalation, Severity};

use crate::helpers::{ORG, TestApp, decision, envelope, spawn_with, token, wait_alert};

/// An escalated (evidence-poor) `high` decision of `vehicle` with its escalation;
/// returns the decision once its alert is open.
async fn escalated(app: &TestApp, vehicle: &str) -> (DecisionMade, String) {
    let mut d = decision(vehicle, Severity::High);
    d.confidence = 0.5;
    app.publish(&[envelope("agent", d.clone())]).await;
    app.publish(&[envelope("agent", escalation(&d, false))])
        .await;
    let a = app.alert_of(vehicle).await;
    let id = a["alert_id"].as_str().unwrap().to_owned();
    wait_alert(app, &id, 15, |a| a["needs_review"] == true).await;
    (d, id)
}

fn escalation(d: &DecisionMade, overdue: bool) -> Escalation {
    Escalation {
        decision_id: d.decision_id,
        org_id: ORG.to_owned(),
        vehicle_id: d.vehicle_id.clone(),
        component: d.component,
        severity: d.severity,
        reason: if overdue {
            "review overdue".to_owned()
        } else {
            "confidence 0.50 below 0.70".to_owned()
        },
        confidence: d.confidence,
        escalated_at: Utc::now(),
        overdue,
    }
}

#[tokio::test]
async fn a_persons_override_is_the_alerts_current_decision_even_when_lower() {
    let app = spawn_with(|_| {}).await;
    app.chain().await;
    let (d, id) = escalated(&app, "VH-V1").await;
    let a = app.alert(&id).await;
    assert_eq!(a["severity"], "critical");

    // The reviewer: medium, not high, and a different first action.
    let mut over = decision("VH-V1", Severity::Medium);
    over.supersedes = Some(d.decision_id);
    over.confidence = 1.0;
    over.provider = "human".to_owned();
    over.diagnosis =
        "Soot sensor drift, not a clogged filter: the pressure drop is flat.".to_owned();
    over.recommended_actions = vec!["Replace the DPF differential pressure sensor".to_owned()];
    app.publish(&[envelope("agent", over.clone())]).await;
    let a = wait_alert(&app, &id, 15, |a| a["severity"] == "warning").await;
    assert_eq!(a["needs_review"], false, "{a:#}");
    assert_eq!(a["diagnosis"]["decision_id"], over.decision_id.to_string());
    assert_eq!(a["diagnosis"]["diagnosis"], over.diagnosis);
    assert_eq!(a["message"], over.diagnosis);
    assert!(
        a["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["what"] == "overridden" && h["detail"]["from"] == "critical"),
        "{a:#}"
    );
    // No critical-only message is still waiting to go out.
    assert!(
        a["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] != "pending"
                || d["channel"] == "email"
                || d["channel"] == "in_app"),
        "{a:#}"
    );

    // An ordinary (agent) decision on the same component stays bound by the usual
    // rule: it does not lower the alert again.
    app.publish(&[envelope("agent", decision("VH-V1", Severity::Low))])
        .await;
    app.wait_consumed().await;
    assert_eq!(app.alert(&id).await["severity"], "warning");
    app.stop().await;
}

#[tokio::test]
async fn an_overdue_review_reopens_and_escalates_an_acknowledged_alert() {
    let app = spawn_with(|_| {}).await;
    let [_, fm, _] = app.chain().await;
    let (d, id) = escalated(&app, "VH-V2").await;
    let r = app
        .post_as(
            &format!("/v1/alerts/{id}/acknowledge"),
            &token(Role::FleetManager, ORG, &[]),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    // The owner acknowledged, but nobody reviewed the decision within its window.
    app.publish(&[envelope("agent", escalation(&d, true))])
        .await;
    let a = wait_alert(&app, &id, 15, |a| a["step"] == 1).await;
    assert_eq!(a["status"], "open", "{a:#}");
    assert_eq!(a["needs_review"], true);
    assert!(
        a["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["what"] == "review_overdue_reopened"),
        "{a:#}"
    );
    let esc = app.wait_stream("alert.escalated", 1).await;
    assert_eq!(esc[0]["payload"]["level"], 1);
    assert_eq!(esc[0]["payload"]["escalated_to"], fm.to_string());
    app.stop().await;
}
