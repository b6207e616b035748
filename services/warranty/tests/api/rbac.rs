//! The RBAC matrix (docs/rbac.md, `## warranty`): every operation, every role, from
//! inside and outside its reach. The fixture is acme's `truck-1` with its contract and
//! a claim its owner filed with a PDF, waiting for review; a decision gets a fresh
//! claim in review, payment and closing a freshly approved one.

use std::future::Future;
use std::pin::Pin;

use reqwest::Method;
use serde_json::{Value, json};
use shared_runtime::testing::TestClient;
use shared_runtime::testing::rbac::{self, Matrix, Param, Request, World};
use uuid::Uuid;

use crate::claims::{PDF, claim_json, filed_id, form, manager, owner, post_form, with_contract};
use crate::contracts::{VIN, contract_body};
use crate::helpers::{JWT_SECRET, ORG, spawn_app};

pub(crate) const OTHER: &str = "globex";
pub(crate) const VEHICLE: &str = "truck-1";

/// A claim of `truck-1` as the matrix files it: naming acme.
fn filing() -> Value {
    let mut claim = claim_json("cooling", 20_000.0);
    claim["org_id"] = json!(ORG);
    claim
}

/// A claim of `truck-1` filed by acme's fleet manager, in review; returns its id.
pub(crate) async fn in_review(api: &TestClient) -> String {
    let made = api.post_as("/v1/claims", &manager(), &filing()).await;
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(made.body["status"], "needs_review", "{}", made.body);
    made.body["id"].as_str().unwrap().to_owned()
}

/// A claim of `truck-1` approved by acme's fleet manager; returns its id.
pub(crate) async fn approved(api: &TestClient) -> String {
    let id = in_review(api).await;
    let decided = api
        .post_as(
            &format!("/v1/claims/{id}/decision"),
            &manager(),
            &json!({"decision": "approve", "note": "the pump failed"}),
        )
        .await;
    assert_eq!(decided.status, 200, "{}", decided.body);
    id
}

/// A fresh claim's id, once the claim is made.
type Fresh = Pin<Box<dyn Future<Output = Vec<(String, String)>> + Send>>;

/// `renew` values: `id` is a fresh claim, in review or (`approve`) approved.
fn fresh(api: &TestClient, approve: bool) -> impl Fn() -> Fresh + Send + Sync + use<> {
    let api = api.clone();
    move || {
        let api = api.clone();
        Box::pin(async move {
            let id = if approve {
                approved(&api).await
            } else {
                in_review(&api).await
            };
            vec![("id".to_owned(), id)]
        })
    }
}

/// The requests of the matrix: bodies, and fresh claims where a call consumes one.
fn requests(api: &TestClient) -> Vec<Request> {
    let mut contract = contract_body(365);
    contract["org_id"] = json!(ORG);
    let mut claim = filing();
    claim["vehicle_id"] = json!("{vehicle_id}");
    vec![
        Request::new(Method::POST, "/v1/claims").body(claim),
        Request::new(Method::PUT, "/v1/contracts/{vehicle_id}").body(contract),
        Request::new(Method::POST, "/v1/claims/{id}/decision")
            .body(json!({"decision": "approve", "note": "the pump failed"}))
            .renew(fresh(api, false)),
        Request::new(Method::POST, "/v1/claims/{id}/pay").renew(fresh(api, true)),
        Request::new(Method::POST, "/v1/claims/{id}/close").renew(fresh(api, true)),
    ]
}

#[tokio::test]
async fn every_role_gets_what_the_policy_says() {
    let app = spawn_app().await;
    with_contract(&app, 365).await;
    let docs = [("invoice.pdf", "application/pdf", PDF.to_vec())];
    let id = filed_id(post_form(&app, &owner(), form(&filing(), &docs), None).await).await;
    let sha = warranty::storage::sha256_hex(PDF);

    let api = TestClient::new(app.address.clone());
    let openapi: Value = serde_json::from_str(&warranty::openapi::json()).unwrap();
    let mint = rbac::hmac_minter(JWT_SECRET);
    let matrix = Matrix {
        service: "warranty",
        client: &api,
        openapi: &openapi,
        mint: &mint,
        world: World::new(ORG, OTHER, VEHICLE, "truck-2"),
        params: vec![
            Param::new("id", &id, Uuid::now_v7().to_string()),
            Param::new("vehicle_id", VEHICLE, "NOPE-1"),
            Param::new("sha", &sha, warranty::storage::sha256_hex(b"nothing")),
        ],
        requests: requests(&api),
        private: vec![VEHICLE.to_owned(), VIN.to_owned(), id.clone()],
    };
    let report = rbac::check(&matrix).await;
    assert_eq!(report.operations, 14, "{report:?}");
}
