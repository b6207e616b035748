//! Tenant isolation: a manual request for a vehicle health does not know is a 404, and
//! a request id is the caller's organization's own. (That decisions and manual requests
//! of one organization answer another's callers like unknown ids, for every role, is
//! the RBAC matrix's check: `rbac.rs`, with these fixtures.)

use fleetsim::profile::DutyProfile;
use fleetsim::simulate::{SimConfig, VehicleSim};
use fleetsim::vehicle::Vehicle;
use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_runtime::testing::{self, TestClient};
use shared_schemas::EventEnvelope;
use shared_schemas::events::TelemetryReceived;
use shared_schemas::telemetry::Protocol;
use uuid::Uuid;

use crate::helpers::{ORG, RunningHealth, TestApp, spawn_health, spawn_with, token};

pub(crate) const OTHER: &str = "globex";
pub(crate) const ACME_VEHICLE: &str = "VH-000001";
pub(crate) const GLOBEX_VEHICLE: &str = "VH-000002";

/// Two days of readings of simulated vehicle `index`, reported under `org`.
fn readings(index: u32, org: &str) -> Vec<EventEnvelope<TelemetryReceived>> {
    let end = 1_767_225_600;
    let cfg = SimConfig {
        start: end - 2 * 86_400,
        end,
        interval_s: 900,
        seed: 5,
    };
    let vehicle = Vehicle::generate(5, index, DutyProfile::Regional, 2.0);
    VehicleSim::new(vehicle.clone(), cfg)
        .map(|s| s.to_reading(&vehicle, 5))
        .map(|reading| {
            let payload = TelemetryReceived {
                org_id: org.to_owned(),
                reading_id: reading.reading_id.clone().unwrap_or_default(),
                protocol: Protocol::Canonical,
                received_at: chrono::Utc::now(),
                reading,
            };
            EventEnvelope::new("ingestion", Uuid::now_v7(), payload)
        })
        .collect()
}

/// The real health service knowing acme's and globex's vehicle, and the agent using
/// it.
pub(crate) async fn two_fleets() -> (TestApp, RunningHealth) {
    let prefix = testing::unique_prefix("tenancy");
    let health = spawn_health(&prefix).await;
    let app = spawn_with(|c| {
        c.common.redis_prefix.clone_from(&prefix);
        c.health_url.clone_from(&health.url);
        c.tool_timeout = std::time::Duration::from_secs(5);
    })
    .await;
    app.publish(&readings(0, ORG)).await;
    app.publish(&readings(1, OTHER)).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    let api = TestClient::new(health.url.clone());
    let admin = token(Role::Admin, "platform", &[]);
    for v in [ACME_VEHICLE, GLOBEX_VEHICLE] {
        while api
            .get_as(&format!("/v1/vehicles/{v}/health"), &admin)
            .await
            .status
            != 200
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "health never assessed {v}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    (app, health)
}

pub(crate) fn orchestrate(vehicle: &str, request_id: Option<Uuid>) -> Value {
    json!({"vehicle_id": vehicle, "component": "brakes", "request_id": request_id, "rul_days": 10.0})
}

#[tokio::test]
async fn orchestrate_for_a_vehicle_health_does_not_know_is_404_not_503() {
    let (app, _health) = two_fleets().await;
    let api = TestClient::new(app.address.clone());
    let admin = token(Role::Admin, "platform", &[]);
    for body in [
        orchestrate("NOPE-1", None),
        json!({"vehicle_id": "NOPE-1", "component": "dpf"}),
    ] {
        let answer = api.post_as("/v1/orchestrate", &admin, &body).await;
        assert_eq!(answer.status, 404, "{}", answer.body);
        assert_eq!(answer.message(), "no health assessment for vehicle NOPE-1");
    }
}

#[tokio::test]
async fn replaying_another_orgs_request_id_gets_a_decision_of_ones_own() {
    let (app, _health) = two_fleets().await;
    let api = TestClient::new(app.address.clone());
    let request_id = Uuid::now_v7();
    let acme = token(Role::FleetManager, ORG, &[]);
    let theirs = api
        .post_as(
            "/v1/orchestrate",
            &acme,
            &orchestrate(ACME_VEHICLE, Some(request_id)),
        )
        .await;
    assert_eq!(theirs.status, 201, "{}", theirs.body);
    // Globex reuses the id: for an unknown or foreign vehicle the same 404, for its
    // own vehicle a new decision, never acme's.
    let globex = token(Role::FleetManager, OTHER, &[]);
    for vehicle in [ACME_VEHICLE, "NOPE-1"] {
        let replay = api
            .post_as(
                "/v1/orchestrate",
                &globex,
                &orchestrate(vehicle, Some(request_id)),
            )
            .await;
        assert_eq!(replay.status, 404, "{}", replay.body);
    }
    let own = api
        .post_as(
            "/v1/orchestrate",
            &globex,
            &orchestrate(GLOBEX_VEHICLE, Some(request_id)),
        )
        .await;
    assert_eq!(own.status, 201, "{}", own.body);
    assert_ne!(own.body["decision_id"], theirs.body["decision_id"]);
    assert_eq!(own.body["org_id"], OTHER);
    let again = api
        .post_as(
            "/v1/orchestrate",
            &acme,
            &orchestrate(ACME_VEHICLE, Some(request_id)),
        )
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["decision_id"], theirs.body["decision_id"]);
}
