//! The RBAC matrix (docs/rbac.md, `## agent`): every operation, every role, from
//! inside and outside its reach, with the real health service assessing a vehicle of
//! acme's and one of globex's.

use reqwest::Method;
use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_runtime::testing::TestClient;
use shared_runtime::testing::rbac::{self, Matrix, Param, Request, World};
use uuid::Uuid;

use crate::helpers::{JWT_SECRET, ORG, token};
use crate::tenancy::{ACME_VEHICLE, GLOBEX_VEHICLE, OTHER, orchestrate, two_fleets};

#[tokio::test]
async fn every_role_gets_what_the_policy_says() {
    let (app, _health) = two_fleets().await;
    let api = TestClient::new(app.address.clone());
    let acme = token(Role::FleetManager, ORG, &[]);
    let decided = api
        .post_as("/v1/orchestrate", &acme, &orchestrate(ACME_VEHICLE, None))
        .await;
    assert_eq!(decided.status, 201, "{}", decided.body);
    let decision_id = decided.body["decision_id"].as_str().unwrap().to_owned();

    let openapi: Value = serde_json::from_str(&agent::openapi::json()).unwrap();
    let mint = rbac::hmac_minter(JWT_SECRET);
    let matrix =
        Matrix {
            service: "agent",
            client: &api,
            openapi: &openapi,
            mint: &mint,
            world: World::new(ORG, OTHER, ACME_VEHICLE, "VH-000003"),
            params: vec![
                Param::new("vehicle_id", ACME_VEHICLE, "NOPE-1"),
                Param::new("decision_id", &decision_id, Uuid::now_v7().to_string()),
            ],
            // With `rul_days`, which only a health service that is down makes the agent
            // use: it must not turn a foreign or unknown vehicle into a decision.
            requests: vec![Request::new(Method::POST, "/v1/orchestrate").body(
                json!({"vehicle_id": "{vehicle_id}", "component": "brakes", "rul_days": 10.0}),
            )],
            private: vec![ACME_VEHICLE.to_owned(), decision_id],
        };
    let report = rbac::check(&matrix).await;
    assert_eq!(report.operations, 5, "{report:?}");
    // Nothing was decided under globex about acme's vehicle or the unknown one.
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM decisions WHERE org_id = $1 AND vehicle_id <> $2")
            .bind(OTHER)
            .bind(GLOBEX_VEHICLE)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(count, 0);
}
