//! The committed OpenAPI document, the docs page, health and metrics.

use crate::helpers::spawn_app;

#[tokio::test]
async fn openapi_docs_health_and_metrics_are_served_without_auth() {
    let app = spawn_app().await;
    shared_runtime::testing::check_ops_and_docs(
        &app.address,
        "warranty",
        &warranty::openapi::json(),
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json")),
    )
    .await;
}
