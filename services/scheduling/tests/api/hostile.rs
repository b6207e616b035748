//! Hostile input on every documented operation: never a 5xx, control characters
//! refused naming the field (shared_runtime::testing::hostile).

use serde_json::Value;
use shared_runtime::auth::Role;
use shared_runtime::testing::hostile::{Target, probe};
use shared_runtime::testing::{Credential, TestClient};

use crate::helpers::{seed, spawn_app, token};
use crate::rbac::{Slots, VEHICLE, book};

#[tokio::test]
async fn hostile_input_gets_4xx_naming_the_field_never_5xx() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let api = TestClient::new(app.address.clone());
    let appointment = book(&api, &Slots::new(), VEHICLE, s.hub).await;
    let openapi: Value = serde_json::from_str(&scheduling::openapi::json()).unwrap();
    let mut target = Target::new(&api, &openapi);
    target.credentials = vec![(
        "bearer",
        Credential::Bearer(token(Role::Admin, "platform", &[])),
    )];
    // `id` is an appointment's: proposals and plans of that id answer 404 (the body
    // cases of their operations still reach the body checks before the lookup).
    target.path_values = vec![
        ("id", appointment),
        ("vehicle_id", VEHICLE.to_owned()),
        ("center_id", s.hub.to_string()),
        ("technician_id", s.hub_techs[0].to_string()),
        ("part", "brake_pad_set".to_owned()),
    ];
    let report = probe(&target).await;
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(report.operations, 33, "{report:?}");
}
