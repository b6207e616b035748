//! Hostile input on every documented operation: never a 5xx, control characters
//! refused naming the field (shared_runtime::testing::hostile).

use serde_json::Value;
use shared_runtime::auth::Role;
use shared_runtime::testing::hostile::{Target, probe};
use shared_runtime::testing::{Credential, TestClient};

use crate::helpers::{reading, spawn_app, token};

#[tokio::test]
async fn hostile_input_gets_4xx_naming_the_field_never_5xx() {
    let app = spawn_app().await;
    let api = TestClient::new(app.address.clone());
    let seeded = app
        .post_device("/v1/telemetry", &reading("A-1", "h-1", 30))
        .await;
    assert_eq!(seeded.status(), 202);
    let openapi: Value = serde_json::from_str(&ingestion::openapi::json()).unwrap();
    let mut target = Target::new(&api, &openapi);
    target.credentials = vec![
        (
            "bearer",
            Credential::Bearer(token(Role::Admin, "platform", &[])),
        ),
        ("device_key", Credential::DeviceKey(app.device_key.clone())),
    ];
    target.path_values = vec![("vehicle_id", "A-1".to_owned())];
    target.per_item = vec![("post", "/v1/telemetry/batch")];
    let report = probe(&target).await;
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
}
