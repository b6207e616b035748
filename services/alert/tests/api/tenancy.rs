//! Tenant isolation: no contact can be created under an id another organization
//! holds, and a transfer closes the old organization's alerts. (That an organization's
//! alerts and contacts answer another organization's callers like unknown ids, for every
//! role, is the RBAC matrix's check: `rbac.rs`.)

use reqwest::Method;
use serde_json::json;
use shared_runtime::auth::Role;
use shared_runtime::testing::{Credential, TestClient};
use shared_schemas::events::Severity;
use uuid::Uuid;

use crate::helpers::{ORG, admin, decision, envelope, spawn_app, token};

const OTHER: &str = "globex";

#[tokio::test]
async fn contact_put_answers_foreign_and_unknown_ids_alike() {
    let app = spawn_app().await;
    let [owner, _, _] = app.chain().await;
    let api = TestClient::new(app.address.clone());
    let globex = token(Role::FleetManager, OTHER, &[]);
    let body = json!({"name": "Mallory", "role": "owner", "email": "mallory@globex.test"});
    let foreign = api
        .call(
            Method::PUT,
            &format!("/v1/contacts/{owner}"),
            &Credential::Bearer(globex.clone()),
            Some(&body),
        )
        .await;
    let unknown_id = Uuid::now_v7();
    let unknown = api
        .call(
            Method::PUT,
            &format!("/v1/contacts/{unknown_id}"),
            &Credential::Bearer(globex.clone()),
            Some(&body),
        )
        .await;
    assert_eq!((foreign.status, unknown.status), (404, 404));
    assert_eq!(
        foreign.message().replace(&owner.to_string(), "ID"),
        unknown.message().replace(&unknown_id.to_string(), "ID")
    );
    // The unknown id was not created for globex either.
    let theirs = api.get_as("/v1/contacts", &globex).await;
    assert_eq!(theirs.body, json!([]));
}

#[tokio::test]
async fn nul_in_a_contact_name_is_a_400_naming_the_field() {
    let app = spawn_app().await;
    let [owner, _, _] = app.chain().await;
    let api = TestClient::new(app.address.clone());
    let fm = token(Role::FleetManager, ORG, &[]);
    let bad = json!({"name": "Dana\u{0}Driver", "role": "owner"});
    let created = api.post_as("/v1/contacts", &fm, &bad).await;
    assert_eq!(created.status, 400, "{}", created.body);
    assert!(
        created
            .message()
            .contains("`name` contains a control character (U+0000)"),
        "{}",
        created.body
    );
    let replaced = api
        .call(
            Method::PUT,
            &format!("/v1/contacts/{owner}"),
            &Credential::Bearer(fm),
            Some(&bad),
        )
        .await;
    assert_eq!(replaced.status, 400, "{}", replaced.body);
    assert!(replaced.message().contains("`name`"), "{}", replaced.body);
}

#[tokio::test]
async fn a_transfer_closes_the_old_orgs_alerts_and_the_new_org_gets_its_own() {
    let app = spawn_app().await;
    app.chain().await;
    app.publish(&[envelope("agent", decision("A-9", Severity::High))])
        .await;
    let old = app.alert_of("A-9").await;
    let transfer = shared_schemas::events::OwnershipTransferred {
        transfer_id: Uuid::now_v7(),
        vehicle_id: "A-9".to_owned(),
        from_org_id: ORG.to_owned(),
        to_org_id: OTHER.to_owned(),
        reason: "sold".to_owned(),
        transferred_by: "admin".to_owned(),
        transferred_at: chrono::Utc::now(),
    };
    app.publish(&[envelope("ingestion", transfer)]).await;
    app.wait_consumed().await;
    let closed = app.alert(old["alert_id"].as_str().unwrap()).await;
    assert_eq!(closed["status"], "resolved", "{closed:#}");
    assert_eq!(
        closed["resolution"],
        "the vehicle was transferred to another organization"
    );
    // The new organization's decision opens an alert of its own.
    let mut theirs = decision("A-9", Severity::High);
    theirs.org_id = OTHER.to_owned();
    app.publish(&[envelope("agent", theirs)]).await;
    app.wait_consumed().await;
    let api = TestClient::new(app.address.clone());
    let listed = api
        .get_as("/v1/alerts?vehicle_id=A-9&status=open", &admin())
        .await;
    let open = listed.body["alerts"].as_array().unwrap();
    assert_eq!(open.len(), 1, "{listed:?}");
    assert_eq!(open[0]["org_id"], OTHER);
}
