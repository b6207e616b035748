//! Batch re-planning: open jobs placed at once around the bookings, shown, committed.

use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_schemas::events::{Component, Severity};

use crate::helpers::{ORG, decision, manager, seed, spawn_app, token};

#[tokio::test]
async fn optimize_plans_every_open_job_and_commit_books_them() {
    let app = spawn_app().await;
    let _s = seed(&app).await;
    let events: Vec<_> = (0..5)
        .map(|i| decision(&format!("fleet-{i}"), Component::Brakes, Severity::High, 5))
        .collect();
    app.publish(&events).await;
    app.wait_stream("appointment.proposed", 5).await;
    let fm = manager();
    let r = app.post_as("/v1/plans/optimize", &fm, &json!({})).await;
    assert_eq!(r.status(), 200);
    let plan: Value = r.json().await.unwrap();
    let placed = plan["assignments"].as_array().unwrap();
    assert_eq!(
        placed.len() + plan["unassigned"].as_array().unwrap().len(),
        5,
        "{plan:#}"
    );
    assert_eq!(placed.len(), 5, "capacity for all five: {plan:#}");
    assert!(plan["objective"].as_f64().unwrap() > 0.0);
    // Nothing is booked before the commit.
    let booked: i64 = sqlx::query_scalar("SELECT count(*) FROM appointments")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(booked, 0);
    let owner = token(Role::Owner, ORG, &["fleet-0"]);
    let id = plan["id"].as_str().unwrap();
    assert_eq!(
        app.post_as(&format!("/v1/plans/{id}/commit"), &owner, &json!({}))
            .await
            .status(),
        403
    );
    let other_org = token(Role::FleetManager, "globex", &[]);
    assert_eq!(
        app.post_as(&format!("/v1/plans/{id}/commit"), &other_org, &json!({}))
            .await
            .status(),
        404
    );
    let r = app
        .post_as(&format!("/v1/plans/{id}/commit"), &fm, &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let committed: Value = r.json().await.unwrap();
    assert_eq!(
        committed["booked"].as_array().unwrap().len(),
        5,
        "{committed:#}"
    );
    assert_eq!(
        app.post_as(&format!("/v1/plans/{id}/commit"), &fm, &json!({}))
            .await
            .status(),
        409
    );
    app.wait_stream("appointment.scheduled", 5).await;
    let open: i64 = sqlx::query_scalar("SELECT count(*) FROM proposals WHERE status = 'open'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(open, 0, "booked jobs' proposals are superseded");
}
