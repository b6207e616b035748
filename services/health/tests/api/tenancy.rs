//! Tenant isolation: a vehicle's health belongs to the organization that first
//! reported it until an admin transfer moves it. (That another organization's vehicle
//! answers like an unknown one, for every role and operation, is the RBAC matrix's
//! check: `rbac.rs`.)

use fleetsim::profile::DutyProfile;
use shared_runtime::auth::Role;
use shared_runtime::bus::Publisher;
use shared_runtime::testing::TestClient;
use shared_schemas::EventEnvelope;
use shared_schemas::events::OwnershipTransferred;
use uuid::Uuid;

use crate::helpers::{ORG, TestApp, received, simulate, spawn_app, token};

const OTHER: &str = "globex";
const ACME_VEHICLE: &str = "VH-000001";

/// Acme's vehicle with a few days of readings.
async fn acme_fleet() -> TestApp {
    let app = spawn_app().await;
    let events: Vec<_> = simulate(9, 0, DutyProfile::Regional, 3, 900, false)
        .iter()
        .map(|r| received(r, ORG))
        .collect();
    app.publish(&events).await;
    app.wait_caught_up().await;
    app
}

async fn org_of(app: &TestApp, vehicle: &str) -> String {
    sqlx::query_scalar("SELECT org_id FROM vehicles WHERE vehicle_id = $1")
        .bind(vehicle)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_reading_under_another_orgs_key_does_not_move_the_vehicle() {
    let app = acme_fleet().await;
    // A reading for acme's vehicle stamped with globex (ingestion refuses these now;
    // one published before, or by a faulty producer, must not change the owner).
    let later = simulate(9, 0, DutyProfile::Regional, 1, 900, false);
    let mut takeover: Vec<_> = later.iter().map(|r| received(r, OTHER)).collect();
    for (i, e) in takeover.iter_mut().enumerate() {
        e.payload.reading.reading_id = Some(format!("takeover-{i}"));
        e.payload.reading_id = format!("takeover-{i}");
        e.payload.reading.recorded_at += chrono::Duration::hours(1);
    }
    app.publish(&takeover).await;
    app.wait_caught_up().await;
    assert_eq!(org_of(&app, ACME_VEHICLE).await, ORG);
    let api = TestClient::new(app.address.clone());
    let path = format!("/v1/vehicles/{ACME_VEHICLE}/health");
    let acme = api
        .get_as(&path, &token(Role::FleetManager, ORG, &[]))
        .await;
    assert_eq!(acme.status, 200, "{}", acme.body);
    let globex = api
        .get_as(&path, &token(Role::FleetManager, OTHER, &[]))
        .await;
    assert_eq!(globex.status, 404, "{}", globex.body);
}

#[tokio::test]
async fn an_ownership_transfer_moves_the_vehicles_health() {
    let app = acme_fleet().await;
    let transfer = OwnershipTransferred {
        transfer_id: Uuid::now_v7(),
        vehicle_id: ACME_VEHICLE.to_owned(),
        from_org_id: ORG.to_owned(),
        to_org_id: OTHER.to_owned(),
        reason: "sold".to_owned(),
        transferred_by: "admin".to_owned(),
        transferred_at: chrono::Utc::now(),
    };
    let publisher = Publisher::new(app.redis.clone(), app.keys.clone(), 1_000);
    publisher
        .publish(&EventEnvelope::new("ingestion", Uuid::now_v7(), transfer))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while org_of(&app, ACME_VEHICLE).await != OTHER {
        assert!(
            tokio::time::Instant::now() < deadline,
            "transfer not applied"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let api = TestClient::new(app.address.clone());
    let path = format!("/v1/vehicles/{ACME_VEHICLE}/health/history");
    let globex = api
        .get_as(&path, &token(Role::FleetManager, OTHER, &[]))
        .await;
    assert_eq!(globex.status, 200, "{}", globex.body);
    let acme = api
        .get_as(&path, &token(Role::FleetManager, ORG, &[]))
        .await;
    assert_eq!(acme.status, 404, "{}", acme.body);
}
