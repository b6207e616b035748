//! Decisions and critical components become alerts delivered once per recipient and
//! channel through the real receivers; replays send nothing; the diagnosis is waited
//! for; outages are retried; a crashed sender's claims are sent again.

use std::time::Duration;

use serde_json::{Value, json};
use shared_schemas::events::Severity;

use crate::helpers::{
    ORG, WEBHOOK_SECRET, critical, decision, deliveries, envelope, spawn_app, spawn_with,
    spawn_with_inbox, wait_alert,
};
use crate::inbox::Inbox;

#[tokio::test]
async fn a_decision_alerts_the_owner_once_on_its_channels_even_when_replayed() {
    let app = spawn_app().await;
    let [owner, _, _] = app.chain().await;
    let e = envelope("agent", decision("VH-D1", Severity::High));
    app.publish(std::slice::from_ref(&e)).await;
    // High → critical: email, SMS and push to the owner.
    let mails = app
        .inbox
        .wait_for("email", 1, 20, |m| {
            m["headers"]["X-Fleet-Vehicle-Id"] == "VH-D1"
        })
        .await;
    let m = &mails[0];
    assert_eq!(m["to"][0], "owner@acme.test");
    let subject = m["subject"].as_str().unwrap();
    assert!(subject.starts_with("[CRITICAL] VH-D1: DPF"), "{subject}");
    let text = m["text"].as_str().unwrap();
    assert!(
        text.contains("Run a forced (parked) DPF regeneration"),
        "{text}"
    );
    assert!(m["html"].as_str().unwrap().contains("<ol>"));
    app.inbox
        .wait_for("sms", 1, 10, |s| s["to"][0] == "+15551230001")
        .await;
    let push = app
        .inbox
        .wait_for("push", 1, 10, |p| p["to"][0] == "device-owner-1")
        .await;
    assert!(push[0]["subject"].as_str().unwrap().contains("VH-D1"));

    // The receivers have the messages before the sender records them as sent.
    let id = app.alert_of("VH-D1").await["alert_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let alert = wait_alert(&app, &id, 10, |a| {
        !deliveries(a, "email", "sent").is_empty()
    })
    .await;
    assert_eq!(alert["severity"], "critical");
    assert_eq!(alert["status"], "open");
    assert_eq!(alert["step"], 0);
    assert_eq!(
        alert["diagnosis"]["decision_id"],
        e.payload.decision_id.to_string()
    );
    let emails = deliveries(&alert, "email", "sent");
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0]["contact_id"], owner.to_string());
    // The Message-ID is the delivery's id.
    assert!(
        m["message_id"]
            .as_str()
            .unwrap()
            .contains(emails[0]["delivery_id"].as_str().unwrap())
    );
    // alert.created, caused by the decision.
    let created = app.wait_stream("alert.created", 1).await;
    assert_eq!(created[0]["causation_id"], e.event_id.to_string());
    assert_eq!(created[0]["correlation_id"], e.correlation_id.to_string());
    assert_eq!(created[0]["payload"]["severity"], "critical");

    // The same event again, and a repeat of the decision: folded, nothing sent twice.
    let repeat = envelope("agent", decision("VH-D1", Severity::High));
    app.publish(&[e.clone(), repeat]).await;
    app.wait_consumed().await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(app.inbox.messages(Some("email")).await.len(), 1);
    assert_eq!(app.inbox.messages(Some("sms")).await.len(), 1);
    let alert = app.alert_of("VH-D1").await;
    assert_eq!(
        alert["occurrences"], 2,
        "the replay is not counted, the repeat is"
    );
    assert_eq!(app.stream("alert.created").await.len(), 1);
    // How old the decision was when its alert was committed (the dashboards' latency).
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("alert_trigger_age_seconds_bucket{event_type=\"agent.decision.made\""),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_critical_component_waits_for_the_diagnosis_and_one_message_says_what_to_do() {
    let app = spawn_with(|c| c.decision_wait = Duration::from_secs(20)).await;
    app.chain().await;
    let crit = envelope("health", critical("VH-C1"));
    app.publish(std::slice::from_ref(&crit)).await;
    let alert = app.alert_of("VH-C1").await;
    assert_eq!(alert["severity"], "critical");
    let held = deliveries(&alert, "email", "pending");
    assert_eq!(held.len(), 1, "{alert:#}");
    assert_eq!(held[0]["held"], "decision");
    // The agent's decision on it: critical → emergency; the held critical messages are
    // replaced by the emergency ones, sent now.
    let mut d = envelope("agent", decision("VH-C1", Severity::Critical));
    d.causation_id = Some(crit.event_id);
    app.publish(std::slice::from_ref(&d)).await;
    let mails = app
        .inbox
        .wait_for("email", 1, 10, |m| {
            m["headers"]["X-Fleet-Vehicle-Id"] == "VH-C1"
        })
        .await;
    assert!(
        mails[0]["subject"]
            .as_str()
            .unwrap()
            .starts_with("[EMERGENCY]")
    );
    assert!(
        mails[0]["text"]
            .as_str()
            .unwrap()
            .contains("Clean or replace the DPF")
    );
    let id = alert["alert_id"].as_str().unwrap();
    let alert = wait_alert(&app, id, 10, |a| !deliveries(a, "email", "sent").is_empty()).await;
    assert_eq!(alert["severity"], "emergency");
    assert_eq!(deliveries(&alert, "email", "superseded").len(), 1);
    // Emergency adds webhooks and the feed; the owner has no webhook: skipped, named.
    let skipped = deliveries(&alert, "webhook", "skipped");
    assert!(
        skipped[0]["reason"]
            .as_str()
            .unwrap()
            .contains("no webhook"),
        "{alert:#}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        app.inbox.messages(Some("email")).await.len(),
        1,
        "exactly one email"
    );
}

#[tokio::test]
async fn without_a_diagnosis_the_critical_alert_goes_out_after_the_wait() {
    let app = spawn_with(|c| c.decision_wait = Duration::from_millis(1_500)).await;
    app.chain().await;
    app.publish(&[envelope("health", critical("VH-C2"))]).await;
    let mails = app
        .inbox
        .wait_for("email", 1, 15, |m| {
            m["headers"]["X-Fleet-Vehicle-Id"] == "VH-C2"
        })
        .await;
    let text = mails[0]["text"].as_str().unwrap();
    assert!(
        text.contains("DPF (diesel particulate filter) health is in the critical band"),
        "{text}"
    );
    assert!(
        mails[0]["subject"]
            .as_str()
            .unwrap()
            .starts_with("[CRITICAL] VH-C2")
    );
}

#[tokio::test]
async fn preferences_quiet_hours_and_rate_limits_decide_each_message() {
    let app = spawn_with(|c| {
        c.rate_limits
            .insert(shared_schemas::events::Channel::Push, 1);
    })
    .await;
    // SMS off; quiet hours for push from an hour ago to six hours from now (UTC; not
    // 00:00–23:59, which is not quiet in the last minute of the day).
    let hm = |d: chrono::Duration| (chrono::Utc::now() + d).format("%H:%M").to_string();
    let (start, end) = (
        hm(chrono::Duration::hours(-1)),
        hm(chrono::Duration::hours(6)),
    );
    app.contact(
        "Quiet Owner",
        "owner",
        json!({
            "email": "quiet@acme.test", "phone": "+15551230002", "push_token": "device-q",
            "preferences": {"channels": {"sms": "off"},
                            "quiet_hours": {"start": start, "end": end, "timezone": "UTC"}}
        }),
    )
    .await;
    // A second owner of one vehicle only, who wants SMS for warnings too.
    app.contact(
        "Eager Owner",
        "owner",
        json!({"vehicle_ids": ["VH-Q2"], "phone": "+15551230003", "push_token": "device-e",
               "preferences": {"channels": {"sms": "warning"}}}),
    )
    .await;
    app.publish(&[envelope("agent", decision("VH-Q1", Severity::High))])
        .await;
    let a = app.alert_of("VH-Q1").await;
    let id = a["alert_id"].as_str().unwrap().to_owned();
    let a = wait_alert(&app, &id, 10, |a| {
        !deliveries(a, "email", "sent").is_empty()
    })
    .await;
    let sms = deliveries(&a, "sms", "suppressed");
    assert_eq!(sms.len(), 1, "{a:#}");
    assert!(sms[0]["reason"].as_str().unwrap().contains("preferences"));
    let push = deliveries(&a, "push", "pending");
    assert_eq!(push[0]["held"], "quiet_hours", "{a:#}");
    assert_eq!(
        a["deliveries"].as_array().unwrap().len(),
        3,
        "only the owner of every vehicle"
    );

    // A warning for VH-Q2: the eager owner gets an SMS (opted in), no email address.
    app.publish(&[envelope("agent", decision("VH-Q2", Severity::Medium))])
        .await;
    app.inbox
        .wait_for("sms", 1, 10, |s| s["to"][0] == "+15551230003")
        .await;
    let a2 = app.alert_of("VH-Q2").await;
    assert_eq!(deliveries(&a2, "email", "skipped").len(), 1, "{a2:#}");
    assert!(
        deliveries(&a2, "push", "pending").is_empty(),
        "push stays at critical for warnings"
    );

    // Push limit 1 a day per vehicle: a critical on another component of VH-Q2 sends
    // the eager owner's push, a third one is rate limited.
    let mut brakes = decision("VH-Q2", Severity::High);
    brakes.component = shared_schemas::events::Component::Brakes;
    app.publish(&[envelope("agent", brakes)]).await;
    app.inbox
        .wait_for("push", 1, 10, |p| p["to"][0] == "device-e")
        .await;
    let mut battery = decision("VH-Q2", Severity::High);
    battery.component = shared_schemas::events::Component::Battery;
    app.publish(&[envelope("agent", battery)]).await;
    app.wait_consumed().await;
    let limited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM deliveries WHERE vehicle_id = 'VH-Q2' AND channel = 'push' AND status = 'rate_limited'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        limited, 2,
        "both owners' pushes for the battery are over the limit"
    );
}

#[tokio::test]
async fn an_smtp_outage_is_retried_until_the_server_is_back_and_the_mail_arrives_once() {
    // A port nobody listens on yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = Inbox::start().await;
    let app = spawn_with_inbox(down, |c| {
        c.smtp.as_mut().unwrap().url =
            shared_runtime::config::Secret::new(format!("smtp://127.0.0.1:{port}"));
        c.max_attempts = 30;
        c.retry_base = Duration::from_millis(100);
        c.retry_max = Duration::from_millis(300);
    })
    .await;
    app.chain().await;
    app.publish(&[envelope("agent", decision("VH-O1", Severity::Medium))])
        .await;
    let a = app.alert_of("VH-O1").await;
    let id = a["alert_id"].as_str().unwrap().to_owned();
    let a = wait_alert(&app, &id, 15, |a| {
        a["deliveries"][0]["attempts"].as_i64().unwrap_or(0) >= 2
    })
    .await;
    assert!(
        a["deliveries"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("SMTP"),
        "{a:#}"
    );
    let smtp = Inbox::start_on(&format!("127.0.0.1:{port}")).await;
    smtp.wait_for("email", 1, 20, |m| m["to"][0] == "owner@acme.test")
        .await;
    let a = wait_alert(&app, &id, 10, |a| {
        !deliveries(a, "email", "sent").is_empty()
    })
    .await;
    assert!(a["deliveries"][0]["attempts"].as_i64().unwrap() >= 2);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.messages(Some("email")).await.len(), 1);
}

#[tokio::test]
async fn a_crashed_senders_claims_are_sent_again_and_permanent_failures_give_up() {
    let app = spawn_with(|c| c.sender_lease = Duration::from_secs(1)).await;
    let inbox_http = app.inbox.http.clone();
    app.contact(
        "Ops hook",
        "owner",
        json!({"email": "ops@acme.test", "webhook_url": format!("{inbox_http}/webhook/ops")}),
    )
    .await;
    app.contact(
        "Broken hook",
        "owner",
        json!({"webhook_url": format!("{inbox_http}/nowhere")}),
    )
    .await;
    app.publish(&[envelope("agent", decision("VH-S1", Severity::Critical))])
        .await;
    let hooks = app.inbox.wait_for("webhook", 1, 15, |_| true).await;
    // Signed: t=…,v1=HMAC(secret, "t.body").
    let sig = hooks[0]["headers"]["x-fleet-signature"].as_str().unwrap();
    let t: i64 = sig
        .split(',')
        .next()
        .unwrap()
        .trim_start_matches("t=")
        .parse()
        .unwrap();
    let body = hooks[0]["text"].as_str().unwrap();
    assert_eq!(
        sig,
        alert::delivery::http::signature(WEBHOOK_SECRET, t, body.as_bytes())
    );
    let data: Value = serde_json::from_str(body).unwrap();
    assert_eq!(data["alert"]["vehicle_id"], "VH-S1");
    assert_eq!(hooks[0]["headers"]["x-fleet-delivery"], data["delivery_id"]);
    let a = app.alert_of("VH-S1").await;
    let id = a["alert_id"].as_str().unwrap().to_owned();
    // The broken hook answers 404: failed at once, with the reason.
    let a = wait_alert(&app, &id, 10, |a| {
        !deliveries(a, "webhook", "failed").is_empty()
    })
    .await;
    assert!(
        deliveries(&a, "webhook", "failed")[0]["reason"]
            .as_str()
            .unwrap()
            .contains("404"),
        "{a:#}"
    );

    // A sender that died after claiming the email: the row stays `sending`. Simulate it
    // on the Ops hook's email (the broken hook has no address: its email is `skipped`),
    // once its send is recorded, as if "another process" had claimed it.
    app.inbox.wait_for("email", 1, 10, |_| true).await;
    let a = wait_alert(&app, &id, 10, |a| {
        !deliveries(a, "email", "sent").is_empty()
    })
    .await;
    let sent_email = deliveries(&a, "email", "sent")[0]["delivery_id"]
        .as_str()
        .unwrap()
        .to_owned();
    sqlx::query(
        "UPDATE deliveries SET status = 'sending', claimed_at = now() - interval '10 seconds' WHERE delivery_id = $1::uuid",
    )
    .bind(&sent_email)
    .execute(&app.db)
    .await
    .unwrap();
    // The lease expires, it is sent again with the same Message-ID (the documented
    // window: a crash between the send and recording it repeats that one message).
    let again = app.inbox.wait_for("email", 2, 20, |_| true).await;
    assert_eq!(again[0]["message_id"], again[1]["message_id"]);
    let a = wait_alert(&app, &id, 10, |a| deliveries(a, "email", "sent").len() == 1).await;
    assert!(
        deliveries(&a, "email", "sent")[0]["attempts"]
            .as_i64()
            .unwrap()
            >= 2,
        "{a:#}"
    );
    assert_eq!(a["org_id"], ORG);
}
