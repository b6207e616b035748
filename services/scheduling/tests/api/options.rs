//! What could be booked now (`GET /v1/vehicles/{id}/booking-options`): the engine's
//! options on the organization's real capacity, scoped, validated, nothing held.

use serde_json::Value;
use shared_runtime::auth::Role;

use crate::helpers::{ORG, get_json, manager, seed, spawn_app, token};

const PATH: &str = "/v1/vehicles/van-7/booking-options";

#[tokio::test]
async fn booking_options_price_the_work_on_real_capacity_and_hold_nothing() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let o = get_json(
        &app,
        &format!("{PATH}?component=brakes&severity=high&within_days=3"),
        &manager(),
    )
    .await;
    assert_eq!(o["vehicle_id"], "van-7");
    assert_eq!(o["severity"], "high");
    assert_eq!(o["skill"], "brakes", "{o:#}");
    assert!(o["parts"]["brake_pad_set"].as_u64() > Some(0), "{o:#}");
    let options = o["options"].as_array().unwrap();
    assert_eq!(options.len(), 3, "{o:#}");
    let hub = s.hub.to_string();
    assert_eq!(options[0]["center_id"], hub, "the hub has the pads: {o:#}");
    let now = chrono::Utc::now() - chrono::Duration::minutes(1);
    for x in options {
        let starts: chrono::DateTime<chrono::Utc> =
            x["starts_at"].as_str().unwrap().parse().unwrap();
        assert!(starts >= now, "options lie ahead: {x}");
    }
    let booked: i64 = sqlx::query_scalar("SELECT count(*) FROM appointments")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(booked, 0, "an enquiry books nothing");
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(jobs, 0, "nor records a job");

    // Low severity prices the routine inspection, not the repair.
    let low = get_json(
        &app,
        &format!("{PATH}?component=brakes&severity=low"),
        &manager(),
    )
    .await;
    assert_ne!(low["title"], o["title"], "{low:#}");

    // A service names the organization; an owner sees only their own vehicles.
    let service = token(Role::Service, "svc", &[]);
    let as_service = get_json(
        &app,
        &format!("{PATH}?component=brakes&org_id={ORG}"),
        &service,
    )
    .await;
    assert_eq!(as_service["options"].as_array().unwrap().len(), 3);
    let owner = token(Role::Owner, ORG, &["van-7"]);
    get_json(&app, &format!("{PATH}?component=brakes"), &owner).await;
    let stranger = token(Role::Owner, ORG, &["van-8"]);
    let r = app
        .get_as(&format!("{PATH}?component=brakes"), &stranger)
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn booking_options_name_what_is_wrong_with_the_question() {
    let app = spawn_app().await;
    let service = token(Role::Service, "svc", &[]);
    for (query, who, status, words) in [
        ("component=wings", manager(), 400, "component"),
        ("", manager(), 400, "component"),
        (
            "component=brakes&within_days=91",
            manager(),
            400,
            "above 90",
        ),
        (
            "component=brakes&severity=urgent",
            manager(),
            400,
            "severity",
        ),
        ("component=brakes", service.clone(), 400, "org_id"),
        (
            "component=brakes&org_id=other",
            manager(),
            403,
            "organization",
        ),
    ] {
        let r = app.get_as(&format!("{PATH}?{query}"), &who).await;
        assert_eq!(r.status(), status, "{query}");
        let body: Value = r.json().await.unwrap_or_default();
        assert!(
            body.to_string().contains(words),
            "{query}: {body} should name {words}"
        );
    }
    let tech = token(Role::Technician, ORG, &[]);
    let r = app.get_as(&format!("{PATH}?component=brakes"), &tech).await;
    assert_eq!(r.status(), 403);
}
