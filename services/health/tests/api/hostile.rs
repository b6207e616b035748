//! Hostile input on every documented operation: never a 5xx, control characters
//! refused naming the field (shared_runtime::testing::hostile).

use fleetsim::profile::DutyProfile;
use serde_json::Value;
use shared_runtime::auth::Role;
use shared_runtime::testing::hostile::{Target, probe};
use shared_runtime::testing::{Credential, TestClient};

use crate::helpers::{ORG, received, simulate, spawn_app, token};

#[tokio::test]
async fn hostile_input_gets_4xx_naming_the_field_never_5xx() {
    let app = spawn_app().await;
    let events: Vec<_> = simulate(3, 0, DutyProfile::Regional, 2, 1_800, false)
        .iter()
        .map(|r| received(r, ORG))
        .collect();
    app.publish(&events).await;
    app.wait_caught_up().await;
    let api = TestClient::new(app.address.clone());
    let openapi: Value = serde_json::from_str(&health::openapi::json()).unwrap();
    let mut target = Target::new(&api, &openapi);
    target.credentials = vec![(
        "bearer",
        Credential::Bearer(token(Role::Admin, "platform", &[])),
    )];
    target.path_values = vec![
        ("vehicle_id", "VH-000001".to_owned()),
        ("component", "brakes".to_owned()),
    ];
    let report = probe(&target).await;
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
}
