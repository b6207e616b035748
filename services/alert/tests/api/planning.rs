//! Notifications follow evidence: a `plan` decision (routine wear) opens no alert and
//! becomes a maintenance-planning item, served within scope; `monitor` removes it, an
//! `alert` decision supersedes it; the digest lists the items once per period to the
//! fleet managers whose email threshold lets info through.

use std::time::Duration;

use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_schemas::events::{Disposition, Severity};

use crate::helpers::{ORG, TestApp, admin, brakes, envelope, plan, spawn_app, spawn_with, token};

async fn items(app: &TestApp, query: &str, who: &str) -> Vec<Value> {
    let r = app.get_as(&format!("/v1/planning-items{query}"), who).await;
    assert_eq!(r.status(), 200, "{query}");
    let v: Value = r.json().await.unwrap();
    v["items"].as_array().unwrap().clone()
}

async fn alerts_of(app: &TestApp, vehicle_id: &str) -> Vec<Value> {
    let v: Value = app
        .get_as(&format!("/v1/alerts?vehicle_id={vehicle_id}"), &admin())
        .await
        .json()
        .await
        .unwrap();
    v["alerts"].as_array().unwrap().clone()
}

async fn digests(app: &TestApp, who: &str) -> Vec<Value> {
    let r = app.get_as("/v1/digests", who).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["digests"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_plan_decision_opens_no_alert_and_is_a_planning_item_within_scope() {
    let app = spawn_app().await;
    app.chain().await;
    let first = envelope("agent", plan("VH-P1", 159));
    let mut theirs = plan("VH-G1", 60);
    theirs.org_id = "globex".to_owned();
    app.publish(&[first.clone(), envelope("agent", theirs)])
        .await;
    app.wait_consumed().await;
    assert!(alerts_of(&app, "VH-P1").await.is_empty(), "no alert");

    let fm = token(Role::FleetManager, ORG, &[]);
    let mine = items(&app, "", &fm).await;
    assert_eq!(mine.len(), 1, "{mine:#?}");
    let item = &mine[0];
    assert_eq!(item["vehicle_id"], "VH-P1");
    assert_eq!(item["component"], "brakes");
    assert_eq!(item["within_days"], 159);
    assert_eq!(item["decision_id"], first.payload.decision_id.to_string());
    assert_eq!(item["estimated_cost"]["max"], 420.0);
    assert!(
        item["diagnosis"]
            .as_str()
            .unwrap()
            .starts_with("Routine brake wear")
    );
    // Scope: like alerts.
    for (who, n) in [
        (token(Role::Owner, ORG, &["VH-P1"]), 1),
        (token(Role::Owner, ORG, &["VH-P9"]), 0),
        (token(Role::Support, ORG, &[]), 1),
        (token(Role::Technician, ORG, &[]), 1),
        (admin(), 2),
    ] {
        assert_eq!(items(&app, "", &who).await.len(), n);
    }
    let globex = items(&app, "", &token(Role::FleetManager, "globex", &[])).await;
    assert_eq!(globex.len(), 1);
    assert_eq!(globex[0]["vehicle_id"], "VH-G1");
    assert_eq!(items(&app, "?org_id=globex", &admin()).await.len(), 1);
    assert_eq!(
        app.get_as("/v1/planning-items?org_id=globex", &fm)
            .await
            .status(),
        403
    );
    assert_eq!(
        items(&app, "?vehicle_id=VH-P1&component=brakes", &fm)
            .await
            .len(),
        1
    );
    assert!(items(&app, "?component=tires", &fm).await.is_empty());
    for q in ["component=wheels", "limit=0", "cursor=zzz", "colour=red"] {
        let r = app.get_as(&format!("/v1/planning-items?{q}"), &fm).await;
        assert_eq!(r.status(), 400, "{q}");
    }

    // A replay changes nothing; a newer plan replaces the decision in the same item.
    let newer = envelope("agent", plan("VH-P1", 150));
    app.publish(&[first.clone(), newer.clone()]).await;
    app.wait_consumed().await;
    let again = items(&app, "?vehicle_id=VH-P1", &fm).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["item_id"], item["item_id"]);
    assert_eq!(again[0]["first_seen_at"], item["first_seen_at"]);
    assert_eq!(again[0]["within_days"], 150);
    assert_eq!(
        again[0]["decision_id"],
        newer.payload.decision_id.to_string()
    );

    // Monitor: nothing to do any more, the item goes.
    app.publish(&[envelope(
        "agent",
        brakes("VH-P1", Severity::Low, Disposition::Monitor),
    )])
    .await;
    app.wait_consumed().await;
    assert!(items(&app, "?vehicle_id=VH-P1", &fm).await.is_empty());
    assert!(
        alerts_of(&app, "VH-P1").await.is_empty(),
        "monitor alerts nobody"
    );

    // Planned again, then a fault on the same brakes: the alert supersedes the item.
    app.publish(&[envelope("agent", plan("VH-P1", 140))]).await;
    app.wait_consumed().await;
    assert_eq!(items(&app, "?vehicle_id=VH-P1", &fm).await.len(), 1);
    app.publish(&[envelope(
        "agent",
        brakes("VH-P1", Severity::Low, Disposition::Alert),
    )])
    .await;
    let alert = app.alert_of("VH-P1").await;
    assert_eq!(alert["severity"], "info");
    app.wait_consumed().await;
    assert!(items(&app, "?vehicle_id=VH-P1", &fm).await.is_empty());

    // A plan folds into the open alert as an occurrence: no higher severity, no
    // message, but it is a planning item again.
    let planned_before = alert["deliveries"].as_array().unwrap().len();
    let mut medium = plan("VH-P1", 120);
    medium.severity = Severity::Medium;
    app.publish(&[envelope("agent", medium)]).await;
    app.wait_consumed().await;
    let id = alert["alert_id"].as_str().unwrap();
    let after = app.alert(id).await;
    assert_eq!(after["occurrences"], 2);
    assert_eq!(after["severity"], "info");
    assert_eq!(after["diagnosis"], alert["diagnosis"]);
    assert_eq!(
        after["deliveries"].as_array().unwrap().len(),
        planned_before,
        "{after:#}"
    );
    assert_eq!(items(&app, "?vehicle_id=VH-P1", &fm).await.len(), 1);
}

#[tokio::test]
async fn fleet_managers_get_one_digest_per_period_listing_the_items_soonest_first() {
    let app = spawn_with(|c| c.digest_every = Some(Duration::from_secs(2))).await;
    app.chain().await;
    app.contact(
        "Wendy Warnings",
        "fleet_manager",
        json!({"email": "wendy@acme.test", "preferences": {"channels": {"email": "warning"}}}),
    )
    .await;
    // A fleet manager of another vehicle only: nothing of theirs to plan, no digest.
    app.contact(
        "Zed Elsewhere",
        "fleet_manager",
        json!({"email": "zed@acme.test", "vehicle_ids": ["VH-Z9"]}),
    )
    .await;
    let mut tires = plan("VH-P3", 30);
    tires.component = shared_schemas::events::Component::Tires;
    tires.diagnosis = "Routine tire wear: tread <4 mm> in about 60 days.".to_owned();
    tires.recommended_actions = vec!["Plan a tire replacement within 30 days".to_owned()];
    app.publish(&[
        envelope("agent", plan("VH-P2", 159)),
        envelope("agent", tires),
    ])
    .await;
    let mails = app
        .inbox
        .wait_for("email", 1, 20, |m| m["to"][0] == "fm@acme.test")
        .await;
    // Nothing more to plan: no later period is due.
    app.publish(&[
        envelope(
            "agent",
            brakes("VH-P2", Severity::Low, Disposition::Monitor),
        ),
        envelope("agent", {
            let mut m = brakes("VH-P3", Severity::Low, Disposition::Monitor);
            m.component = shared_schemas::events::Component::Tires;
            m
        }),
    ])
    .await;
    let m = &mails[0];
    let subject = m["subject"].as_str().unwrap();
    assert!(
        subject.starts_with("Maintenance to plan: 2 items (fleet acme, period to "),
        "{subject}"
    );
    let text = m["text"].as_str().unwrap();
    let (p3, p2) = (text.find("VH-P3").unwrap(), text.find("VH-P2").unwrap());
    assert!(p3 < p2, "soonest first: {text}");
    assert!(text.contains("plan within 30 days"), "{text}");
    assert!(text.contains("Estimated cost: 180-420 USD"), "{text}");
    assert!(text.contains("not faults"), "{text}");
    let html = m["html"].as_str().unwrap();
    assert!(html.contains("tread &lt;4 mm&gt;"), "{html}");
    assert!(m["headers"]["X-Fleet-Digest-Id"].is_string(), "{m:#}");

    // Planner passes go by (every 0.5 s) past the period: the same period is not sent
    // again, and without items no new one is due.
    app.wait_consumed().await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let emails = app.inbox.messages(Some("email")).await;
    let to = |a: &str| emails.iter().filter(|m| m["to"][0] == a).count();
    assert_eq!(to("fm@acme.test"), 1, "{emails:#?}");
    assert_eq!(
        to("owner@acme.test"),
        0,
        "owners get no digest and no alert"
    );
    assert_eq!(to("wendy@acme.test") + to("zed@acme.test"), 0);

    let fm = token(Role::FleetManager, ORG, &[]);
    let records = digests(&app, &fm).await;
    assert_eq!(records.len(), 2, "{records:#?}");
    let frank = records
        .iter()
        .find(|d| d["address"] == "fm@acme.test")
        .unwrap();
    assert_eq!(frank["status"], "sent");
    assert_eq!(frank["items"], 2);
    assert_eq!(frank["attempts"], 1);
    assert_eq!(
        frank["provider_ref"].as_str().unwrap(),
        m["message_id"].as_str().unwrap()
    );
    let wendy = records
        .iter()
        .find(|d| d["address"] == "wendy@acme.test")
        .unwrap();
    assert_eq!(wendy["status"], "skipped");
    assert!(
        wendy["reason"].as_str().unwrap().contains("preferences"),
        "{wendy}"
    );
    // Admins see them too; owners may not; another organization sees none.
    assert_eq!(digests(&app, &admin()).await.len(), 2);
    assert_eq!(
        app.get_as("/v1/digests", &token(Role::Owner, ORG, &["VH-P2"]))
            .await
            .status(),
        403
    );
    assert!(
        digests(&app, &token(Role::FleetManager, "globex", &[]))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn without_smtp_the_digest_is_recorded_as_skipped() {
    let app = spawn_with(|c| {
        c.smtp = None;
        c.digest_every = Some(Duration::from_secs(1));
    })
    .await;
    app.chain().await;
    app.publish(&[envelope("agent", plan("VH-P4", 90))]).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let records = digests(&app, &admin()).await;
        if let Some(d) = records.first() {
            assert_eq!(d["status"], "skipped", "{d}");
            assert!(
                d["reason"].as_str().unwrap().contains("not configured"),
                "{d}"
            );
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no digest recorded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
