//! Tenant isolation beyond the RBAC matrix (`rbac.rs`, which calls every operation
//! as every role of another organization): another organization's collections show
//! none of acme's work, its bookings cannot reach into acme's centers or technicians,
//! and a technician works only their own centers' jobs.

use chrono::Datelike;
use reqwest::Method;
use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_runtime::testing::tenancy::{Probe, assert_foreign_like_unknown};
use shared_runtime::testing::{Credential, TestClient};
use uuid::Uuid;

use crate::helpers::{seed, spawn_app, technician_token, token};
use crate::rbac::{OTHER, Slots, VEHICLE, book, book_at};

/// Globex's fleet manager.
fn globex() -> String {
    token(Role::FleetManager, OTHER, &[])
}

/// A 24/7 center of globex's with a general technician; returns the center's id.
async fn globex_center(api: &TestClient) -> Uuid {
    let all_day: Vec<_> = (0..7)
        .map(|_| json!({"open": "00:00", "close": "24:00"}))
        .collect();
    let center = api
        .post_as(
            "/v1/centers",
            &globex(),
            &json!({"name": "Globex garage", "lat": 40.7, "lon": -74.0, "bays": 1, "hours": all_day}),
        )
        .await;
    assert_eq!(center.status, 201, "{}", center.body);
    let id: Uuid = center.body["id"].as_str().unwrap().parse().unwrap();
    let shifts: Vec<_> = (0..7)
        .map(|d| json!({"weekday": d, "start": "00:00", "end": "24:00"}))
        .collect();
    let tech = api
        .post_as(
            "/v1/technicians",
            &globex(),
            &json!({"center_id": id, "name": "Gus", "skills": ["general"], "shifts": shifts}),
        )
        .await;
    assert_eq!(tech.status, 201, "{}", tech.body);
    id
}

#[tokio::test]
async fn another_organizations_lists_show_none_of_acmes_work() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let api = TestClient::new(app.address.clone());
    let appointment = book(&api, &Slots::new(), VEHICLE, s.hub).await;
    let acme = [
        VEHICLE.to_owned(),
        appointment,
        s.hub.to_string(),
        s.depot.to_string(),
    ];
    for path in [
        "/v1/appointments".to_owned(),
        "/v1/proposals?status=all".to_owned(),
        "/v1/centers".to_owned(),
        "/v1/technicians".to_owned(),
        "/v1/maintenance-plans".to_owned(),
        format!("/v1/vehicles/{VEHICLE}/appointments?status=all"),
        format!("/v1/appointments?center_id={}", s.hub),
    ] {
        let got = api.get_as(&path, &globex()).await;
        assert_eq!(got.status, 200, "{path}: {}", got.body);
        let text = got.body.to_string();
        assert!(
            acme.iter().all(|id| !text.contains(id.as_str())),
            "{path} shows acme's work to globex: {text}"
        );
    }
}

#[tokio::test]
async fn globex_cannot_book_move_or_assign_into_acmes_center() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let api = TestClient::new(app.address.clone());
    let theirs = globex_center(&api).await;
    let who = Credential::Bearer(globex());
    let slots = Slots::new();
    // Booking new work at acme's hub reads like booking at a center that does not exist.
    let new = Probe::with_body(
        Method::POST,
        "/v1/appointments",
        json!({"vehicle_id": "g-1", "center_id": "{id}", "starts_at": slots.take(),
            "skill": "general", "duration_minutes": 30, "title": "Check"}),
    );
    let hub = s.hub.to_string();
    let unknown = Uuid::now_v7().to_string();
    assert_foreign_like_unknown(&api, "book", &who, &new, &hub, &unknown).await;
    // Globex's own appointment cannot move to acme's hub, nor go to acme's technician.
    let booked = api
        .post_as(
            "/v1/appointments",
            &globex(),
            &json!({"vehicle_id": "g-1", "center_id": theirs, "starts_at": slots.take(),
                "skill": "general", "duration_minutes": 30, "title": "Check"}),
        )
        .await;
    assert_eq!(booked.status, 201, "{}", booked.body);
    let id = booked.body["id"].as_str().unwrap();
    let path: &'static str = format!("/v1/appointments/{id}/reschedule").leak();
    let moved = Probe::with_body(
        Method::POST,
        path,
        json!({"center_id": "{id}", "starts_at": slots.take()}),
    );
    assert_foreign_like_unknown(&api, "reschedule", &who, &moved, &hub, &unknown).await;
    let path: &'static str = format!("/v1/appointments/{id}/assign").leak();
    let assigned = Probe::with_body(Method::POST, path, json!({"technician_id": "{id}"}));
    let ana = s.hub_techs[0].to_string();
    assert_foreign_like_unknown(&api, "assign", &who, &assigned, &ana, &unknown).await;
    // Nothing of globex's landed at acme's hub.
    let at_hub = api
        .get_as(
            &format!("/v1/appointments?center_id={}", s.hub),
            &token(Role::Admin, "platform", &[]),
        )
        .await;
    assert!(!at_hub.body.to_string().contains(OTHER), "{}", at_hub.body);
}

#[tokio::test]
async fn a_technician_sees_and_works_only_their_centers_jobs() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let api = TestClient::new(app.address.clone());
    let slots = Slots::new();
    let at_hub = book(&api, &slots, VEHICLE, s.hub).await;
    // The depot opens on weekdays: a Monday, 08:00, three weeks on.
    let today = chrono::Utc::now().date_naive();
    let monday = today + chrono::Days::new(21 - u64::from(today.weekday().num_days_from_monday()));
    let depot_slot = format!("{monday}T08:00:00Z");
    let at_depot = book_at(&api, &depot_slot, "truck-2", s.depot).await;
    let depot_tech = technician_token("cy", &[s.depot]);
    let list = api.get_as("/v1/appointments", &depot_tech).await;
    let ids: Vec<&Value> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["id"])
        .collect();
    assert_eq!(ids, [&json!(at_depot)], "{}", list.body);
    let who = Credential::Bearer(depot_tech.clone());
    let unknown = Uuid::now_v7().to_string();
    for probe in [
        Probe::new(Method::GET, "/v1/appointments/{id}"),
        Probe::new(Method::POST, "/v1/appointments/{id}/start"),
        Probe::with_body(Method::POST, "/v1/appointments/{id}/complete", json!({})),
        Probe::with_body(
            Method::POST,
            "/v1/appointments/{id}/no-show",
            json!({"reason": "x"}),
        ),
    ] {
        let got =
            assert_foreign_like_unknown(&api, "depot technician", &who, &probe, &at_hub, &unknown)
                .await;
        assert_eq!(got.status, 404, "{}", got.body);
    }
    let hub_stock = api
        .get_as(&format!("/v1/centers/{}/stock", s.hub), &depot_tech)
        .await;
    assert_eq!(hub_stock.status, 404, "{}", hub_stock.body);
    let techs = api.get_as("/v1/technicians", &depot_tech).await;
    let centers: Vec<&Value> = techs
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["center_id"])
        .collect();
    assert_eq!(centers, [&json!(s.depot)], "{}", techs.body);
    // The hub's appointment is still untouched.
    let still = api
        .get_as(
            &format!("/v1/appointments/{at_hub}"),
            &crate::helpers::manager(),
        )
        .await;
    assert_eq!(still.body["status"], "scheduled", "{}", still.body);
}
