//! The RBAC matrix (docs/rbac.md, `## alert`): every operation, every role, from
//! inside and outside its reach, with alerts, a planning item and contacts in acme and
//! an alert in globex. The signed acknowledge links are checked apart: a forged token
//! is refused alike whatever the alert.

use reqwest::Method;
use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_runtime::testing::rbac::{self, Caller, Matrix, Param, Request, World};
use shared_runtime::testing::tenancy::{Probe, assert_foreign_like_unknown};
use shared_runtime::testing::{Credential, TestClient};
use shared_schemas::events::{Component, Severity};
use uuid::Uuid;

use crate::helpers::{JWT_SECRET, ORG, TestApp, admin, decision, envelope, plan, spawn_app};

const OTHER: &str = "globex";
const ACME_VEHICLE: &str = "A-1";

/// The alert of acme's vehicle about `subject`.
async fn alert_about(api: &TestClient, subject: &str) -> String {
    let path = format!("/v1/alerts?vehicle_id={ACME_VEHICLE}&subject={subject}");
    let listed = api.get_as(&path, &admin()).await;
    listed.body["alerts"][0]["alert_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no {subject} alert: {}", listed.body))
        .to_owned()
}

/// Acme's vehicle with a DPF alert (acknowledged in the matrix), a cooling alert
/// (resolved) and a planning item; globex's vehicle with an alert; acme's owner as a
/// contact. Returns the two alert ids and the contact id.
async fn fixture(app: &TestApp) -> (String, String, String) {
    app.chain().await;
    let owner = app
        .contact(
            "Olivia Owner",
            "owner",
            json!({"user_id": Caller::sub_of(Role::Owner), "email": "olivia@acme.test", "vehicle_ids": [ACME_VEHICLE]}),
        )
        .await;
    let mut cooling = decision(ACME_VEHICLE, Severity::High);
    cooling.component = Component::Cooling;
    let mut theirs = decision("G-1", Severity::High);
    theirs.org_id = OTHER.to_owned();
    app.publish(&[
        envelope("agent", decision(ACME_VEHICLE, Severity::High)),
        envelope("agent", cooling),
        envelope("agent", plan(ACME_VEHICLE, 100)),
        envelope("agent", theirs),
    ])
    .await;
    app.wait_consumed().await;
    let api = TestClient::new(app.address.clone());
    let (dpf, cooling) = (
        alert_about(&api, "dpf").await,
        alert_about(&api, "cooling").await,
    );
    (dpf, cooling, owner.to_string())
}

/// A fresh contact of acme's (a deletion consumes one).
async fn fresh_contact(api: TestClient) -> Vec<(String, String)> {
    let body = json!({"org_id": ORG, "name": "Dora Deletable", "role": "emergency_contact", "email": "dora@acme.test"});
    let created = api.post_as("/v1/contacts", &admin(), &body).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["contact_id"].as_str().unwrap().to_owned();
    vec![("contact_id".to_owned(), id)]
}

#[tokio::test]
async fn every_role_gets_what_the_policy_says() {
    let app = spawn_app().await;
    let (dpf, cooling, owner) = fixture(&app).await;
    let api = TestClient::new(app.address.clone());
    let openapi: Value = serde_json::from_str(&alert::openapi::json()).unwrap();
    let mint = rbac::hmac_minter(JWT_SECRET);
    let resolved = cooling.clone();
    let for_deletion = api.clone();
    let matrix = Matrix {
        service: "alert",
        client: &api,
        openapi: &openapi,
        mint: &mint,
        world: World::new(ORG, OTHER, ACME_VEHICLE, "A-2"),
        params: vec![
            Param::new("alert_id", &dpf, Uuid::now_v7().to_string()),
            Param::new("contact_id", &owner, Uuid::now_v7().to_string()),
        ],
        requests: vec![
            // Resolving the DPF alert would make acknowledging it a 409: resolve the
            // cooling one.
            Request::new(Method::POST, "/v1/alerts/{alert_id}/resolve")
                .body(json!({"resolution": "repaired"}))
                .renew(move || {
                    let id = resolved.clone();
                    async move { vec![("alert_id".to_owned(), id)] }
                }),
            Request::new(Method::POST, "/v1/contacts").body(
                json!({"org_id": ORG, "name": "Rita Reader", "role": "fleet_manager", "email": "rita@acme.test"}),
            ),
            Request::new(Method::PUT, "/v1/contacts/{contact_id}").body(json!({
                "org_id": ORG, "name": "Olivia Owner", "role": "owner",
                "user_id": Caller::sub_of(Role::Owner), "email": "olivia@acme.test",
                "vehicle_ids": [ACME_VEHICLE],
            })),
            Request::new(Method::DELETE, "/v1/contacts/{contact_id}")
                .renew(move || fresh_contact(for_deletion.clone())),
            Request::new(Method::PUT, "/v1/contacts/{contact_id}/preferences")
                .body(json!({"channels": {"email": "info"}})),
        ],
        private: vec![ACME_VEHICLE.to_owned(), dpf.clone(), cooling, owner],
    };
    let report = rbac::check(&matrix).await;
    assert_eq!(report.operations, 17, "{report:?}");

    // The signed links: a forged token for acme's alert is refused exactly like one
    // for an alert that does not exist.
    for probe in [
        Probe::new(Method::GET, "/v1/alerts/{id}/ack?token=forged.token"),
        Probe::new(Method::POST, "/v1/alerts/{id}/ack?token=forged.token"),
    ] {
        let unknown = Uuid::now_v7().to_string();
        let who = Credential::Anonymous;
        assert_foreign_like_unknown(&api, "a link", &who, &probe, &dpf, &unknown).await;
    }
}
