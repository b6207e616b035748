//! Decisions become bookings: critical work auto-booked once, other work proposed with
//! three options and approved; parts held and released; the work order closes with
//! `appointment.completed`.

use std::time::Duration;

use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_runtime::testing::app::wait_until;
use shared_schemas::events::{Component, Severity};

use crate::helpers::{ORG, TestApp, decision, get_json, get_list, manager, seed, spawn_app, token};

async fn appointments_of(app: &TestApp, vehicle: &str) -> Vec<Value> {
    get_list(
        app,
        &format!("/v1/vehicles/{vehicle}/appointments?status=all"),
    )
    .await
}

async fn stock(app: &TestApp, center: uuid::Uuid, part: &str) -> Value {
    let all = get_json(app, &format!("/v1/centers/{center}/stock"), &manager()).await;
    all.as_array()
        .and_then(|a| a.iter().find(|s| s["part"] == part).cloned())
        .unwrap_or_else(|| panic!("no {part} at {center}: {all}"))
}

#[tokio::test]
async fn critical_work_is_booked_once_at_an_emergency_center_with_its_parts() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let d = decision("truck-1", Component::Brakes, Severity::Critical, 0);
    // Delivered twice (a redelivery): still one appointment.
    app.publish(&[d.clone(), d.clone()]).await;
    let scheduled = app.wait_stream("appointment.scheduled", 1).await;
    app.wait_stream("technician.assigned", 1).await;
    let p = &scheduled[0]["payload"];
    assert_eq!(p["auto_booked"], true);
    assert_eq!(
        p["center_id"],
        s.hub.to_string(),
        "emergency work goes to the emergency hub"
    );
    assert_eq!(p["decision_id"], d.payload.decision_id.to_string());
    assert_eq!(p["kind"], "emergency");
    let list = appointments_of(&app, "truck-1").await;
    assert_eq!(list.len(), 1, "one appointment per decision: {list:#?}");
    let a = &list[0];
    assert_eq!(a["status"], "scheduled");
    assert_eq!(a["parts_from_stock"], true);
    let held = stock(&app, s.hub, "brake_pad_set").await;
    assert!(held["reserved"].as_i64().unwrap() >= 1, "pads held: {held}");
    let starts: chrono::DateTime<chrono::Utc> = a["starts_at"].as_str().unwrap().parse().unwrap();
    let ends: chrono::DateTime<chrono::Utc> = a["ends_at"].as_str().unwrap().parse().unwrap();
    // A job never spans midnight UTC (SPEC): late in the day the next slot is after it.
    let now = chrono::Utc::now();
    let next_midnight = (now.date_naive() + chrono::Days::new(1))
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let hour = chrono::Duration::hours(1);
    let latest = if now + hour + (ends - starts) > next_midnight {
        next_midnight + hour
    } else {
        now + hour
    };
    assert!(
        starts <= latest,
        "critical work at the next slot of a 24/7 center, got {starts} (now {now})"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        app.stream("appointment.scheduled").await.len(),
        1,
        "announced once"
    );
}

#[tokio::test]
async fn other_work_gets_three_distinct_options_and_the_owner_approves_one() {
    let app = spawn_app().await;
    let _s = seed(&app).await;
    app.publish(&[decision("van-7", Component::Brakes, Severity::Medium, 10)])
        .await;
    let proposed = app.wait_stream("appointment.proposed", 1).await;
    let options = proposed[0]["payload"]["options"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(options.len(), 3, "three options: {options:#?}");
    let labels: Vec<&str> = options
        .iter()
        .map(|o| o["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels[..2], ["best_overall", "best_other_center"]);
    // The third is the earliest start, unless one of the first two already is: then it
    // is another time, and says so.
    let start = |o: &serde_json::Value| {
        chrono::DateTime::parse_from_rfc3339(o["starts_at"].as_str().unwrap()).unwrap()
    };
    let earliest_offered = start(&options[0]).min(start(&options[1]));
    match labels[2] {
        "earliest" => assert!(start(&options[2]) <= earliest_offered, "{options:#?}"),
        "alternative" => assert!(earliest_offered <= start(&options[2]), "{options:#?}"),
        other => panic!("third label {other}"),
    }
    let slots: std::collections::HashSet<(String, String)> = options
        .iter()
        .map(|o| (o["center_id"].to_string(), o["starts_at"].to_string()))
        .collect();
    assert_eq!(slots.len(), 3, "distinct options");
    assert_ne!(
        options[0]["center_id"], options[1]["center_id"],
        "another center"
    );
    let owner = token(Role::Owner, ORG, &["van-7"]);
    let stranger = token(Role::Owner, ORG, &["van-8"]);
    let proposals = get_json(&app, "/v1/proposals", &owner).await;
    assert_eq!(proposals.as_array().unwrap().len(), 1);
    assert_eq!(get_json(&app, "/v1/proposals", &stranger).await, json!([]));
    let id = proposals[0]["id"].as_str().unwrap().to_owned();
    let r = app
        .post_as(
            &format!("/v1/proposals/{id}/approve"),
            &stranger,
            &json!({"option": 1}),
        )
        .await;
    assert_eq!(r.status(), 404, "another owner's proposal is invisible");
    let r = app
        .post_as(
            &format!("/v1/proposals/{id}/approve"),
            &owner,
            &json!({"option": 1}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let a: Value = r.json().await.unwrap();
    assert_eq!(a["center_id"], options[1]["center_id"]);
    assert_eq!(a["starts_at"], options[1]["starts_at"]);
    let scheduled = app.wait_stream("appointment.scheduled", 1).await;
    assert_eq!(scheduled[0]["payload"]["proposal_id"], id);
    assert_eq!(scheduled[0]["payload"]["auto_booked"], false);
    let again = app
        .post_as(
            &format!("/v1/proposals/{id}/approve"),
            &owner,
            &json!({"option": 0}),
        )
        .await;
    assert_eq!(again.status(), 409, "approved once");
    let bad = app
        .post_as(
            &format!("/v1/proposals/{id}/approve"),
            &owner,
            &json!({"option": 7}),
        )
        .await;
    assert!(bad.status() == 400 || bad.status() == 409);
}

#[tokio::test]
async fn one_of_many_concurrent_bookings_of_a_slot_wins_the_others_get_409_with_alternatives() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let starts = tomorrow_at(9);
    let fm = manager();
    let requests = (0..12).map(|i| {
        let body = json!({
            "vehicle_id": format!("race-{i}"), "center_id": s.hub,
            "technician_id": s.hub_techs[0], "starts_at": starts,
            "skill": "general", "duration_minutes": 60, "title": "inspection"});
        let (app, fm) = (&app, fm.clone());
        async move { app.post_as("/v1/appointments", &fm, &body).await }
    });
    let responses = futures::future::join_all(requests).await;
    let mut won = 0;
    for r in responses {
        match r.status().as_u16() {
            201 => won += 1,
            409 => {
                let body: Value = r.json().await.unwrap();
                assert_eq!(body["error"], "slot_taken", "{body}");
                assert!(
                    !body["alternatives"].as_array().unwrap().is_empty(),
                    "alternatives offered: {body}"
                );
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(won, 1, "exactly one booking of the slot");
    let booked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM appointments WHERE technician_id = $1 AND status = 'scheduled'",
    )
    .bind(s.hub_techs[0])
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(booked, 1);
}

/// Tomorrow at `hour`:00 UTC (slots never cross midnight UTC: SPEC rule R6).
fn tomorrow_at(hour: u32) -> chrono::DateTime<chrono::Utc> {
    let day = (chrono::Utc::now() + chrono::Duration::days(1)).date_naive();
    day.and_hms_opt(hour, 0, 0)
        .expect("an hour of the day")
        .and_utc()
}

fn next_half_hour(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::{DurationRound, TimeDelta};
    t.duration_trunc(TimeDelta::minutes(30)).expect("a time") + TimeDelta::minutes(30)
}

#[tokio::test]
async fn a_slot_outside_hours_or_without_stock_is_refused_and_a_missing_part_adds_its_lead_time() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let fm = manager();
    // The depot has no pads; ordered ones take 48 h.
    let soon = next_half_hour(chrono::Utc::now() + chrono::Duration::hours(2));
    let r = app
        .post_as(
            "/v1/appointments",
            &fm,
            &json!({
            "vehicle_id": "t-9", "center_id": s.depot, "starts_at": soon,
            "component": "brakes", "severity": "high"}),
        )
        .await;
    assert_eq!(r.status(), 409);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("closed")
            || body["message"].as_str().unwrap().contains("opening hours")
            || body["message"].as_str().unwrap().contains("parts"),
        "{body}"
    );
    for alt in body["alternatives"].as_array().unwrap() {
        if alt["center_id"] == s.depot.to_string() {
            let at: chrono::DateTime<chrono::Utc> =
                alt["starts_at"].as_str().unwrap().parse().unwrap();
            assert!(
                at >= chrono::Utc::now() + chrono::Duration::hours(47),
                "lead time: {alt}"
            );
            assert_eq!(alt["parts_from_stock"], false);
            assert_eq!(alt["technician_id"], s.depot_tech.to_string());
        }
    }
    let off_grid = soon + chrono::Duration::minutes(10);
    let r = app
        .post_as(
            "/v1/appointments",
            &fm,
            &json!({
            "vehicle_id": "t-9", "center_id": s.hub, "starts_at": off_grid,
            "component": "brakes"}),
        )
        .await;
    assert_eq!(r.status(), 409);
    let r = app
        .post_as(
            "/v1/appointments",
            &fm,
            &json!({
            "vehicle_id": "t-9", "center_id": s.hub, "starts_at": soon,
            "skill": "plumbing", "duration_minutes": 60, "title": "x"}),
        )
        .await;
    assert_eq!(r.status(), 400, "an unknown skill is named");
}

/// Books a pad replacement for `vehicle` at the hub at `at`.
async fn book_pads(
    app: &TestApp,
    hub: uuid::Uuid,
    vehicle: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Value {
    let body =
        json!({"vehicle_id": vehicle, "center_id": hub, "starts_at": at, "component": "brakes"});
    let r = app.post_as("/v1/appointments", &manager(), &body).await;
    let status = r.status();
    let value: Value = r.json().await.unwrap_or_default();
    assert_eq!(status, 201, "{value}");
    value
}

#[tokio::test]
async fn cancel_frees_the_slot_and_the_parts() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let first = book_pads(&app, s.hub, "bus-1", tomorrow_at(6)).await;
    book_pads(&app, s.hub, "bus-2", tomorrow_at(14)).await;
    // A pad replacement takes a set per axle: two sets each.
    assert_eq!(stock(&app, s.hub, "brake_pad_set").await["reserved"], 4);
    let id = first["id"].as_str().unwrap();
    let owner = token(Role::Owner, ORG, &["bus-2"]);
    let r = app
        .post_as(
            &format!("/v1/appointments/{id}/cancel"),
            &owner,
            &json!({"reason": "x"}),
        )
        .await;
    assert_eq!(r.status(), 404, "another owner's appointment");
    let r = app
        .post_as(
            &format!("/v1/appointments/{id}/cancel"),
            &manager(),
            &json!({"reason": ""}),
        )
        .await;
    assert_eq!(r.status(), 400, "a reason is required");
    let r = app
        .post_as(
            &format!("/v1/appointments/{id}/cancel"),
            &manager(),
            &json!({"reason": "vehicle away"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        stock(&app, s.hub, "brake_pad_set").await["reserved"],
        2,
        "released on cancel"
    );
    let cancelled = app.wait_stream("appointment.cancelled", 1).await;
    assert_eq!(cancelled[0]["payload"]["no_show"], false);
    // The slot is free again: another vehicle takes it.
    book_pads(&app, s.hub, "bus-3", tomorrow_at(6)).await;
}

#[tokio::test]
async fn completing_the_work_order_uses_the_parts_and_announces_the_components() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let booked = book_pads(&app, s.hub, "bus-2", tomorrow_at(14)).await;
    let id = booked["id"].as_str().unwrap();
    let tech = crate::helpers::technician_token("tech-user", &[s.hub]);
    let outsider = crate::helpers::technician_token("tech-user-2", &[s.depot]);
    assert_eq!(
        app.post_as(
            &format!("/v1/appointments/{id}/start"),
            &outsider,
            &json!({})
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.post_as(&format!("/v1/appointments/{id}/start"), &tech, &json!({}))
            .await
            .status(),
        200
    );
    let r = app
        .post_as(
            &format!("/v1/appointments/{id}/complete"),
            &tech,
            &json!({
            "parts_used": {"brake_pad_set": 2}, "labour_hours": 2.5, "cost": 410.0,
            "notes": "pads and sensor replaced", "odometer_km": 120500.0}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let after = stock(&app, s.hub, "brake_pad_set").await;
    assert_eq!(
        (after["on_hand"].as_i64(), after["reserved"].as_i64()),
        (Some(2), Some(0)),
        "{after}"
    );
    let done = app.wait_stream("appointment.completed", 1).await;
    let p = &done[0]["payload"];
    assert_eq!(p["components_serviced"], json!(["brakes"]));
    assert_eq!(
        p["parts_replaced"],
        json!([{"part": "brake_pad_set", "quantity": 2}])
    );
    assert_eq!(p["odometer_km"], 120500.0);
    let history = get_json(&app, "/v1/vehicles/bus-2/history", &manager()).await;
    assert_eq!(history.as_array().unwrap().len(), 1);
    assert_eq!(history[0]["work_order"]["labour_hours"], 2.5);
    let twice = app
        .post_as(
            &format!("/v1/appointments/{id}/complete"),
            &tech,
            &json!({}),
        )
        .await;
    assert_eq!(twice.status(), 409, "completed once");
}

#[tokio::test]
async fn the_calendar_file_is_valid_icalendar() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let fm = manager();
    let at = tomorrow_at(10);
    let r = app
        .post_as(
            "/v1/appointments",
            &fm,
            &json!({"vehicle_id": "cal-1", "center_id": s.hub,
            "starts_at": at, "component": "brakes"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let a: Value = r.json().await.unwrap();
    let id = a["id"].as_str().unwrap();
    let r = app
        .get_as(&format!("/v1/appointments/{id}/calendar.ics"), &fm)
        .await;
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/calendar"), "{ct}");
    let text = r.text().await.unwrap();
    crate::ics::assert_event(&text, id, &at, "CONFIRMED");
    let owner = token(Role::Owner, ORG, &["someone-else"]);
    assert_eq!(
        app.get_as(&format!("/v1/appointments/{id}/calendar.ics"), &owner)
            .await
            .status(),
        404
    );
    wait_until(Duration::from_secs(5), "stream", || async {
        (!app.stream("appointment.scheduled").await.is_empty()).then_some(())
    })
    .await;
}

#[tokio::test]
async fn repeated_decisions_about_one_component_book_it_once_and_critical_replaces_options() {
    let app = spawn_app().await;
    let _s = seed(&app).await;
    app.publish(&[decision("rig-5", Component::Brakes, Severity::High, 7)])
        .await;
    app.wait_stream("appointment.proposed", 1).await;
    // The same wear decided again: nothing new to offer.
    app.publish(&[decision("rig-5", Component::Brakes, Severity::Medium, 9)])
        .await;
    // Then it turns critical: booked at once, the options withdrawn.
    app.publish(&[decision("rig-5", Component::Brakes, Severity::Critical, 0)])
        .await;
    app.wait_stream("appointment.scheduled", 1).await;
    app.publish(&[decision("rig-5", Component::Brakes, Severity::Critical, 0)])
        .await;
    app.wait_caught_up(
        "scheduling",
        &["agent.decision.made"],
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(app.stream("appointment.proposed").await.len(), 1);
    assert_eq!(
        app.stream("appointment.scheduled").await.len(),
        1,
        "booked once"
    );
    let open = get_json(&app, "/v1/proposals?org_id=acme", &manager()).await;
    assert_eq!(open, json!([]), "the options were withdrawn");
    assert_eq!(appointments_of(&app, "rig-5").await.len(), 1);
}

#[tokio::test]
async fn an_option_taken_meanwhile_answers_409_and_the_proposal_then_offers_what_is_free() {
    let app = spawn_app().await;
    let _s = seed(&app).await;
    app.publish(&[decision("van-7", Component::Brakes, Severity::Medium, 10)])
        .await;
    app.wait_stream("appointment.proposed", 1).await;
    let owner = token(Role::Owner, ORG, &["van-7"]);
    let proposal = get_json(&app, "/v1/proposals", &owner).await[0].clone();
    let id = proposal["id"].as_str().unwrap().to_owned();
    let first = proposal["options"][0].clone();
    // Critical work of another vehicle takes option 0's technician at that time.
    let taken = app
        .post_as(
            "/v1/appointments",
            &manager(),
            &json!({
                "vehicle_id": "van-9", "center_id": first["center_id"],
                "technician_id": first["technician_id"], "starts_at": first["starts_at"],
                "skill": proposal["job"]["skill"],
                "duration_minutes": proposal["job"]["duration_minutes"],
                "title": "emergency elsewhere"}),
        )
        .await;
    assert_eq!(taken.status(), 201, "{:?}", taken.text().await);
    let approve = |option: u64| {
        let (app, owner, id) = (&app, owner.clone(), id.clone());
        async move {
            app.post_as(
                &format!("/v1/proposals/{id}/approve"),
                &owner,
                &json!({ "option": option }),
            )
            .await
        }
    };
    let refused = approve(0).await;
    assert_eq!(refused.status(), 409);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "slot_taken", "{body}");
    let fresh = get_json(&app, &format!("/v1/proposals/{id}"), &owner).await;
    assert_eq!(fresh["status"], "open");
    assert_eq!(
        fresh["options"], body["alternatives"],
        "the offer is what is free now"
    );
    let same_slot = |o: &Value| {
        o["technician_id"] == first["technician_id"] && o["starts_at"] == first["starts_at"]
    };
    assert!(
        !fresh["options"].as_array().unwrap().iter().any(same_slot),
        "the taken slot is no longer offered: {fresh:#}"
    );
    let booked = approve(0).await;
    assert_eq!(booked.status(), 201, "{:?}", booked.text().await);
}
