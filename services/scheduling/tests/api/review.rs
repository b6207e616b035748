//! A person's review overrides a decision (`agent.decision.made` with `supersedes`) and
//! scheduling follows it: the superseded decision's unbooked options are withdrawn and
//! the reviewed decision placed as a new one would be (later options, none, or a booking
//! at once); an appointment already booked stands, with a note.

use std::time::Duration;

use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_schemas::EventEnvelope;
use shared_schemas::events::{Component, DecisionMade, Disposition, Severity};

use crate::helpers::{ORG, TestApp, decision, get_json, get_list, seed, spawn_app, token};

/// A reviewer's decision on `original`'s vehicle and component, superseding it.
fn review(
    original: &EventEnvelope<DecisionMade>,
    severity: Severity,
    within_days: u32,
) -> EventEnvelope<DecisionMade> {
    let p = &original.payload;
    let mut d = decision(&p.vehicle_id, p.component, severity, within_days);
    d.payload.supersedes = Some(p.decision_id);
    d
}

async fn caught_up(app: &TestApp) {
    app.wait_caught_up(
        "scheduling",
        &["agent.decision.made"],
        Duration::from_secs(20),
    )
    .await;
}

/// The jobs of `vehicle` in `status`.
async fn jobs(app: &TestApp, vehicle: &str, status: &str) -> Vec<Value> {
    get_list(
        app,
        &format!("/v1/jobs?vehicle_id={vehicle}&status={status}"),
    )
    .await
}

async fn open_proposals(app: &TestApp, vehicle: &str) -> Vec<Value> {
    get_list(app, &format!("/v1/proposals?vehicle_id={vehicle}")).await
}

#[tokio::test]
async fn an_override_to_lower_severity_withdraws_the_options_and_offers_the_reviewed_work() {
    let app = spawn_app().await;
    let _s = seed(&app).await;
    let agent = decision("rig-1", Component::Brakes, Severity::High, 5);
    app.publish(std::slice::from_ref(&agent)).await;
    app.wait_stream("appointment.proposed", 1).await;
    // The reviewer lowers it: the high options go, low ones are offered instead.
    let lowered = review(&agent, Severity::Low, 30);
    app.publish(std::slice::from_ref(&lowered)).await;
    app.wait_stream("appointment.proposed", 2).await;
    caught_up(&app).await;
    let open = open_proposals(&app, "rig-1").await;
    assert_eq!(
        open.len(),
        1,
        "only the reviewed work is on offer: {open:#?}"
    );
    assert_eq!(open[0]["job"]["severity"], "low");
    assert_eq!(
        open[0]["job"]["decision_id"],
        json!(lowered.payload.decision_id)
    );
    let withdrawn = jobs(&app, "rig-1", "cancelled").await;
    assert_eq!(withdrawn.len(), 1);
    assert_eq!(
        withdrawn[0]["decision_id"],
        json!(agent.payload.decision_id)
    );
    let note = withdrawn[0]["note"].as_str().unwrap();
    assert!(
        note.starts_with("withdrawn: a review replaced decision") && note.contains("(high)"),
        "{note}"
    );
    // A second review says there is nothing to do: the low options go too.
    let mut nothing = review(&lowered, Severity::Low, 30);
    nothing.payload.disposition = Disposition::Monitor;
    app.publish(&[nothing]).await;
    caught_up(&app).await;
    assert_eq!(open_proposals(&app, "rig-1").await, Vec::<Value>::new());
    assert_eq!(jobs(&app, "rig-1", "open").await, Vec::<Value>::new());
    assert_eq!(jobs(&app, "rig-1", "cancelled").await.len(), 2);
    assert_eq!(app.stream("appointment.scheduled").await.len(), 0);
}

#[tokio::test]
async fn a_booked_appointment_stands_with_a_note_and_a_raise_escalates_like_a_new_decision() {
    let app = spawn_app().await;
    let _s = seed(&app).await;
    let booked = decision("van-1", Component::Brakes, Severity::Medium, 10);
    let raised_high = decision("van-2", Component::Brakes, Severity::Low, 30);
    let raised_critical = decision("van-3", Component::Brakes, Severity::Medium, 10);
    app.publish(&[booked.clone(), raised_high.clone(), raised_critical.clone()])
        .await;
    app.wait_stream("appointment.proposed", 3).await;
    // The owner of van-1 books an option; then a review lowers the decision.
    let owner = token(Role::Owner, ORG, &["van-1"]);
    let proposal = &get_json(&app, "/v1/proposals", &owner).await[0];
    let r = app
        .post_as(
            &format!("/v1/proposals/{}/approve", proposal["id"].as_str().unwrap()),
            &owner,
            &json!({"option": 0}),
        )
        .await;
    assert_eq!(r.status(), 201);
    app.publish(&[review(&booked, Severity::Low, 30)]).await;
    caught_up(&app).await;
    let appointments = get_json(&app, "/v1/vehicles/van-1/appointments", &owner).await;
    assert_eq!(appointments.as_array().unwrap().len(), 1);
    assert_eq!(appointments[0]["status"], "scheduled", "not cancelled");
    let job = &jobs(&app, "van-1", "booked").await[0];
    let note = job["note"].as_str().unwrap();
    assert!(
        note.contains("(low)") && note.contains("the booked appointment stands"),
        "{note}"
    );
    assert_eq!(jobs(&app, "van-1", "open").await, Vec::<Value>::new());
    assert_eq!(
        app.stream("appointment.proposed").await.len(),
        3,
        "nothing new offered"
    );
    // Raised to high: tighter options replace the low ones.
    let high = review(&raised_high, Severity::High, 5);
    app.publish(std::slice::from_ref(&high)).await;
    app.wait_stream("appointment.proposed", 4).await;
    caught_up(&app).await;
    let open = open_proposals(&app, "van-2").await;
    assert_eq!(open.len(), 1, "{open:#?}");
    assert_eq!(
        open[0]["job"]["decision_id"],
        json!(high.payload.decision_id)
    );
    assert_eq!(open[0]["job"]["severity"], "high");
    // Raised to critical: booked at once, the options withdrawn.
    app.publish(&[review(&raised_critical, Severity::Critical, 0)])
        .await;
    let scheduled = app.wait_stream("appointment.scheduled", 2).await;
    assert_eq!(scheduled[1]["payload"]["vehicle_id"], "van-3");
    assert_eq!(scheduled[1]["payload"]["auto_booked"], true);
    caught_up(&app).await;
    assert_eq!(open_proposals(&app, "van-3").await, Vec::<Value>::new());
}
