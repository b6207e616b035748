//! A completed appointment resets the components it serviced: the clogged DPF of a
//! simulated truck is repaired, its health recovers at once and re-learns its baseline,
//! the other components are untouched, and neither a redelivery, another
//! organization's event nor the old filter's late readings undo or repeat it.

use chrono::{DateTime, Utc};
use fleetsim::profile::DutyProfile;
use serde_json::Value;
use shared_runtime::auth::Role;
use shared_schemas::events::{AppointmentCompleted, Component};
use shared_schemas::telemetry::TelemetryReading;
use shared_schemas::{Event, EventEnvelope};
use uuid::Uuid;

use crate::helpers::{ORG, TestApp, received, simulate, spawn_app, token};

const OTHER: &str = "globex";

fn completed(
    org: &str,
    vehicle: &str,
    components: &[Component],
    at: DateTime<Utc>,
) -> EventEnvelope<AppointmentCompleted> {
    let payload = AppointmentCompleted {
        appointment_id: Uuid::now_v7(),
        org_id: org.to_owned(),
        vehicle_id: vehicle.to_owned(),
        center_id: Uuid::now_v7(),
        technician_id: None,
        components_serviced: components.to_vec(),
        parts_replaced: Vec::new(),
        work_summary: "DPF cleaned".to_owned(),
        odometer_km: None,
        completed_at: at,
    };
    EventEnvelope::new("scheduling", Uuid::now_v7(), payload)
}

impl TestApp {
    /// Waits until the repair consumer and the telemetry consumer are caught up.
    async fn wait_repairs(&self) {
        self.wait_group(health::events::REPAIRS_GROUP, &[AppointmentCompleted::TYPE])
            .await;
        self.wait_caught_up().await;
    }

    async fn view(&self, vehicle: &str) -> Value {
        let manager = token(Role::FleetManager, ORG, &[]);
        let resp = self
            .get_as(&format!("/v1/vehicles/{vehicle}/health"), &manager)
            .await;
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    async fn version(&self, vehicle: &str) -> i64 {
        sqlx::query_scalar("SELECT version FROM vehicles WHERE vehicle_id = $1")
            .bind(vehicle)
            .fetch_one(&self.db)
            .await
            .unwrap()
    }
}

fn component<'a>(view: &'a Value, name: &str) -> &'a Value {
    view["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["component"] == name)
        .unwrap_or_else(|| panic!("no {name} in {view}"))
}

/// Every component but `name`, as JSON.
fn others(view: &Value, name: &str) -> Vec<Value> {
    view["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["component"] != name)
        .cloned()
        .collect()
}

/// A degraded truck: its DPF clogging over 28 days, fed through the stream.
async fn degraded_truck() -> (TestApp, Vec<TelemetryReading>) {
    let app = spawn_app().await;
    let readings = simulate(1, 0, DutyProfile::LongHaul, 28, 300, true);
    let events: Vec<_> = readings.iter().map(|r| received(r, ORG)).collect();
    app.publish(&events).await;
    app.wait_repairs().await;
    (app, readings)
}

#[tokio::test]
async fn a_completed_appointment_resets_the_serviced_component_once() {
    let (app, readings) = degraded_truck().await;
    let vehicle = readings[0].vehicle_id.as_str();
    let last = readings.last().unwrap();

    // Degraded, and the view tells where the truck is and how long its engine ran.
    let before = app.view(vehicle).await;
    let band = component(&before, "dpf")["band"].clone();
    assert!(band == "poor" || band == "critical", "{before}");
    assert_eq!(before["engine_hours"].as_f64(), last.engine_hours);
    let fix = last.location.unwrap();
    assert_eq!(before["position"]["lat"].as_f64(), Some(fix.lat));
    assert_eq!(before["position"]["lon"].as_f64(), Some(fix.lon));
    let fix_at: DateTime<Utc> = serde_json::from_value(before["position"]["at"].clone()).unwrap();
    assert_eq!(fix_at, last.recorded_at);
    assert!(component(&before, "dpf").get("serviced_at").is_none());
    // Scheduling reads the same with its service token.
    let service = token(Role::Service, "platform", &[]);
    let resp = app
        .get_as(&format!("/v1/vehicles/{vehicle}/health"), &service)
        .await;
    assert_eq!(resp.status(), 200);
    let seen: Value = resp.json().await.unwrap();
    assert_eq!(seen["position"], before["position"]);
    assert_eq!(seen["engine_hours"], before["engine_hours"]);

    // Another organization's appointment for the same vehicle id, and one for a
    // vehicle health never saw: nothing changes, nothing is created.
    let version = app.version(vehicle).await;
    let done_at = last.recorded_at + chrono::Duration::minutes(30);
    app.publish(&[
        completed(OTHER, vehicle, &[Component::Dpf], done_at),
        completed(ORG, "VH-UNKNOWN", &[Component::Dpf], done_at),
    ])
    .await;
    app.wait_repairs().await;
    assert_eq!(app.version(vehicle).await, version);
    assert_eq!(app.view(vehicle).await, before);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM vehicles")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(rows, 1, "no row for the unknown vehicle");
    assert!(app.stream("vehicle.health.changed").await.iter().all(|e| {
        e["payload"]["current_band"] != "excellent" || e["payload"]["component"] != "dpf"
    }));

    // The fleet's own workshop cleans the DPF.
    let repair = completed(ORG, vehicle, &[Component::Dpf], done_at);
    let appointment = repair.payload.appointment_id;
    app.publish(std::slice::from_ref(&repair)).await;
    app.wait_repairs().await;
    let after = app.view(vehicle).await;
    let dpf = component(&after, "dpf");
    assert_eq!(dpf["band"], "excellent", "{dpf}");
    assert_eq!(dpf["score"], 1.0);
    let detail = dpf["factors"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains(&appointment.to_string()) && detail.contains("re-learning"),
        "{detail}"
    );
    let serviced: DateTime<Utc> = serde_json::from_value(dpf["serviced_at"].clone()).unwrap();
    assert_eq!(serviced, done_at);
    assert_eq!(dpf["serviced_appointment_id"], appointment.to_string());
    assert_eq!(
        others(&after, "dpf"),
        others(&before, "dpf"),
        "only the DPF reset"
    );
    assert_eq!(after["position"], before["position"]);

    // The recovery is announced, caused by the appointment.
    let causation = Value::String(repair.event_id.to_string());
    let changed: Vec<Value> = app
        .stream("vehicle.health.changed")
        .await
        .into_iter()
        .filter(|e| e["causation_id"] == causation)
        .collect();
    assert_eq!(changed.len(), 1, "{changed:#?}");
    assert_eq!(changed[0]["payload"]["component"], "dpf");
    assert_eq!(changed[0]["payload"]["previous_band"], band);
    assert_eq!(changed[0]["payload"]["current_band"], "excellent");
    let computed = app.stream("vehicle.health.computed").await;
    let snapshot = computed.last().unwrap();
    assert_eq!(snapshot["causation_id"], causation);

    // Redelivered (same event), or published again (same appointment): no change.
    let version = app.version(vehicle).await;
    let (n_changed, n_computed) = (
        app.stream("vehicle.health.changed").await.len(),
        computed.len(),
    );
    let mut again = repair.clone();
    again.event_id = Uuid::now_v7();
    app.publish(&[repair.clone(), again]).await;
    app.wait_repairs().await;
    assert_eq!(app.version(vehicle).await, version);
    assert_eq!(app.stream("vehicle.health.changed").await.len(), n_changed);
    assert_eq!(
        app.stream("vehicle.health.computed").await.len(),
        n_computed
    );
    assert_eq!(app.view(vehicle).await, after);

    // The clogged filter's readings of its last three days, re-sent late: the DPF
    // stays repaired, and none of those days counts towards its new baseline.
    let since = last.recorded_at - chrono::Duration::days(3);
    let late: Vec<_> = readings
        .iter()
        .filter(|r| r.recorded_at > since)
        .map(|r| {
            let mut r = r.clone();
            r.reading_id = Some(format!("late-{}", r.reading_id.unwrap()));
            received(&r, ORG)
        })
        .collect();
    app.publish(&late).await;
    app.wait_repairs().await;
    assert!(
        app.version(vehicle).await > version,
        "the late readings were applied"
    );
    let dpf = component(&app.view(vehicle).await, "dpf").clone();
    assert_eq!(dpf["band"], "excellent", "{dpf}");
    assert_eq!(dpf["factors"][0]["name"], "baseline_days", "{dpf}");
    assert_eq!(dpf["factors"][0]["value"], 0.0, "{dpf}");
}
