//! The audit log: events of every stream and state-changing requests are chained per
//! organization, searched, exported and verified; tampering with a row is reported at
//! that row; the service's role cannot update or delete entries; scoping by role and
//! organization.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_runtime::bus::Publisher;
use shared_runtime::testing::app::wait_until;
use uuid::Uuid;

use analytics::events::audit::{GROUP, event_types};

use crate::helpers::{TestApp, spawn_app, token};

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 12, minute, 0).unwrap()
}

/// An envelope as a producer would publish it.
fn envelope(event_type: &str, vehicle: &str, minute: u32, payload: Value) -> Value {
    json!({
        "event_id": Uuid::now_v7(),
        "event_type": event_type,
        "schema_version": 1,
        "occurred_at": at(minute),
        "producer": event_type.split('.').next().unwrap(),
        "correlation_id": Uuid::now_v7(),
        "vehicle_id": vehicle,
        "payload": payload,
    })
}

async fn publish(app: &TestApp, events: &[Value]) {
    let publisher = Publisher::new(app.redis.clone(), app.keys.clone(), 10_000);
    let raw: Vec<(String, String)> = events
        .iter()
        .map(|e| (e["event_type"].as_str().unwrap().to_owned(), e.to_string()))
        .collect();
    publisher.publish_raw(&raw).await.unwrap();
}

/// Waits until the log holds `n` entries.
async fn wait_entries(app: &TestApp, n: i64) {
    wait_until(
        Duration::from_secs(20),
        &format!("{n} audit entries"),
        || async {
            let count: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_entries")
                .fetch_one(&app.db)
                .await
                .unwrap();
            (count >= n).then_some(())
        },
    )
    .await;
}

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    let response = app.get_as(path, token).await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The fleet the tests audit: acme's alert and telemetry, a transfer of truck-2 from
/// acme to globex, globex's decision, and an event whose vehicle nobody claimed.
fn fleet_events() -> Vec<Value> {
    vec![
        envelope(
            "alert.created",
            "truck-1",
            1,
            json!({"org_id": "acme", "vehicle_id": "truck-1", "title": "DPF service needed"}),
        ),
        envelope(
            "vehicle.telemetry.received",
            "truck-2",
            2,
            json!({"org_id": "acme", "reading_id": "r-1", "reading": {"vehicle_id": "truck-2"}}),
        ),
        envelope(
            "vehicle.ownership.transferred",
            "truck-2",
            3,
            json!({"vehicle_id": "truck-2", "from_org_id": "acme", "to_org_id": "globex",
                   "reason": "sold", "transferred_by": "admin-1"}),
        ),
        envelope(
            "agent.decision.made",
            "truck-2",
            4,
            json!({"org_id": "globex", "vehicle_id": "truck-2", "diagnosis": "brake pads 15%"}),
        ),
    ]
}

#[tokio::test]
async fn events_are_chained_per_organization_searched_and_exported() {
    let app = spawn_app().await;
    let events = fleet_events();
    publish(&app, &events).await;
    wait_entries(&app, 5).await;
    // The transfer joins both chains; a redelivered event is recorded once.
    publish(&app, &events[..1]).await;
    app.wait_caught_up(GROUP, &event_types(), Duration::from_secs(20))
        .await;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_entries")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 5);
    let admin = token(Role::Admin, "ops", &[]);
    let acme = token(Role::FleetManager, "acme", &[]);
    let globex = token(Role::Support, "globex", &[]);

    let (status, page) = get(&app, "/v1/audit", &acme).await;
    assert_eq!(status, 200, "{page}");
    let entries = page["entries"].as_array().unwrap();
    // Chained in the order recorded (streams are read side by side, so not
    // necessarily the order published).
    let types = event_types_of(&page);
    assert_eq!(
        types,
        [
            "alert.created",
            "vehicle.ownership.transferred",
            "vehicle.telemetry.received"
        ]
    );
    let seqs: Vec<i64> = entries.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [3, 2, 1]);
    assert_eq!(entries[2]["prev_hash"], "0".repeat(64));
    assert_eq!(entries[1]["prev_hash"], entries[2]["hash"]);
    assert_eq!(entries[0]["prev_hash"], entries[1]["hash"]);
    let alert = entries
        .iter()
        .find(|e| e["event_type"] == "alert.created")
        .unwrap();
    assert_eq!(alert["payload"]["title"], "DPF service needed");
    assert_eq!(alert["source_id"], events[0]["event_id"]);
    assert_eq!(alert["kind"], "event");
    assert_eq!(alert["vehicle_id"], "truck-1");

    let (_, page) = get(&app, "/v1/audit", &globex).await;
    assert_eq!(
        event_types_of(&page),
        ["agent.decision.made", "vehicle.ownership.transferred"]
    );

    check_filters(&app, &admin).await;
    check_export(&app, &acme).await;

    let (status, report) = get(&app, "/v1/audit/verify", &admin).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["checked"], 5);
    let chains: Vec<(&str, i64)> = report["chains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["org_id"].as_str().unwrap(),
                c["head_seq"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(chains, [("acme", 3), ("globex", 2)]);
    let (_, mine) = get(&app, "/v1/audit/verify", &acme).await;
    assert_eq!(mine["chains"].as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine["checked"], 3);
}

/// The event types of a page, sorted.
fn event_types_of(page: &Value) -> Vec<String> {
    let mut types: Vec<String> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap().to_owned())
        .collect();
    types.sort();
    types
}

/// Each filter, the page size and the cursor (as an admin: every chain).
async fn check_filters(app: &TestApp, admin: &str) {
    let count = |body: &Value| body["entries"].as_array().unwrap().len();
    for (query, expected) in [
        ("", 5),
        ("?org_id=globex", 2),
        ("?vehicle_id=truck-2", 4),
        ("?type=alert.created", 1),
        ("?kind=request", 0),
        ("?q=brake%20PADS", 1),
        ("?q=15%25", 1),
        ("?q=%25%25", 0),
        // acme's two events, and the transfer in both chains (it names acme).
        ("?q=org%20acme", 4),
        ("?from=2025-03-01T12:02:00Z&to=2025-03-01T12:04:00Z", 3),
        ("?actor=nobody", 0),
    ] {
        let (status, body) = get(app, &format!("/v1/audit{query}"), admin).await;
        assert_eq!((status, count(&body)), (200, expected), "{query}: {body}");
    }
    let (_, first) = get(app, "/v1/audit?limit=2", admin).await;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let (_, second) = get(app, &format!("/v1/audit?limit=2&cursor={cursor}"), admin).await;
    let (_, third) = get(
        app,
        &format!(
            "/v1/audit?limit=2&cursor={}",
            second["next_cursor"].as_str().unwrap()
        ),
        admin,
    )
    .await;
    assert_eq!((count(&first), count(&second), count(&third)), (2, 2, 1));
    assert!(third.get("next_cursor").is_none(), "{third}");
    assert_ne!(
        first["entries"][0]["entry_id"],
        second["entries"][0]["entry_id"]
    );

    for (query, needle) in [
        ("?limit=0", "limit"),
        ("?limit=1001", "limit"),
        ("?cursor=abc", "cursor"),
        ("?type=vehicle.exploded", "type"),
        ("?kind=both", "kind"),
        ("?vehicle_id=a%20b", "vehicle_id"),
        ("?from=yesterday", "from"),
        ("?from=2025-03-02T00:00:00Z&to=2025-03-01T00:00:00Z", "from"),
        ("?colour=red", "colour"),
    ] {
        let (status, body) = get(app, &format!("/v1/audit{query}"), admin).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains(needle),
            "{query}: {body}"
        );
    }
}

/// The CSV export: a header and one quoted line per entry, newest first.
async fn check_export(app: &TestApp, acme: &str) {
    let response = app
        .get_as("/v1/audit/export?vehicle_id=truck-1", acme)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("org_id,seq,entry_id,source_id,kind,event_type"));
    assert!(lines[1].starts_with("acme,"), "{text}");
    assert!(lines[1].contains(r#""{""org_id"":""acme"""#), "{text}");
    assert_eq!(lines[2], "");
    let all = app
        .get_as("/v1/audit/export", acme)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(all.matches("\r\nacme,").count(), 3, "{all}");
    let response = app.get_as("/v1/audit/export?cursor=5", acme).await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn requests_are_recorded_with_caller_outcome_and_chain() {
    let app = spawn_app().await;
    // Another service's audited requests: a fleet manager's, and an admin's about a
    // vehicle the audit knows (it joins the vehicle's organization's chain).
    let request = |actor: Value, path: &str, status: u16, outcome: &str| {
        envelope(
            "audit.request.recorded",
            "truck-1",
            5,
            json!({
                "service": "ingestion", "method": "POST", "route": "/v1/vehicles/{id}/transfers",
                "path": path, "vehicle_id": "truck-1", "status": status, "outcome": outcome,
                "actor": actor, "remote_addr": "203.0.113.9", "request_id": Uuid::now_v7(),
                "received_at": at(5), "duration_ms": 3.5,
            }),
        )
    };
    let events = [
        fleet_events().remove(1), // truck-2 is acme's
        envelope(
            "vehicle.telemetry.received",
            "truck-1",
            1,
            json!({"org_id": "acme", "reading": {}}),
        ),
        request(
            json!({"sub": "manager-9", "role": "fleet_manager", "org": "acme"}),
            "/v1/vehicles/truck-1/transfers",
            403,
            "denied",
        ),
        request(
            json!({"sub": "admin-1", "role": "admin", "org": "ops"}),
            "/v1/vehicles/truck-1/transfers",
            201,
            "success",
        ),
    ];
    publish(&app, &events[..2]).await;
    wait_entries(&app, 2).await;
    publish(&app, &events[2..]).await;
    wait_entries(&app, 4).await;
    let acme = token(Role::FleetManager, "acme", &[]);
    let (_, page) = get(&app, "/v1/audit?kind=request", &acme).await;
    let entries = page["entries"].as_array().unwrap();
    let who: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap(),
                e["actor_role"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(who, [("admin-1", "admin"), ("manager-9", "fleet_manager")]);
    let summary = entries[1]["summary"].as_str().unwrap();
    assert!(
        summary.contains("POST /v1/vehicles/truck-1/transfers")
            && summary.contains("403 denied by manager-9")
            && summary.contains("from 203.0.113.9"),
        "{summary}"
    );
    let (_, mine) = get(&app, "/v1/audit?actor=manager-9", &acme).await;
    assert_eq!(mine["entries"].as_array().unwrap().len(), 1);

    // The analytics service's own state-changing requests are audited by the runtime
    // too: a refused one (no such method) and one without credentials.
    let refused = app
        .client
        .post(app.url("/v1/audit/verify"))
        .bearer_auth(&acme)
        .header("x-forwarded-for", "198.51.100.4")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 405);
    let anonymous = app
        .client
        .delete(app.url("/v1/audit"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 405);
    wait_entries(&app, 6).await;
    let admin = token(Role::Admin, "ops", &[]);
    let (_, platform) = get(&app, "/v1/audit?org_id=platform&kind=request", &admin).await;
    let own: Vec<(&str, &str, u64, &str)> = platform["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let p = &e["payload"];
            (
                p["service"].as_str().unwrap(),
                p["method"].as_str().unwrap(),
                p["status"].as_u64().unwrap(),
                p["remote_addr"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        own,
        [
            ("analytics", "DELETE", 405, "127.0.0.1"),
            ("analytics", "POST", 405, "198.51.100.4"),
        ]
    );
    assert_eq!(
        platform["entries"][0]["payload"]["outcome"], "rejected",
        "{platform}"
    );

    // An admin's organization created (their own chain), a fleet manager refused.
    let created = app
        .post_as(
            "/v1/orgs",
            &admin,
            &json!({"id": "initech", "name": "Initech"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let refused = app
        .post_as("/v1/orgs", &acme, &json!({"id": "hooli", "name": "Hooli"}))
        .await;
    assert_eq!(refused.status(), 403);
    wait_entries(&app, 8).await;
    let (_, ops) = get(&app, "/v1/audit?org_id=ops&kind=request", &admin).await;
    let entry = &ops["entries"][0];
    assert_eq!(
        (entry["actor"].as_str(), entry["actor_role"].as_str()),
        (Some("tester"), Some("admin")),
        "{ops}"
    );
    assert_eq!(entry["payload"]["route"], "/v1/orgs");
    assert_eq!(
        (
            entry["payload"]["status"].as_u64(),
            entry["payload"]["outcome"].as_str()
        ),
        (Some(201), Some("success"))
    );
    let (_, mine) = get(&app, "/v1/audit?actor=tester", &acme).await;
    let entry = &mine["entries"][0];
    assert_eq!(mine["entries"].as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(entry["actor_role"], "fleet_manager");
    assert_eq!(
        (
            entry["payload"]["status"].as_u64(),
            entry["payload"]["outcome"].as_str()
        ),
        (Some(403), Some("denied"))
    );
}

#[tokio::test]
async fn tampering_is_reported_at_the_modified_row() {
    let app = spawn_app().await;
    publish(&app, &fleet_events()).await;
    wait_entries(&app, 5).await;
    let admin = token(Role::Admin, "ops", &[]);
    let (_, report) = get(&app, "/v1/audit/verify", &admin).await;
    assert_eq!(report["ok"], true, "{report}");

    // The service's role may not change or remove entries.
    for statement in [
        "UPDATE audit_entries SET summary = 'edited'",
        "DELETE FROM audit_entries WHERE seq = 1",
        "TRUNCATE audit_entries",
    ] {
        let err = sqlx::query(statement).execute(&app.db).await.unwrap_err();
        assert!(
            err.to_string().contains("permission denied"),
            "{statement}: {err}"
        );
    }
    // Privileges given back, the trigger still refuses.
    sqlx::query("GRANT UPDATE, DELETE ON audit_entries TO CURRENT_USER")
        .execute(&app.db)
        .await
        .unwrap();
    let err = sqlx::query("UPDATE audit_entries SET summary = 'edited'")
        .execute(&app.db)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");

    // The owner disables the trigger and rewrites acme's second entry.
    sqlx::query("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_update_or_delete")
        .execute(&app.db)
        .await
        .unwrap();
    let (entry_id, stored): (Uuid, Vec<u8>) = sqlx::query_as(
        "UPDATE audit_entries SET payload = '{\"org_id\":\"acme\",\"reading_id\":\"forged\"}'
         WHERE org_id = 'acme' AND seq = 2 RETURNING entry_id, hash",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();

    let (status, report) = get(&app, "/v1/audit/verify", &admin).await;
    assert_eq!(status, 200);
    assert_eq!(report["ok"], false, "{report}");
    let broken = &report["broken"];
    assert_eq!(broken["org_id"], "acme");
    assert_eq!(broken["seq"], 2);
    assert_eq!(broken["entry_id"], entry_id.to_string());
    assert_eq!(broken["problem"], "content");
    assert_eq!(broken["found"], hex::encode(&stored));
    assert_ne!(broken["expected"], broken["found"]);
    let chains = report["chains"].as_array().unwrap();
    assert_eq!(chains[0]["checked"], 2, "stops at the broken link");
    assert!(chains[1].get("broken").is_none(), "globex is intact");

    // Deleting the end of a chain shows at its head.
    sqlx::query("DELETE FROM audit_entries WHERE org_id = 'globex' AND seq = 2")
        .execute(&app.db)
        .await
        .unwrap();
    let (_, report) = get(&app, "/v1/audit/verify?org_id=globex", &admin).await;
    assert_eq!(report["broken"]["problem"], "head", "{report}");
    assert_eq!(report["broken"]["seq"], 2);
}

#[tokio::test]
async fn roles_and_organizations_are_scoped() {
    let app = spawn_app().await;
    publish(&app, &fleet_events()[..1]).await;
    wait_entries(&app, 1).await;
    for role in [Role::Technician, Role::Owner, Role::Service] {
        let t = token(role, "acme", &["truck-1"]);
        for path in ["/v1/audit", "/v1/audit/export", "/v1/audit/verify"] {
            let (status, body) = get(&app, path, &t).await;
            assert_eq!(status, 403, "{role:?} {path}: {body}");
        }
    }
    let foreign = token(Role::FleetManager, "globex", &[]);
    let (_, page) = get(&app, "/v1/audit", &foreign).await;
    assert_eq!(page["entries"], json!([]));
    let (_, report) = get(&app, "/v1/audit/verify", &foreign).await;
    assert_eq!(
        (report["checked"].clone(), report["chains"].clone()),
        (json!(0), json!([]))
    );
    let csv = app
        .get_as("/v1/audit/export", &foreign)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 1, "only the header: {csv}");
    for path in [
        "/v1/audit?org_id=acme",
        "/v1/audit/export?org_id=acme",
        "/v1/audit/verify?org_id=acme",
        "/v1/audit?org_id=no-such-org",
    ] {
        let (status, _) = get(&app, path, &foreign).await;
        assert_eq!(status, 403, "{path}");
    }
    let (status, _) = get(&app, "/v1/audit", "not-a-token").await;
    assert_eq!(status, 401);
}
