//! Device key management.

use serde_json::{Value, json};
use shared_runtime::auth::Role;

use crate::helpers::{ORG, reading, spawn_app, token};

#[tokio::test]
async fn created_key_works_until_revoked() {
    let app = spawn_app().await;
    let admin = token(Role::Admin, "root", &[]);
    let created = app
        .client
        .post(app.url("/v1/device-keys"))
        .bearer_auth(&admin)
        .json(&json!({"name": "gateway-17", "org_id": ORG, "vehicle_ids": ["VH-1"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let key = created["key"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();

    let post = |vehicle: &'static str, rid: &'static str| {
        let app = &app;
        let key = key.clone();
        async move {
            app.client
                .post(app.url("/v1/telemetry"))
                .header("x-api-key", key)
                .json(&reading(vehicle, rid, 0))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(post("VH-1", "k-1").await, 202);
    assert_eq!(post("VH-2", "k-2").await, 422, "key is restricted to VH-1");

    let list: Value = app
        .get_as("/v1/device-keys", &admin)
        .await
        .json()
        .await
        .unwrap();
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id.as_str())
        .unwrap();
    assert!(listed.get("key").is_none(), "secrets are never listed");

    let revoked = app
        .client
        .delete(app.url(&format!("/v1/device-keys/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(post("VH-1", "k-3").await, 401);
}

#[tokio::test]
async fn key_management_is_scoped_and_validated() {
    let app = spawn_app().await;
    let create = |tok: String, body: Value| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/v1/device-keys"))
                .bearer_auth(tok)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let owner = create(token(Role::Owner, ORG, &["VH-1"]), json!({"name": "x"})).await;
    assert_eq!(owner.status(), 403);
    let foreign = create(
        token(Role::FleetManager, ORG, &[]),
        json!({"name": "x", "org_id": "globex"}),
    )
    .await;
    assert_eq!(foreign.status(), 403);
    let own = create(token(Role::FleetManager, ORG, &[]), json!({"name": "x"})).await;
    assert_eq!(own.status(), 201);
    assert_eq!(own.json::<Value>().await.unwrap()["org_id"], ORG);
    let no_org = create(token(Role::Admin, "root", &[]), json!({"name": "x"})).await;
    assert_eq!(no_org.status(), 400);
    let no_name = create(token(Role::Admin, "root", &[]), json!({"org_id": ORG})).await;
    assert_eq!(no_name.status(), 400);
    assert_eq!(
        no_name.json::<Value>().await.unwrap()["code"],
        "bad_request"
    );
    let bad_id = app
        .client
        .delete(app.url("/v1/device-keys/not-a-uuid"))
        .bearer_auth(token(Role::Admin, "root", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_id.status(), 400);
    let list = app
        .get_as("/v1/device-keys", &token(Role::FleetManager, "globex", &[]))
        .await;
    assert_eq!(
        list.json::<Value>()
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn nul_in_a_device_key_name_is_a_400_naming_the_field() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/v1/device-keys"))
        .bearer_auth(token(Role::Admin, "root", &[]))
        .json(&json!({"name": "gw\u{0}x", "org_id": ORG}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("`name` contains a control character (U+0000)"),
        "{body}"
    );
    let bad_org = app
        .client
        .post(app.url("/v1/device-keys"))
        .bearer_auth(token(Role::Admin, "root", &[]))
        .json(&json!({"name": "gw", "org_id": "x".repeat(10_000)}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_org.status(), 400);
}
