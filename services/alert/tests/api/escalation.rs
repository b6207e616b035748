//! Unacknowledged alerts climb the chain owner → fleet manager → emergency contact on
//! persisted timers (restarts included); acknowledging by REST or by the signed link
//! stops them; forged, expired and malformed links are refused.

use std::time::Duration;

use alert::domain::link::LinkSigner;
use chrono::Utc;
use shared_runtime::auth::Role;
use shared_schemas::events::{AlertSeverity, Severity};
use uuid::Uuid;

use crate::helpers::{
    LINK_SECRET, ORG, ack_link, admin, decision, deliveries, envelope, spawn_with,
    spawn_with_inbox, token, wait_alert,
};
use crate::inbox::Inbox;

fn short(c: &mut alert::Config) {
    c.escalation_delays
        .insert(AlertSeverity::Critical, Duration::from_secs(2));
    c.max_escalation_steps = 3;
}

#[tokio::test]
async fn unacknowledged_alerts_escalate_along_the_chain_across_a_restart_until_acknowledged() {
    let mut app = spawn_with(short).await;
    let [_, fm, ec] = app.chain().await;
    app.publish(&[envelope("agent", decision("VH-E1", Severity::High))])
        .await;
    app.inbox
        .wait_for("email", 1, 15, |m| m["to"][0] == "owner@acme.test")
        .await;
    let id = app.alert_of("VH-E1").await["alert_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Step 1: the fleet manager, told why.
    let fm_mail = app
        .inbox
        .wait_for("email", 1, 15, |m| m["to"][0] == "fm@acme.test")
        .await;
    assert!(
        fm_mail[0]["subject"]
            .as_str()
            .unwrap()
            .contains("ESCALATED")
    );
    assert!(
        fm_mail[0]["text"]
            .as_str()
            .unwrap()
            .contains("nobody acknowledged")
    );
    let esc = app.wait_stream("alert.escalated", 1).await;
    assert_eq!(esc[0]["payload"]["level"], 1);
    assert_eq!(esc[0]["payload"]["target"], "fleet_manager");
    assert_eq!(esc[0]["payload"]["escalated_to"], fm.to_string());

    // Restart the service between steps: the timer is in the database.
    let inbox = std::mem::replace(&mut app.inbox, Inbox::start().await);
    let db_url = {
        let opts = app.db.connect_options();
        format!(
            "postgres://fleet:fleet@127.0.0.1:5432/{}",
            opts.get_database().unwrap()
        )
    };
    let prefix = app.keys.prefix().to_owned();
    app.stop().await;
    let app = spawn_with_inbox(inbox, |c| {
        short(c);
        c.common.database_url = shared_runtime::config::Secret::new(db_url.clone());
        c.common.redis_prefix = prefix.clone();
    })
    .await;
    let ec_mail = app
        .inbox
        .wait_for("email", 1, 15, |m| m["to"][0] == "ec@acme.test")
        .await;
    assert!(
        ec_mail[0]["subject"]
            .as_str()
            .unwrap()
            .contains("ESCALATED")
    );
    // The SMTP server has the message before the sender records it as sent.
    let a = wait_alert(&app, &id, 10, |a| {
        deliveries(a, "email", "sent")
            .iter()
            .any(|d| d["contact_id"] == ec.to_string())
    })
    .await;
    assert_eq!(a["step"], 2);

    // The fleet manager acknowledges over REST: no more steps.
    let r = app
        .post_as(
            &format!("/v1/alerts/{id}/acknowledge"),
            &token(Role::FleetManager, ORG, &[]),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let a: serde_json::Value = r.json().await.unwrap();
    assert_eq!(a["status"], "acknowledged");
    assert_eq!(a["ack_via"], "rest");
    assert!(a.get("next_escalation_at").is_none());
    let n = app.inbox.messages(Some("email")).await.len();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        app.inbox.messages(Some("email")).await.len(),
        n,
        "no reminder after the acknowledgement"
    );
    assert_eq!(app.alert(&id).await["step"], 2);
    let acked = app.wait_stream("alert.acknowledged", 1).await;
    assert_eq!(acked[0]["payload"]["via"], "rest");
    // Acknowledging again is harmless; support is read-only.
    let again = app
        .post_as(
            &format!("/v1/alerts/{id}/acknowledge"),
            &admin(),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(again.status(), 200);
    let support = app
        .post_as(
            &format!("/v1/alerts/{id}/acknowledge"),
            &token(Role::Support, ORG, &[]),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(support.status(), 403);
}

#[tokio::test]
async fn the_signed_link_acknowledges_once_and_bad_links_get_a_clear_4xx() {
    let app = spawn_with(short).await;
    let [owner, _, _] = app.chain().await;
    app.publish(&[envelope("agent", decision("VH-L1", Severity::High))])
        .await;
    let mail = app
        .inbox
        .wait_for("email", 1, 15, |m| m["to"][0] == "owner@acme.test")
        .await;
    let link = ack_link(&mail[0]);
    let path = link.trim_start_matches("http://alert.test");
    let id = app.alert_of("VH-L1").await["alert_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(path.starts_with(&format!("/v1/alerts/{id}/ack?token=")));

    // Tampered, for another alert, expired, malformed, missing.
    let tampered = format!("{}x", path);
    let r = app.client.get(app.url(&tampered)).send().await.unwrap();
    assert!(matches!(r.status().as_u16(), 400 | 403), "{}", r.status());
    let token = path.split("token=").nth(1).unwrap();
    let other = Uuid::now_v7();
    let r = app
        .client
        .get(app.url(&format!("/v1/alerts/{other}/ack?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("not valid for this alert"));
    let signer = LinkSigner::new(LINK_SECRET);
    let expired = signer.sign(
        id.parse().unwrap(),
        owner,
        Utc::now() - chrono::Duration::minutes(1),
    );
    let r = app
        .client
        .get(app.url(&format!("/v1/alerts/{id}/ack?token={expired}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 410);
    assert!(r.text().await.unwrap().contains("expired"));
    let forged = LinkSigner::new("not-the-secret").sign(
        id.parse().unwrap(),
        owner,
        Utc::now() + chrono::Duration::hours(1),
    );
    let r = app
        .client
        .get(app.url(&format!("/v1/alerts/{id}/ack?token={forged}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = app
        .client
        .get(app.url(&format!("/v1/alerts/{id}/ack?token=%%%")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = app
        .client
        .get(app.url(&format!("/v1/alerts/{id}/ack")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        app.alert(&id).await["status"],
        "open",
        "bad links change nothing"
    );

    // The real link: acknowledged, by the owner, via the link.
    let r = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(r.text().await.unwrap().contains("Alert acknowledged"));
    let a = app.alert(&id).await;
    assert_eq!(a["status"], "acknowledged");
    assert_eq!(a["ack_via"], "link");
    assert_eq!(a["acknowledged_by"], format!("contact:{owner}"));
    // Following it again says so; the escalation never happens.
    let r = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Already acknowledged"));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let a = wait_alert(&app, &id, 1, |_| true).await;
    assert_eq!(a["step"], 0);
    assert!(
        a["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["step"] == 0)
    );
    assert!(app.stream("alert.escalated").await.is_empty());
    assert!(
        app.inbox
            .messages(Some("email"))
            .await
            .iter()
            .all(|m| m["to"][0] == "owner@acme.test")
    );
}

#[tokio::test]
async fn a_worse_event_reopens_an_acknowledged_alert_and_a_low_confidence_decision_asks_the_fleet_manager()
 {
    let app = spawn_with(|_| {}).await;
    app.chain().await;
    app.publish(&[envelope("agent", decision("VH-R1", Severity::Medium))])
        .await;
    app.inbox
        .wait_for("email", 1, 15, |m| m["to"][0] == "owner@acme.test")
        .await;
    let id = app.alert_of("VH-R1").await["alert_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post_as(
            &format!("/v1/alerts/{id}/acknowledge"),
            &admin(),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    // The same component, now critical: reopened, notified at the new severity.
    app.publish(&[envelope("agent", decision("VH-R1", Severity::Critical))])
        .await;
    let mails = app
        .inbox
        .wait_for("email", 2, 15, |m| m["to"][0] == "owner@acme.test")
        .await;
    assert!(
        mails[1]["subject"]
            .as_str()
            .unwrap()
            .starts_with("[EMERGENCY]")
    );
    let a = app.alert(&id).await;
    assert_eq!(a["status"], "open");
    assert_eq!(a["severity"], "emergency");
    assert!(
        a["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["what"] == "reopened")
    );

    // A low-confidence decision on another vehicle: the fleet manager reviews it.
    let mut d = decision("VH-R2", Severity::Medium);
    d.confidence = 0.5;
    let made = envelope("agent", d.clone());
    let esc = envelope(
        "agent",
        shared_schemas::events::Escalation {
            decision_id: d.decision_id,
            org_id: ORG.to_owned(),
            vehicle_id: "VH-R2".to_owned(),
            component: d.component,
            severity: d.severity,
            reason: "confidence 0.50 below 0.70".to_owned(),
            confidence: 0.5,
            escalated_at: Utc::now(),
            overdue: false,
        },
    );
    app.publish(&[made]).await;
    app.publish(&[esc]).await;
    let fm = app
        .inbox
        .wait_for("email", 1, 15, |m| m["to"][0] == "fm@acme.test")
        .await;
    assert!(
        fm[0]["text"]
            .as_str()
            .unwrap()
            .contains("Needs human review"),
        "{:#}",
        fm[0]
    );
    let a = app.alert_of("VH-R2").await;
    assert_eq!(a["needs_review"], true);
    assert_eq!(a["step"], 0);
}

/// An evidence-poor critical decision (under the review confidence) and its escalation:
/// a critical alert for the owner and a review for the fleet manager, never an
/// emergency on every channel.
#[tokio::test]
async fn an_evidence_poor_critical_decision_is_never_an_emergency() {
    let app = spawn_with(|_| {}).await;
    app.chain().await;
    let mut d = decision("VH-P1", Severity::Critical);
    d.confidence = 0.45;
    let esc = envelope(
        "agent",
        shared_schemas::events::Escalation {
            decision_id: d.decision_id,
            org_id: ORG.to_owned(),
            vehicle_id: "VH-P1".to_owned(),
            component: d.component,
            severity: d.severity,
            reason: "confidence 0.45 below 0.70".to_owned(),
            confidence: 0.45,
            escalated_at: Utc::now(),
            overdue: false,
        },
    );
    app.publish(&[envelope("agent", d)]).await;
    app.publish(&[esc]).await;
    let mails = app
        .inbox
        .wait_for("email", 1, 15, |m| m["to"][0] == "owner@acme.test")
        .await;
    let subject = mails[0]["subject"].as_str().unwrap();
    assert!(subject.starts_with("[CRITICAL] VH-P1"), "{subject}");
    app.inbox
        .wait_for("email", 1, 15, |m| m["to"][0] == "fm@acme.test")
        .await;
    let a = app.alert_of("VH-P1").await;
    assert_eq!(a["severity"], "critical", "{a:#}");
    assert_eq!(a["needs_review"], true);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        app.inbox.messages(Some("webhook")).await.is_empty(),
        "no emergency-only channel"
    );
}
