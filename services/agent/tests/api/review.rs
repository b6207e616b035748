//! The human in the loop: an escalation opens a review; a fleet manager or admin sees
//! the decision with its evidence and confirms or overrides it; an override is
//! announced as `agent.decision.made` with `supersedes`; a review left past its window
//! escalates once more (`overdue`); the status reports the reviewers' agreement.

use std::time::Duration;

use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_runtime::testing::app::wait_until;
use shared_schemas::events::Component;

use crate::helpers::{ORG, TestApp, bare_degraded, dpf_degraded, envelope, spawn_app, token};

/// Publishes a weak-evidence `component.degraded` of `vehicle` (escalated) and returns
/// its open review's decision id.
async fn escalate(app: &TestApp, vehicle: &str, component: Component) -> String {
    app.publish(&[envelope(bare_degraded(vehicle, component))])
        .await;
    app.wait_caught_up().await;
    let admin = token(Role::Admin, "platform", &[]);
    let page: Value = app
        .get_as("/v1/reviews", &admin)
        .await
        .json()
        .await
        .unwrap();
    page["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["vehicle_id"] == vehicle)
        .unwrap_or_else(|| panic!("no open review of {vehicle}: {page:#}"))["decision_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn escalation_review_override_announces_a_superseding_decision() {
    let app = spawn_app().await;
    // A confident decision is not escalated and opens no review.
    app.publish(&[envelope(dpf_degraded("VH-R0", 10.0))]).await;
    let id = escalate(&app, "VH-R1", Component::Brakes).await;
    let manager = token(Role::FleetManager, ORG, &[]);
    let page: Value = app
        .get_as("/v1/reviews", &manager)
        .await
        .json()
        .await
        .unwrap();
    let open = page["reviews"].as_array().unwrap();
    assert_eq!(open.len(), 1, "{page:#}");
    assert_eq!(open[0]["status"], "open");
    assert_eq!(open[0]["component"], "brakes");
    assert!(
        open[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("confidence")
    );
    assert!(open[0]["due_at"].as_str() > open[0]["created_at"].as_str());

    // The decision with its evidence.
    let resp = app.get_as(&format!("/v1/reviews/{id}"), &manager).await;
    assert_eq!(resp.status(), 200);
    let detail: Value = resp.json().await.unwrap();
    assert_eq!(detail["decision"]["decision_id"], id.as_str());
    assert_eq!(detail["decision"]["escalated"], true);
    assert_eq!(detail["decision"]["evidence"]["vehicle_id"], "VH-R1");
    let agent_severity = detail["decision"]["severity"].as_str().unwrap().to_owned();
    assert_ne!(agent_severity, "critical");

    // Only fleet managers and admins review, and only their organization's.
    let technician = token(Role::Technician, ORG, &[]);
    assert_eq!(app.get_as("/v1/reviews", &technician).await.status(), 403);
    let owner = token(Role::Owner, ORG, &["VH-R1"]);
    let path = format!("/v1/reviews/{id}/override");
    let body = json!({"severity": "critical", "actions": ["replace_brake_pads", "inspect_brake_calipers"],
                      "note": "driver reports grinding; pads were metal on metal at the yard"});
    assert_eq!(app.post_as(&path, &owner, &body).await.status(), 403);
    let globex = token(Role::FleetManager, "globex", &[]);
    assert_eq!(app.post_as(&path, &globex, &body).await.status(), 404);
    assert_eq!(
        app.get_as(&format!("/v1/reviews/{id}"), &globex)
            .await
            .status(),
        404
    );
    let theirs: Value = app
        .get_as("/v1/reviews", &globex)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["reviews"].as_array().unwrap().len(), 0);
    assert_eq!(
        app.client
            .post(app.url(&path))
            .json(&body)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    // Bad overrides are refused, naming the problem.
    for (bad, says) in [
        (
            json!({"actions": ["fix_everything"], "note": "x"}),
            "fix_everything",
        ),
        (
            json!({"severity": agent_severity, "note": "agree"}),
            "confirm",
        ),
        (json!({"severity": "critical"}), "note"),
        (json!({"severity": "urgent", "note": "x"}), "severity"),
        (json!({"diagnosis": "bad", "note": "x"}), "diagnosis"),
    ] {
        let resp = app.post_as(&path, &manager, &bad).await;
        assert_eq!(resp.status(), 400, "{bad}");
        let err: Value = resp.json().await.unwrap();
        assert!(
            err["message"].as_str().unwrap().contains(says),
            "{bad}: {err}"
        );
    }

    let resp = app.post_as(&path, &manager, &body).await;
    let status = resp.status();
    let done: Value = resp.json().await.unwrap();
    assert_eq!(status, 201, "{done:#}");
    assert_eq!(done["review"]["status"], "overridden");
    assert_eq!(done["review"]["label"]["severity"], "critical");
    assert_eq!(done["review"]["label"]["severity_agrees"], false);
    assert_eq!(done["review"]["label"]["agrees"], false);
    let new = &done["replacement"];
    assert_eq!(new["supersedes"], id.as_str());
    assert_eq!(done["review"]["superseded_by"], new["decision_id"]);
    assert_eq!(new["severity"], "critical");
    assert_eq!(new["trigger"], "review");
    assert_eq!(new["provider"], "human");
    assert_eq!(new["confidence"], 1.0);
    assert_eq!(new["escalated"], false);
    assert_eq!(new["urgency_days"], 1, "critical acts within a day at most");
    assert_eq!(new["actions"][0]["id"], "replace_brake_pads");
    assert!(new["estimated_cost"]["min"].as_f64().unwrap() > 0.0);
    assert!(
        new["reasoning"]
            .as_str()
            .unwrap()
            .contains("metal on metal")
    );

    // Announced: the superseding decision, caused by the person, in the original's flow.
    app.wait_caught_up().await;
    let made = app.wait_stream("agent.decision.made", 3).await;
    let original = made
        .iter()
        .find(|e| e["payload"]["decision_id"] == id.as_str())
        .unwrap();
    let last = made.last().unwrap();
    assert_eq!(last["payload"]["supersedes"], id.as_str());
    assert_eq!(last["payload"]["severity"], "critical");
    assert_eq!(last["payload"]["confidence"], 1.0);
    assert_eq!(last["correlation_id"], original["correlation_id"]);
    assert!(original["payload"].get("supersedes").is_none());
    // No second escalation for the person's decision.
    assert_eq!(app.stream("agent.escalation").await.len(), 1);

    // Once only.
    assert_eq!(app.post_as(&path, &manager, &body).await.status(), 409);
    let confirm = format!("/v1/reviews/{id}/confirm");
    assert_eq!(
        app.post_as(&confirm, &manager, &json!({})).await.status(),
        409
    );
    let open: Value = app
        .get_as("/v1/reviews", &manager)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(open["reviews"].as_array().unwrap().len(), 0);
    let overridden: Value = app
        .get_as("/v1/reviews?status=overridden", &manager)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(overridden["reviews"][0]["decision_id"], id.as_str());
    assert_eq!(
        app.get_as("/v1/reviews?status=maybe", &manager)
            .await
            .status(),
        400
    );
    let detail: Value = app
        .get_as(&format!("/v1/reviews/{id}"), &manager)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["replacement"]["decision_id"], new["decision_id"]);
    // The vehicle's history shows both, the person's newest.
    let history: Value = app
        .get_as("/v1/vehicles/VH-R1/decisions", &manager)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history["decisions"][0]["supersedes"], id.as_str());
    app.stop().await;
}

#[tokio::test]
async fn confirmations_and_overrides_make_the_agreement_on_the_status() {
    let app = spawn_app().await;
    let a = escalate(&app, "VH-A1", Component::Brakes).await;
    let b = escalate(&app, "VH-A2", Component::Battery).await;
    let c = escalate(&app, "VH-A3", Component::Tires).await;
    let manager = token(Role::FleetManager, ORG, &[]);
    let admin = token(Role::Admin, "platform", &[]);
    let resp = app
        .post_as(
            &format!("/v1/reviews/{a}/confirm"),
            &manager,
            &json!({"note": "seen it"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let done: Value = resp.json().await.unwrap();
    assert_eq!(done["review"]["status"], "confirmed");
    assert_eq!(done["review"]["reviewed_by"], "tester");
    assert_eq!(done["review"]["label"]["agrees"], true);
    assert!(done.get("replacement").is_none());
    let resp = app
        .post_as(
            &format!("/v1/reviews/{b}/confirm"),
            &admin,
            &json!({"note": ""}),
        )
        .await;
    assert_eq!(resp.status(), 400, "an empty note");
    assert_eq!(
        app.post_as(&format!("/v1/reviews/{b}/confirm"), &admin, &json!({}))
            .await
            .status(),
        200
    );
    // Rewording the diagnosis keeps the agent's severity and actions: agreement.
    let reworded = json!({"diagnosis": "Slow leak on one tire: pressure drops a little every night.",
                          "note": "wording"});
    let resp = app
        .post_as(&format!("/v1/reviews/{c}/override"), &manager, &reworded)
        .await;
    assert_eq!(resp.status(), 201);
    let done: Value = resp.json().await.unwrap();
    assert_eq!(done["review"]["label"]["agrees"], true);
    assert_eq!(
        done["replacement"]["severity"],
        done["decision"]["severity"]
    );
    // Confirming publishes nothing: the decision stands.
    app.wait_caught_up().await;
    assert_eq!(app.stream("agent.decision.made").await.len(), 4);

    let s: Value = app
        .get_as("/v1/agent/status?window_hours=1", &manager)
        .await
        .json()
        .await
        .unwrap();
    let r = &s["reviews"];
    assert_eq!(r["reviewed"], 3, "{s:#}");
    assert_eq!(r["confirmed"], 2);
    assert_eq!(r["overridden"], 1);
    assert_eq!(r["agreement_rate"], 1.0);
    assert_eq!(r["open"], 0);
    assert_eq!(r["by_day"][0]["reviewed"], 3);
    // The person's decision is not the agent's: three decisions, three escalated.
    assert_eq!(s["decisions"], 3);
    assert_eq!(s["escalation_rate"], 1.0);
    assert!(s["by_provider"].get("human").is_none());
    let globex = token(Role::FleetManager, "globex", &[]);
    let theirs: Value = app
        .get_as("/v1/agent/status", &globex)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["reviews"]["reviewed"], 0);
    app.stop().await;
}

#[tokio::test]
async fn a_review_left_past_its_window_escalates_once_more() {
    let app = spawn_app().await;
    let id = escalate(&app, "VH-O1", Component::Brakes).await;
    // Another, still within its window, stays quiet.
    escalate(&app, "VH-O2", Component::Battery).await;
    // Its window ran out (the decision's urgency window is days long; the test moves
    // the due time rather than wait).
    sqlx::query(
        "UPDATE reviews SET due_at = now() - interval '1 minute' WHERE decision_id = $1::uuid",
    )
    .bind(&id)
    .execute(&app.db)
    .await
    .unwrap();
    let escalations = app.wait_stream("agent.escalation", 3).await;
    let overdue = escalations.last().unwrap();
    assert_eq!(overdue["payload"]["decision_id"], id.as_str());
    assert_eq!(overdue["payload"]["overdue"], true);
    assert!(
        overdue["payload"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("review overdue"),
        "{overdue:#}"
    );
    let first = escalations
        .iter()
        .find(|e| e["payload"]["decision_id"] == id.as_str())
        .unwrap();
    assert!(first["payload"].get("overdue").is_none());
    assert_eq!(overdue["correlation_id"], first["correlation_id"]);
    // Once: later passes leave it alone, and the review stays open for a person.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(app.stream("agent.escalation").await.len(), 3);
    let manager = token(Role::FleetManager, ORG, &[]);
    let s: Value = app
        .get_as("/v1/agent/status", &manager)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["reviews"]["open"], 2);
    assert_eq!(s["reviews"]["overdue"], 1);
    let review: Value = wait_until(Duration::from_secs(5), "overdue_at", || async {
        let d: Value = app
            .get_as(&format!("/v1/reviews/{id}"), &manager)
            .await
            .json()
            .await
            .unwrap();
        d["review"].get("overdue_at").is_some().then_some(d)
    })
    .await;
    assert_eq!(review["review"]["status"], "open");
    assert_eq!(
        app.post_as(&format!("/v1/reviews/{id}/confirm"), &manager, &json!({}))
            .await
            .status(),
        200
    );
    app.stop().await;
}

// The benchmark's scoring on labelled cases, compiled into this test (it lives in the
// `agent-bench` tool, which depends on this crate).
#[allow(dead_code, unreachable_pub)]
#[path = "../../../../tools/agent-bench/src/reviews.rs"]
mod bench_reviews;

#[tokio::test]
async fn reviewed_cases_are_exported_with_their_labels_and_the_bench_scores_on_them() {
    let app = spawn_app().await;
    let agreed = escalate(&app, "VH-L1", Component::Brakes).await;
    let overridden = escalate(&app, "VH-L2", Component::Brakes).await;
    let open = escalate(&app, "VH-L3", Component::Battery).await;
    let manager = token(Role::FleetManager, ORG, &[]);
    let confirm = format!("/v1/reviews/{agreed}/confirm");
    assert_eq!(
        app.post_as(&confirm, &manager, &json!({})).await.status(),
        200
    );
    let path = format!("/v1/reviews/{overridden}/override");
    let body = json!({"severity": "critical", "actions": ["replace_brake_pads"], "note": "metal on metal"});
    assert_eq!(app.post_as(&path, &manager, &body).await.status(), 201);

    let export: Value = app
        .get_as("/v1/reviews/cases", &manager)
        .await
        .json()
        .await
        .unwrap();
    let cases = export["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2, "reviewed only: {export:#}");
    assert!(cases.iter().all(|c| c["decision_id"] != open.as_str()));
    let over = cases
        .iter()
        .find(|c| c["decision_id"] == overridden.as_str())
        .unwrap();
    assert_eq!(over["label"]["severity"], "critical");
    assert_eq!(over["label"]["actions"], json!(["replace_brake_pads"]));
    assert_eq!(over["case"]["vehicle_id"], "VH-L2");
    assert_ne!(
        over["severity"], "critical",
        "the agent's own severity beside the label"
    );
    let technician = token(Role::Technician, ORG, &[]);
    assert_eq!(
        app.get_as("/v1/reviews/cases", &technician).await.status(),
        403
    );
    let globex = token(Role::FleetManager, "globex", &[]);
    let theirs: Value = app
        .get_as("/v1/reviews/cases", &globex)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["cases"].as_array().unwrap().len(), 0);

    // The rules decide the same cases again: they agree with the confirmation, not with
    // the person who saw worn-out pads.
    let set: bench_reviews::LabelledSet = serde_json::from_value(export).unwrap();
    let agent = agent::pipeline::Agent::new(
        None,
        agent::tools::Toolbox::new(std::sync::Arc::new(agent::tools::FixedHealth::default())),
        "USD".to_owned(),
    );
    let r = bench_reviews::run(&set, &agent).await;
    assert_eq!(r.cases, 2);
    assert_eq!(r.severity_acc, 0.5);
    assert_eq!(r.severity_under, 0.5);
    assert_eq!(r.reviewed_severity_acc, 0.5);
    app.stop().await;
}
