//! Tenant isolation beyond the RBAC matrix (`rbac.rs`, which calls every operation as
//! every role of another organization): globex's fleet manager reaches none of acme's
//! claims, documents, evidence packs or contracts, cannot review, pay, close or file
//! into them, and sees none of them listed; an owner's evidence pack names no other
//! owner's claims; an idempotency key never crosses organizations. (Another owner's
//! vehicle and claims: `claims.rs`, `another_owners_vehicle_is_not_found`.)

use printpdf::{PdfDocument, PdfParseOptions};
use reqwest::Method;
use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_runtime::testing::tenancy::{Probe, assert_foreign_like_unknown};
use shared_runtime::testing::{Credential, TestClient};
use uuid::Uuid;

use crate::claims::{PDF, claim_json, filed_id, form, manager, owner, post_form, with_contract};
use crate::contracts::{VIN, contract_body};
use crate::helpers::{ORG, spawn_app, token};
use crate::rbac::{OTHER, VEHICLE, approved};

/// Globex's fleet manager.
fn globex() -> String {
    token(Role::FleetManager, OTHER, &[])
}

/// Every text run of a PDF, one per line.
fn pdf_text(bytes: &[u8]) -> String {
    let doc = PdfDocument::parse(bytes, &PdfParseOptions::default(), &mut Vec::new())
        .expect("the evidence pack parses");
    warranty::domain::evidence::texts(&doc)
}

/// The status of acme's claim `id`, as acme's fleet manager reads it.
async fn status_of(api: &TestClient, id: &str) -> Value {
    let got = api.get_as(&format!("/v1/claims/{id}"), &manager()).await;
    assert_eq!(got.status, 200, "{}", got.body);
    got.body["status"].clone()
}

#[tokio::test]
async fn globex_cannot_read_review_pay_or_close_acmes_claims() {
    let app = spawn_app().await;
    with_contract(&app, 365).await;
    let api = TestClient::new(app.address.clone());
    let docs = [("invoice.pdf", "application/pdf", PDF.to_vec())];
    let filed = post_form(
        &app,
        &owner(),
        form(&claim_json("cooling", 20_000.0), &docs),
        None,
    )
    .await;
    let in_review = filed_id(filed).await;
    let approved = approved(&api).await;
    let sha = warranty::storage::sha256_hex(PDF);
    let document: &'static str = format!("/v1/claims/{{id}}/documents/{sha}").leak();
    let who = Credential::Bearer(globex());
    let unknown = Uuid::now_v7().to_string();
    let reject = json!({"decision": "reject", "note": "globex says no", "fraud": true});
    for (probe, id) in [
        (Probe::new(Method::GET, "/v1/claims/{id}"), &in_review),
        (Probe::new(Method::GET, document), &in_review),
        (
            Probe::new(Method::GET, "/v1/claims/{id}/evidence.pdf"),
            &in_review,
        ),
        (
            Probe::new(Method::GET, "/v1/claims/{id}/similar"),
            &in_review,
        ),
        (
            Probe::with_body(Method::POST, "/v1/claims/{id}/decision", reject),
            &in_review,
        ),
        (Probe::new(Method::POST, "/v1/claims/{id}/pay"), &approved),
        (Probe::new(Method::POST, "/v1/claims/{id}/close"), &approved),
    ] {
        let got = assert_foreign_like_unknown(&api, "globex", &who, &probe, id, &unknown).await;
        assert_eq!(
            got.status, 404,
            "{} {}: {}",
            probe.method, probe.path, got.body
        );
    }
    let acme = [VEHICLE, VIN, in_review.as_str(), approved.as_str()];
    for path in [
        "/v1/claims",
        "/v1/claims?vehicle_id=truck-1",
        "/v1/claims?status=needs_review",
        "/v1/claims?status=approved",
        "/v1/reviews",
        "/v1/contracts",
        "/v1/contracts?vehicle_id=truck-1",
    ] {
        let got = api.get_as(path, &globex()).await;
        assert_eq!(got.status, 200, "{path}: {}", got.body);
        let text = got.body.to_string();
        assert!(
            acme.iter().all(|s| !text.contains(s)),
            "{path} shows acme's claims to globex: {text}"
        );
    }
    // Nothing moved: still in review, still approved (not paid, not closed), no label.
    assert_eq!(status_of(&api, &in_review).await, "needs_review");
    assert_eq!(status_of(&api, &approved).await, "approved");
    let labels: i64 = sqlx::query_scalar("SELECT count(*) FROM claim_labels WHERE claim_id = $1")
        .bind(in_review.parse::<Uuid>().unwrap())
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(labels, 0);
}

#[tokio::test]
async fn globex_cannot_read_take_over_or_claim_on_acmes_contract() {
    let app = spawn_app().await;
    with_contract(&app, 365).await;
    let api = TestClient::new(app.address.clone());
    let who = Credential::Bearer(globex());
    let read = Probe::new(Method::GET, "/v1/contracts/{id}");
    let got = assert_foreign_like_unknown(&api, "globex", &who, &read, VEHICLE, "NOPE-1").await;
    assert_eq!(got.status, 404, "{}", got.body);
    // Setting the contract: acme's vehicle is not globex's (404); naming acme is a 403.
    let mut cheaper = contract_body(365);
    cheaper["deductible"] = json!(0.0);
    let put = |body: Value| {
        let api = &app;
        async move {
            api.put_as("/v1/contracts/truck-1", &globex(), &body)
                .await
                .status()
        }
    };
    assert_eq!(put(cheaper.clone()).await, 404);
    cheaper["org_id"] = json!(ORG);
    assert_eq!(put(cheaper).await, 403);
    let kept = api.get_as("/v1/contracts/truck-1", &manager()).await;
    assert_eq!(kept.body["org_id"], ORG, "{}", kept.body);
    assert_eq!(kept.body["deductible"], 100.0, "{}", kept.body);
    // Filing on acme's vehicle, with a document: 404, and nothing is kept.
    let docs = [("invoice.pdf", "application/pdf", PDF.to_vec())];
    let claim = claim_json("cooling", 20_000.0);
    let r = post_form(&app, &globex(), form(&claim, &docs), Some("g-1")).await;
    assert_eq!(r.status(), 404);
    let r = app.post_as("/v1/claims", &globex(), &claim).await;
    assert_eq!(r.status(), 404);
    let mut named = claim.clone();
    named["org_id"] = json!(ORG);
    let r = app.post_as("/v1/claims", &globex(), &named).await;
    assert_eq!(r.status(), 403);
    let (claims, documents): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM claims), (SELECT count(*) FROM claim_documents)",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!((claims, documents), (0, 0));
}

#[tokio::test]
async fn an_owners_evidence_pack_names_no_other_owners_claims() {
    let app = spawn_app().await;
    with_contract(&app, 365).await;
    let mut theirs = contract_body(365);
    theirs["vin"] = json!("2HGCM82633A004353");
    let r = app
        .put_as("/v1/contracts/truck-2", &manager(), &theirs)
        .await;
    assert_eq!(r.status(), 200);
    // Truck-2's owner files much the same story first: it is truck-1's nearest claim.
    let mut other = claim_json("cooling", 20_000.0);
    other["vehicle_id"] = json!("truck-2");
    other["vin"] = json!("2HGCM82633A004353");
    let stranger = token(Role::Owner, ORG, &["truck-2"]);
    let other_id = filed_id(app.post_as("/v1/claims", &stranger, &other).await).await;
    let mine = claim_json("cooling", 20_000.0);
    let id = filed_id(app.post_as("/v1/claims", &owner(), &mine).await).await;
    let pack = |tok: String| {
        let app = &app;
        let path = format!("/v1/claims/{id}/evidence.pdf");
        async move {
            let r = app.get_as(&path, &tok).await;
            assert_eq!(r.status(), 200);
            pdf_text(&r.bytes().await.unwrap())
        }
    };
    let reviewer = pack(manager()).await;
    assert!(
        reviewer.contains(&other_id),
        "the reviewer's pack lists truck-2's claim as similar: {reviewer}"
    );
    let own = pack(owner()).await;
    assert!(own.contains(&id), "{own}");
    assert!(
        !own.contains(&other_id) && !own.contains("truck-2"),
        "truck-1's owner sees truck-2's claim: {own}"
    );
    // The same list as data, beside the fraud signals on a reviewer's screen.
    let similar = |tok: String| {
        let path = format!("/v1/claims/{id}/similar");
        let app = &app;
        async move {
            let r = app.get_as(&path, &tok).await;
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    let reviewer = similar(manager()).await;
    let hit = reviewer
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["claim_id"] == other_id.as_str())
        .unwrap_or_else(|| panic!("truck-2's claim is similar: {reviewer}"));
    assert_eq!(hit["vehicle_id"], "truck-2");
    assert_eq!(hit["component"], "cooling");
    let s = hit["similarity"].as_f64().unwrap();
    assert!(s > 0.5 && s <= 1.0, "{hit}");
    let own = similar(owner()).await.to_string();
    assert!(
        !own.contains(&other_id) && !own.contains("truck-2"),
        "truck-1's owner sees truck-2's claim: {own}"
    );
}

#[tokio::test]
async fn an_idempotency_key_never_returns_another_organizations_claim() {
    let app = spawn_app().await;
    // The same subject in two organizations, the same key, the same claim (of a
    // vehicle without a contract, which either may file).
    let mut claim = claim_json("battery", 1_000.0);
    claim["vehicle_id"] = json!("truck-9");
    let file = |tok: String| {
        let (app, body) = (&app, form(&claim, &[]));
        async move {
            let r = post_form(app, &tok, body, Some("retry-1")).await;
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (acme, globex) = (file(manager()).await, file(globex()).await);
    assert_eq!(acme.0, 201, "{}", acme.1);
    assert_eq!(globex.0, 201, "{}", globex.1);
    assert_ne!(acme.1["id"], globex.1["id"]);
    assert_eq!(globex.1["org_id"], OTHER);
    // Within one organization the key still returns the first claim.
    let again = file(manager()).await;
    assert_eq!((again.0, &again.1["id"]), (200, &acme.1["id"]));
}
