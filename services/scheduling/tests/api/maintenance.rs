//! Preventive maintenance: a plan falling due proposes its service once; the completed
//! service starts the interval again.

use serde_json::{Value, json};
use shared_runtime::auth::Role;

use crate::helpers::{ORG, get_json, manager, seed, spawn_app, token};

#[tokio::test]
async fn a_plan_due_soon_proposes_its_service_once_and_completion_restarts_it() {
    let app = spawn_app().await;
    let _s = seed(&app).await;
    let fm = manager();
    let last = chrono::Utc::now() - chrono::Duration::days(28);
    let r = app
        .post_as(
            "/v1/maintenance-plans",
            &fm,
            &json!({
            "vehicle_ids": ["pm-1", "pm-2"], "title": "Oil and filter change", "skill": "general",
            "duration_minutes": 90, "parts": {"oil_filter": 1},
            "every_km": 40000.0, "every_days": 30, "last_done_at": last}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let plans: Value = r.json().await.unwrap();
    assert_eq!(plans.as_array().unwrap().len(), 2);
    // Bad plans are named.
    let r = app
        .post_as(
            "/v1/maintenance-plans",
            &fm,
            &json!({
            "vehicle_ids": ["pm-3"], "title": "x", "skill": "general", "duration_minutes": 90}),
        )
        .await;
    assert_eq!(r.status(), 400, "no interval");
    assert_eq!(
        app.post_as(
            "/v1/maintenance-plans/check",
            &token(Role::Owner, ORG, &["pm-1"]),
            &json!({})
        )
        .await
        .status(),
        403
    );

    // 28 of 30 days: due within the 10 % margin, so each vehicle gets options.
    let r = app
        .post_as("/v1/maintenance-plans/check", &fm, &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let checked: Value = r.json().await.unwrap();
    assert_eq!(
        checked["proposed_jobs"].as_array().unwrap().len(),
        2,
        "{checked}"
    );
    let proposed = app.wait_stream("appointment.proposed", 2).await;
    assert!(proposed.iter().all(|p| p["payload"]["kind"] == "routine"));
    // Checked again: the open job is not proposed twice.
    let again: Value = app
        .post_as("/v1/maintenance-plans/check", &fm, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["proposed_jobs"], json!([]));

    // The owner approves, the technician completes: the plan counts from today.
    let owner = token(Role::Owner, ORG, &["pm-1"]);
    let mine = get_json(&app, "/v1/proposals", &owner).await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    let job_note = mine[0]["job"]["note"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(job_note.contains("days"), "why it is due: {job_note}");
    let id = mine[0]["id"].as_str().unwrap();
    let r = app
        .post_as(
            &format!("/v1/proposals/{id}/approve"),
            &owner,
            &json!({"option": 0}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let a: Value = r.json().await.unwrap();
    let r = app
        .post_as(
            &format!("/v1/appointments/{}/complete", a["id"].as_str().unwrap()),
            &fm,
            &json!({"parts_used": {"oil_filter": 1}, "odometer_km": 81000.0}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let plans = get_json(&app, "/v1/maintenance-plans?vehicle_id=pm-1", &fm).await;
    let p = &plans[0];
    assert_eq!(p["open_job_id"], Value::Null, "{p}");
    assert_eq!(p["last_odometer_km"], 81000.0);
    let done: chrono::DateTime<chrono::Utc> = p["last_done_at"].as_str().unwrap().parse().unwrap();
    assert!(chrono::Utc::now() - done < chrono::Duration::minutes(1));
}
