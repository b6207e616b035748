//! The RBAC matrix (docs/rbac.md, `## health`): every operation, every role, from
//! inside and outside its reach, with acme's and globex's vehicles assessed.

use fleetsim::profile::DutyProfile;
use serde_json::Value;
use shared_runtime::auth::Role;
use shared_runtime::testing::TestClient;
use shared_runtime::testing::rbac::{self, Matrix, Param, World};

use crate::helpers::{JWT_SECRET, ORG, received, simulate, spawn_app, token};

const OTHER: &str = "globex";
const ACME_VEHICLE: &str = "VH-000001";
const GLOBEX_VEHICLE: &str = "VH-000002";

#[tokio::test]
async fn every_role_gets_what_the_policy_says() {
    let app = spawn_app().await;
    let acme = simulate(9, 0, DutyProfile::Regional, 3, 900, false);
    let globex = simulate(9, 1, DutyProfile::Regional, 3, 900, false);
    let events: Vec<_> = acme
        .iter()
        .map(|r| received(r, ORG))
        .chain(globex.iter().map(|r| received(r, OTHER)))
        .collect();
    app.publish(&events).await;
    app.wait_caught_up().await;
    let api = TestClient::new(app.address.clone());
    let admin = token(Role::Admin, "platform", &[]);
    let health = api
        .get_as(&format!("/v1/vehicles/{ACME_VEHICLE}/health"), &admin)
        .await;
    let component = health.body["components"][0]["component"]
        .as_str()
        .unwrap_or_else(|| panic!("{ACME_VEHICLE} is not assessed: {}", health.body))
        .to_owned();

    let openapi: Value = serde_json::from_str(&health::openapi::json()).unwrap();
    let mint = rbac::hmac_minter(JWT_SECRET);
    let matrix = Matrix {
        service: "health",
        client: &api,
        openapi: &openapi,
        mint: &mint,
        world: World::new(ORG, OTHER, ACME_VEHICLE, "VH-000003"),
        params: vec![
            Param::new("vehicle_id", ACME_VEHICLE, "NOPE-1"),
            Param::new("component", &component, &component),
        ],
        requests: Vec::new(),
        private: vec![ACME_VEHICLE.to_owned()],
    };
    let report = rbac::check(&matrix).await;
    assert_eq!(report.operations, 8, "{report:?}");
    // Globex's own vehicle is still globex's alone (recomputing moved nothing).
    let summary = api
        .get_as(
            "/v1/fleet/health/summary",
            &token(Role::FleetManager, OTHER, &[]),
        )
        .await;
    assert_eq!(summary.body["vehicles"], 1, "{}", summary.body);
    assert_eq!(summary.body["at_risk"][0]["vehicle_id"], GLOBEX_VEHICLE);
}
