//! Hostile input on every documented operation: never a 5xx, control characters
//! refused naming the field (shared_runtime::testing::hostile).

use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_runtime::testing::hostile::{Target, probe};
use shared_runtime::testing::{Credential, TestClient};

use crate::helpers::{ORG, spawn_app, token};

#[tokio::test]
async fn hostile_input_gets_4xx_naming_the_field_never_5xx() {
    let app = spawn_app().await;
    let api = TestClient::new(app.address.clone());
    // A decision to address (health is down: decided from the request).
    let made = api
        .post_as(
            "/v1/orchestrate",
            &token(Role::FleetManager, ORG, &[]),
            &json!({"vehicle_id": "VH-H1", "component": "dpf", "rul_days": 5.0}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let openapi: Value = serde_json::from_str(&agent::openapi::json()).unwrap();
    let mut target = Target::new(&api, &openapi);
    target.credentials = vec![(
        "bearer",
        Credential::Bearer(token(Role::Admin, "platform", &[])),
    )];
    target.path_values = vec![
        ("vehicle_id", "VH-H1".to_owned()),
        (
            "decision_id",
            made.body["decision_id"].as_str().unwrap().to_owned(),
        ),
    ];
    let report = probe(&target).await;
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
}
