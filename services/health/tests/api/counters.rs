//! Odometer plausibility through the service: a vehicle whose instrument cluster is
//! replaced gets one `vehicle.odometer.anomaly` (recorded, served, announced once), and
//! its distance rate stays what it drives.

use fleetsim::odometer::{OdometerFault, OdometerFaultKind, SpikeValue};
use fleetsim::profile::DutyProfile;
use fleetsim::simulate::{SimConfig, VehicleSim};
use fleetsim::vehicle::Vehicle;
use shared_runtime::auth::Role;
use shared_runtime::testing::TestClient;

use crate::helpers::{ORG, SIM_END, received, spawn_app, token};

#[tokio::test]
async fn a_replaced_cluster_is_one_anomaly_and_not_distance() {
    let app = spawn_app().await;
    let days = 10;
    let cfg = SimConfig {
        start: SIM_END - days * 86_400,
        end: SIM_END,
        interval_s: 300,
        seed: 8,
    };
    let mut vehicle = Vehicle::generate(8, 0, DutyProfile::Regional, days as f64);
    vehicle.odometer_fault = Some(OdometerFault {
        kind: OdometerFaultKind::Reset,
        at: SIM_END - 3 * 86_400,
        reset_start_km: 12.0,
        rollback_share: 0.3,
        spike: SpikeValue::Times(0.0),
    });
    let events: Vec<_> = VehicleSim::new(vehicle.clone(), cfg)
        .map(|s| received(&s.to_reading(&vehicle, cfg.seed), ORG))
        .collect();
    // In several batches: the anomaly is announced once, not per batch.
    for chunk in events.chunks(200) {
        app.publish(chunk).await;
    }
    app.wait_caught_up().await;
    let announced = app.stream("vehicle.odometer.anomaly").await;
    assert_eq!(announced.len(), 1, "{announced:#?}");
    let p = &announced[0]["payload"];
    assert_eq!(p["kind"], "reset");
    assert_eq!(p["counter"], "odometer");
    assert_eq!(p["org_id"], ORG);
    assert!(p["after"]["value"].as_f64().unwrap() < 50.0, "{p}");
    assert!(
        p["detail"].as_str().unwrap().contains("read as a reset"),
        "{p}"
    );

    let api = TestClient::new(app.address.clone());
    let manager = token(Role::FleetManager, ORG, &[]);
    let recorded = api
        .get_as(
            &format!("/v1/vehicles/{}/counters/anomalies", vehicle.id),
            &manager,
        )
        .await;
    assert_eq!(recorded.status, 200, "{}", recorded.body);
    assert_eq!(recorded.body.as_array().unwrap().len(), 1);
    assert_eq!(recorded.body[0]["kind"], "reset");
    let health = api
        .get_as(&format!("/v1/vehicles/{}/health", vehicle.id), &manager)
        .await;
    let daily = health.body["daily_km"].as_f64().expect("a distance rate");
    assert!(daily > 10.0 && daily < 1_000.0, "{daily} km/day");
}
