//! The RBAC matrix (docs/rbac.md, `## ingestion`): every operation, every role, from
//! inside and outside its reach, with a reporting vehicle and a device key in acme and
//! in globex.

use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_runtime::testing::rbac::{self, Matrix, Param, Request, World};
use uuid::Uuid;

use crate::helpers::{JWT_SECRET, ORG, spawn_app, token};
use crate::tenancy::{OTHER, device_key, two_fleets};

const ACME_VEHICLE: &str = "A-1";

#[tokio::test]
async fn every_role_gets_what_the_policy_says() {
    let app = spawn_app().await;
    let (api, _, globex_key_id) = two_fleets(&app).await;
    // A key of acme's for the revocations (revoking is idempotent).
    let (_, acme_key_id) = device_key(&api, ORG).await;
    let openapi: Value = serde_json::from_str(&ingestion::openapi::json()).unwrap();
    let mint = rbac::hmac_minter(JWT_SECRET);
    let register = {
        let (api, admin) = (api.clone(), token(Role::Admin, "platform", &[]));
        // A vehicle of acme's to move: a transfer moves it for good.
        move || {
            let (api, admin) = (api.clone(), admin.clone());
            async move {
                let id = format!("MOVE-{}", Uuid::new_v4().simple());
                let body = json!({"vehicle_id": id, "org_id": ORG});
                let created = api.post_as("/v1/vehicles", &admin, &body).await;
                assert_eq!(created.status, 201, "{}", created.body);
                vec![("vehicle_id".to_owned(), id)]
            }
        }
    };
    let matrix = Matrix {
        service: "ingestion",
        client: &api,
        openapi: &openapi,
        mint: &mint,
        world: World::new(ORG, OTHER, ACME_VEHICLE, "A-2"),
        params: vec![
            Param::new("vehicle_id", ACME_VEHICLE, "NOPE-1"),
            Param::new("id", &acme_key_id, Uuid::new_v4().to_string()),
        ],
        requests: vec![
            Request::new(reqwest::Method::POST, "/v1/device-keys")
                .body(json!({"name": "rbac gateway", "org_id": ORG})),
            Request::new(reqwest::Method::POST, "/v1/vehicles")
                .body(json!({"vehicle_id": "{new_vehicle}", "org_id": ORG}))
                .renew(|| async {
                    let id = format!("NEW-{}", Uuid::new_v4().simple());
                    vec![("new_vehicle".to_owned(), id)]
                }),
            Request::new(reqwest::Method::POST, "/v1/vehicles/{vehicle_id}/transfers")
                .body(json!({"to_org_id": OTHER, "reason": "rbac matrix"}))
                .renew(register),
        ],
        private: vec![ACME_VEHICLE.to_owned(), acme_key_id.clone()],
    };
    let report = rbac::check(&matrix).await;
    assert_eq!(report.operations, 16, "{report:?}");
    // Globex's key was never revoked by anyone of acme's, and acme's vehicle is acme's.
    let keys = api
        .get_as("/v1/device-keys", &token(Role::FleetManager, OTHER, &[]))
        .await;
    let globex_key = keys
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == globex_key_id.as_str());
    assert!(
        globex_key.is_some_and(|k| k["revoked_at"].is_null()),
        "{}",
        keys.body
    );
    let acme = api
        .get_as(
            &format!("/v1/vehicles/{ACME_VEHICLE}"),
            &token(Role::FleetManager, ORG, &[]),
        )
        .await;
    assert_eq!(acme.body["org_id"], ORG, "{}", acme.body);
}
