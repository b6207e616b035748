//! REST: contacts and preferences with their validation and scope, alert listing and
//! scope, resolving, statistics, and the live feed.

use std::time::Duration;

use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_schemas::events::Severity;

use crate::helpers::{ORG, admin, decision, envelope, spawn_app, token, token_for};

#[tokio::test]
async fn contacts_are_validated_scoped_and_editable_by_their_user() {
    let app = spawn_app().await;
    let fm = token(Role::FleetManager, ORG, &[]);
    // Bad input: 400 naming the problem.
    for (body, needle) in [
        (json!({"name": "", "role": "owner"}), "name"),
        (json!({"name": "A", "role": "boss"}), "role"),
        (
            json!({"name": "A", "role": "owner", "email": "not-an-address"}),
            "email",
        ),
        (
            json!({"name": "A", "role": "owner", "phone": "555-1234"}),
            "E.164",
        ),
        (
            json!({"name": "A", "role": "owner", "webhook_url": "ftp://x"}),
            "webhook_url",
        ),
        (
            json!({"name": "A", "role": "owner", "colour": "red"}),
            "colour",
        ),
        (
            json!({"name": "A", "role": "owner", "preferences": {"quiet_hours": {"start": "25:00", "end": "07:00"}}}),
            "quiet_hours.start",
        ),
        (
            json!({"name": "A", "role": "owner", "preferences": {"channels": {"sms": "sometimes"}}}),
            "sometimes",
        ),
    ] {
        let r = app.post_as("/v1/contacts", &fm, &body).await;
        assert_eq!(r.status(), 400, "{body}");
        let e: Value = r.json().await.unwrap();
        assert!(
            e["message"].as_str().unwrap().contains(needle),
            "{body}: {e}"
        );
    }
    // A fleet manager manages their organization only; admins must name one.
    let r = app
        .post_as(
            "/v1/contacts",
            &fm,
            &json!({"org_id": "other", "name": "X", "role": "owner"}),
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .post_as(
            "/v1/contacts",
            &admin(),
            &json!({"name": "X", "role": "owner"}),
        )
        .await;
    assert_eq!(r.status(), 400);
    let r = app
        .post_as(
            "/v1/contacts",
            &fm,
            &json!({"name": "Dana Driver", "role": "owner", "vehicle_ids": ["VH-1"], "user_id": "dana", "email": "dana@acme.test"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["org_id"], ORG);
    assert_eq!(
        c["preferences"]["channels"]["sms"], "critical",
        "domain reference defaults"
    );
    let id = c["contact_id"].as_str().unwrap().to_owned();
    // PUT replaces an existing contact, idempotently; it never creates one.
    let fixed = "0193a000-0000-7000-8000-000000000001";
    let night =
        json!({"name": "Night desk", "role": "emergency_contact", "email": "night@acme.test"});
    let r = app
        .put_as(&format!("/v1/contacts/{fixed}"), &fm, &night)
        .await;
    assert_eq!(r.status(), 404);
    let r = app.post_as("/v1/contacts", &fm, &night).await;
    assert_eq!(r.status(), 201);
    let night_id = r.json::<Value>().await.unwrap()["contact_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..2 {
        let r = app
            .put_as(&format!("/v1/contacts/{night_id}"), &fm, &json!({"name": "Night desk 2", "role": "emergency_contact", "email": "night@acme.test"}))
            .await;
        assert_eq!(r.status(), 200);
    }
    let list: Value = app.get_as("/v1/contacts", &fm).await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let other: Value = app
        .get_as("/v1/contacts", &token(Role::FleetManager, "other", &[]))
        .await
        .json()
        .await
        .unwrap();
    assert!(other.as_array().unwrap().is_empty());
    assert_eq!(
        app.get_as(
            &format!("/v1/contacts/{id}"),
            &token(Role::FleetManager, "other", &[])
        )
        .await
        .status(),
        404
    );
    // Dana edits her own preferences; another owner cannot.
    let dana = token_for("dana", Role::Owner, ORG, &["VH-1"]);
    let prefs = json!({"channels": {"email": "warning", "sms": "emergency"},
                       "quiet_hours": {"start": "22:00", "end": "06:30", "timezone": "America/Chicago"}});
    let r = app
        .put_as(&format!("/v1/contacts/{id}/preferences"), &dana, &prefs)
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let got: Value = app
        .get_as(&format!("/v1/contacts/{id}/preferences"), &dana)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["channels"]["email"], "warning");
    assert_eq!(got["quiet_hours"]["timezone"], "America/Chicago");
    let eve = token_for("eve", Role::Owner, ORG, &["VH-1"]);
    assert_eq!(
        app.put_as(&format!("/v1/contacts/{id}/preferences"), &eve, &prefs)
            .await
            .status(),
        404
    );
    let r = app
        .put_as(
            &format!("/v1/contacts/{id}/preferences"),
            &dana,
            &json!({"quiet_hours": {"start": "22:00", "end": "06:00", "timezone": "Mars/Base"}}),
        )
        .await;
    assert_eq!(r.status(), 400);
    // Owners cannot manage contacts; deleting works for managers.
    assert_eq!(
        app.post_as(
            "/v1/contacts",
            &dana,
            &json!({"name": "X", "role": "owner"})
        )
        .await
        .status(),
        403
    );
    let r = app
        .client
        .delete(app.url(&format!("/v1/contacts/{id}")))
        .bearer_auth(&fm)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        app.get_as(&format!("/v1/contacts/{id}"), &fm)
            .await
            .status(),
        404
    );
    // Unauthenticated.
    assert_eq!(
        app.client
            .get(app.url("/v1/contacts"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn alerts_are_listed_filtered_scoped_resolved_and_counted() {
    let app = spawn_app().await;
    app.chain().await;
    let mut other_org = decision("VH-X9", Severity::High);
    other_org.org_id = "other".to_owned();
    app.publish(&[
        envelope("agent", decision("VH-A1", Severity::High)),
        envelope("agent", decision("VH-A2", Severity::Low)),
        envelope("agent", other_org),
    ])
    .await;
    app.wait_consumed().await;
    let all: Value = app
        .get_as("/v1/alerts", &admin())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["alerts"].as_array().unwrap().len(), 3);
    let mine: Value = app
        .get_as("/v1/alerts", &token(Role::Support, ORG, &[]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["alerts"].as_array().unwrap().len(), 2);
    let owner: Value = app
        .get_as("/v1/alerts", &token(Role::Owner, ORG, &["VH-A2"]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(owner["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(owner["alerts"][0]["severity"], "info");
    let crit: Value = app
        .get_as("/v1/alerts?severity=critical&status=open", &admin())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(crit["alerts"].as_array().unwrap().len(), 2);
    // Paging.
    let p1: Value = app
        .get_as("/v1/alerts?limit=2", &admin())
        .await
        .json()
        .await
        .unwrap();
    let cursor = p1["next_cursor"].as_str().unwrap();
    let p2: Value = app
        .get_as(&format!("/v1/alerts?limit=2&cursor={cursor}"), &admin())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p2["alerts"].as_array().unwrap().len(), 1);
    assert_ne!(p1["alerts"][0]["alert_id"], p2["alerts"][0]["alert_id"]);
    // Bad filters.
    for q in [
        "status=closed",
        "severity=urgent",
        "subject=wheels",
        "limit=0",
        "cursor=zzz",
        "colour=red",
    ] {
        let r = app.get_as(&format!("/v1/alerts?{q}"), &admin()).await;
        assert_eq!(r.status(), 400, "{q}");
        let e: Value = r.json().await.unwrap();
        assert!(e["code"] == "bad_request", "{e}");
    }
    // Another organization's alert is invisible.
    let x9 = all["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["vehicle_id"] == "VH-X9")
        .unwrap();
    let x9_id = x9["alert_id"].as_str().unwrap();
    assert_eq!(
        app.get_as(
            &format!("/v1/alerts/{x9_id}"),
            &token(Role::FleetManager, ORG, &[])
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.get_as("/v1/alerts/not-a-uuid", &admin()).await.status(),
        400
    );
    // Resolve, with a reason; a new event then opens a new alert.
    let a1 = all["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["vehicle_id"] == "VH-A1")
        .unwrap();
    let a1_id = a1["alert_id"].as_str().unwrap();
    let r = app
        .post_as(
            &format!("/v1/alerts/{a1_id}/resolve"),
            &token(Role::Technician, ORG, &[]),
            &json!({"resolution": ""}),
        )
        .await;
    assert_eq!(r.status(), 400);
    let r = app
        .post_as(
            &format!("/v1/alerts/{a1_id}/resolve"),
            &token(Role::Technician, ORG, &[]),
            &json!({"resolution": "DPF cleaned"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "resolved");
    let r = app
        .post_as(
            &format!("/v1/alerts/{a1_id}/acknowledge"),
            &admin(),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 409);
    app.wait_stream("alert.resolved", 1).await;
    app.publish(&[envelope("agent", decision("VH-A1", Severity::High))])
        .await;
    app.wait_consumed().await;
    let v: Value = app
        .get_as("/v1/alerts?vehicle_id=VH-A1", &admin())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["alerts"].as_array().unwrap().len(), 2);
    // Statistics.
    app.post_as(
        &format!(
            "/v1/alerts/{}/acknowledge",
            v["alerts"][0]["alert_id"].as_str().unwrap()
        ),
        &admin(),
        &json!({}),
    )
    .await;
    let s: Value = app
        .get_as("/v1/alerts/stats", &token(Role::FleetManager, ORG, &[]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["total"], 3);
    assert_eq!(s["time_to_acknowledge"]["acknowledged"], 1);
    assert!(
        s["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["key"] == "email")
    );
    assert_eq!(
        app.get_as("/v1/alerts/stats", &token(Role::Owner, ORG, &["VH-A1"]))
            .await
            .status(),
        403
    );
    let r = app
        .get_as(
            "/v1/alerts/stats?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z",
            &admin(),
        )
        .await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn the_live_feed_streams_the_callers_alert_events() {
    let app = spawn_app().await;
    app.chain().await;
    let fm = token(Role::FleetManager, ORG, &[]);
    let resp = app
        .client
        .get(app.url(&format!("/v1/alerts/stream?access_token={fm}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let other = app
        .client
        .get(app.url("/v1/alerts/stream"))
        .bearer_auth(token(Role::FleetManager, "other", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        app.client
            .get(app.url("/v1/alerts/stream"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // Give the feed reader a moment to be blocked on the stream's end.
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.publish(&[envelope("agent", decision("VH-F1", Severity::Medium))])
        .await;
    let mut resp = resp;
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !seen.contains("event: alert.created") {
        let chunk = tokio::time::timeout_at(deadline, resp.chunk())
            .await
            .expect("an event within 15 s");
        seen.push_str(&String::from_utf8_lossy(&chunk.unwrap().unwrap()));
    }
    assert!(seen.contains("VH-F1"), "{seen}");
    // The other organization's subscriber gets nothing but keep-alives.
    let mut other = other;
    if let Ok(Ok(Some(chunk))) =
        tokio::time::timeout(Duration::from_millis(500), other.chunk()).await
    {
        assert!(!String::from_utf8_lossy(&chunk).contains("VH-F1"));
    }
}
