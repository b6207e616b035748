//! Hostile input on every documented operation: never a 5xx, control characters
//! refused naming the field (shared_runtime::testing::hostile).

use serde_json::Value;
use shared_runtime::testing::hostile::{Target, probe};
use shared_runtime::testing::{Credential, TestClient};
use shared_schemas::events::Severity;

use crate::helpers::{admin, decision, envelope, spawn_app};

#[tokio::test]
async fn hostile_input_gets_4xx_naming_the_field_never_5xx() {
    let app = spawn_app().await;
    let [owner, _, _] = app.chain().await;
    app.publish(&[envelope("agent", decision("VH-H1", Severity::High))])
        .await;
    let alert = app.alert_of("VH-H1").await;
    let api = TestClient::new(app.address.clone());
    let openapi: Value = serde_json::from_str(&alert::openapi::json()).unwrap();
    let mut target = Target::new(&api, &openapi);
    target.credentials = vec![("bearer", Credential::Bearer(admin()))];
    target.path_values = vec![
        ("alert_id", alert["alert_id"].as_str().unwrap().to_owned()),
        ("contact_id", owner.to_string()),
    ];
    // The live feed never ends; its query parameters are checked in `rest`.
    target.skip = vec![("get", "/v1/alerts/stream")];
    let report = probe(&target).await;
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
}
