//! Claims over REST: filing with documents, idempotent retries, every problem in one
//! 400, scope, coverage outcomes with their events, and the review flow with its label.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_runtime::testing::app::TestService;
use warranty::domain::model::{Assessment, Claim, Eligibility, Recommendation};
use warranty::pipeline::claims::{CoverageOnly, Decide};

use crate::contracts::{VIN, contract_body};
use crate::helpers::{ORG, get_json, moves, spawn_app, spawn_deciding, spawn_with, token};

/// A 1×1 grey PNG (valid chunks and CRCs).
const PNG_HEX: &str = "89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b550000000a49444154789c636000000002000148afa4710000000049454e44ae426082";
pub(crate) const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n";
pub(crate) const BOUNDARY: &str = "claim-boundary-7d3f";

pub(crate) fn png() -> Vec<u8> {
    hex::decode(PNG_HEX).unwrap()
}

/// A claim of `truck-1` failing 10 days ago at `odometer_km`.
pub(crate) fn claim_json(component: &str, odometer_km: f64) -> Value {
    json!({
        "vehicle_id": "truck-1", "vin": VIN, "component": component,
        "failure_date": (Utc::now() - Duration::days(10)).date_naive(),
        "odometer_km": odometer_km,
        "description": "engine overheated on the highway, coolant leaking from the pump",
        "shop": {"id": "SHOP-1", "name": "Joe's Garage", "region": "US-IL"},
        "cost": {"parts": [{"part": "water_pump", "quantity": 1, "unit_price": 300.0}],
                 "labour_hours": 2.0, "labour_rate": 100.0, "currency": "USD"}
    })
}

/// A `multipart/form-data` body: the claim part and `(file name, declared type, bytes)`
/// documents.
pub(crate) fn form(claim: &Value, docs: &[(&str, &str, Vec<u8>)]) -> Vec<u8> {
    let mut b = Vec::new();
    let text = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"claim\"\r\nContent-Type: application/json\r\n\r\n{claim}\r\n"
    );
    b.extend_from_slice(text.as_bytes());
    for (name, kind, bytes) in docs {
        let head = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"{name}\"\r\nContent-Type: {kind}\r\n\r\n"
        );
        b.extend_from_slice(head.as_bytes());
        b.extend_from_slice(bytes);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    b
}

pub(crate) async fn post_form(
    app: &TestService,
    tok: &str,
    body: Vec<u8>,
    key: Option<&str>,
) -> reqwest::Response {
    let mut r = app
        .client
        .post(app.url("/v1/claims"))
        .bearer_auth(tok)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body);
    if let Some(k) = key {
        r = r.header("idempotency-key", k);
    }
    r.send().await.unwrap()
}

/// The id of the claim a filing answered with (which must be a 201).
pub(crate) async fn filed_id(r: reqwest::Response) -> String {
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) async fn message(r: reqwest::Response) -> String {
    r.json::<Value>().await.unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) fn manager() -> String {
    token(Role::FleetManager, ORG, &[])
}

pub(crate) fn owner() -> String {
    token(Role::Owner, ORG, &["truck-1"])
}

pub(crate) async fn with_contract(app: &TestService, days_ago: i64) {
    let r = app
        .put_as(
            "/v1/contracts/truck-1",
            &manager(),
            &contract_body(days_ago),
        )
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn an_owner_files_a_claim_with_a_pdf_and_a_png() {
    let app = spawn_app().await;
    with_contract(&app, 365).await;
    let docs = [
        ("invoice.pdf", "application/pdf", PDF.to_vec()),
        ("photo.png", "image/png", png()),
    ];
    let r = post_form(
        &app,
        &owner(),
        form(&claim_json("cooling", 20_000.0), &docs),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["status"], "needs_review", "{c}");
    assert_eq!(c["coverage"], "powertrain", "the term ending last");
    assert_eq!(c["eligibility"]["eligible"], true);
    let types: Vec<&str> = c["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["content_type"].as_str().unwrap())
        .collect();
    assert_eq!(types.len(), 2);
    assert!(types.contains(&"application/pdf") && types.contains(&"image/png"));
    let id = c["id"].as_str().unwrap();

    let pdf_sha = warranty::storage::sha256_hex(PDF);
    let r = app
        .get_as(&format!("/v1/claims/{id}/documents/{pdf_sha}"), &owner())
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert_eq!(r.bytes().await.unwrap().as_ref(), PDF);
    let missing = format!("/v1/claims/{id}/documents/{}", "0".repeat(64));
    assert_eq!(app.get_as(&missing, &owner()).await.status(), 404);

    let one: Value = app
        .get_as(&format!("/v1/claims/{id}"), &owner())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(moves(&one), ["submitted", "validating", "needs_review"]);
    let events = app.wait_stream("warranty.claim.submitted", 1).await;
    assert_eq!(events[0]["payload"]["claim_id"], id);
    assert_eq!(events[0]["payload"]["document_count"], 2);
    assert_eq!(events[0]["payload"]["cost_estimate"]["amount"], 500.0);

    // The evidence pack of the analysed claim, for its owner only.
    let r = app
        .get_as(&format!("/v1/claims/{id}/evidence.pdf"), &owner())
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = r.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let stranger = token(Role::Owner, ORG, &["truck-2"]);
    let r = app
        .get_as(&format!("/v1/claims/{id}/evidence.pdf"), &stranger)
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_retry_with_the_same_key_returns_the_first_claim() {
    let app = spawn_app().await;
    with_contract(&app, 365).await;
    let docs = [("invoice.pdf", "application/pdf", PDF.to_vec())];
    let body = form(&claim_json("cooling", 20_000.0), &docs);
    let first = post_form(&app, &owner(), body.clone(), Some("k-1")).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = post_form(&app, &owner(), body, Some("k-1")).await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    let other = form(&claim_json("cooling", 21_000.0), &docs);
    let r = post_form(&app, &owner(), other, Some("k-1")).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(message(r).await.contains("k-1"));
    let list: Value = app
        .get_as("/v1/claims", &owner())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_document_is_typed_by_its_content_and_size_limited() {
    let app = spawn_with(|c| c.max_attachment_bytes = 1_000).await;
    with_contract(&app, 365).await;
    let text = b"this is not a PDF at all, whatever its name says".to_vec();
    let docs = [("invoice.pdf", "application/pdf", text)];
    let r = post_form(
        &app,
        &owner(),
        form(&claim_json("cooling", 20_000.0), &docs),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let m = message(r).await;
    assert!(
        m.contains("document 1 (invoice.pdf) is not a PDF, JPEG or PNG"),
        "{m}"
    );

    let mut big = PDF.to_vec();
    big.resize(1_001, b' ');
    let docs = [("big.pdf", "application/pdf", big)];
    let r = post_form(
        &app,
        &owner(),
        form(&claim_json("cooling", 20_000.0), &docs),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(message(r).await.contains("larger than 1000 bytes"));
    let list: Value = app
        .get_as("/v1/claims", &owner())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn one_bad_request_names_every_problem() {
    let app = spawn_app().await;
    let mut claim = claim_json("cooling", -5.0);
    claim["vin"] = json!("SHORT");
    claim.as_object_mut().unwrap().remove("component");
    claim["cost"]["currency"] = json!("usd");
    let r = app.post_as("/v1/claims", &owner(), &claim).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let m = message(r).await;
    for want in [
        "`vin` must be 17 characters",
        "`component` is missing",
        "`odometer_km`",
        "`cost.currency`",
    ] {
        assert!(m.contains(want), "{want} not in {m}");
    }
    // A form without its claim part, with an unknown part.
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--{BOUNDARY}--\r\n"
    );
    let r = post_form(&app, &owner(), body.into_bytes(), None).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let m = message(r).await;
    assert!(
        m.contains("unknown form part `note`") && m.contains("`claim` part is missing"),
        "{m}"
    );
}

#[tokio::test]
async fn another_owners_vehicle_is_not_found() {
    let app = spawn_app().await;
    with_contract(&app, 365).await;
    let r = app
        .post_as("/v1/claims", &manager(), &claim_json("cooling", 20_000.0))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stranger = token(Role::Owner, ORG, &["truck-2"]);
    assert_eq!(
        app.get_as(&format!("/v1/claims/{id}"), &stranger)
            .await
            .status(),
        404
    );
    let r = app
        .post_as("/v1/claims", &stranger, &claim_json("cooling", 20_000.0))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let list: Value = app
        .get_as("/v1/claims", &stranger)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]));
    let globex = token(Role::FleetManager, "globex", &[]);
    assert_eq!(
        app.get_as(&format!("/v1/claims/{id}"), &globex)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get_as(&format!("/v1/claims/{id}"), &owner())
            .await
            .status(),
        200
    );
    let mut wrong_vin = claim_json("cooling", 20_000.0);
    wrong_vin["vin"] = json!("WVWZZZ1JZXW000001");
    let r = app.post_as("/v1/claims", &owner(), &wrong_vin).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        message(r)
            .await
            .contains("does not match the VIN on the vehicle's contract")
    );
}

#[tokio::test]
async fn a_claim_past_the_km_limit_is_rejected_with_its_reason() {
    let app = spawn_app().await;
    with_contract(&app, 365).await;
    let r = app
        .post_as(
            "/v1/claims",
            &owner(),
            &claim_json("transmission", 101_500.0),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["status"], "rejected");
    let events = app.wait_stream("warranty.claim.rejected", 1).await;
    let p = &events[0]["payload"];
    assert_eq!(p["claim_id"], c["id"]);
    let reasons = p["reasons"].to_string();
    assert!(
        reasons.contains("powertrain coverage ended at 100,000 km"),
        "{reasons}"
    );
    assert!(reasons.contains("100,500 km"), "{reasons}");
    assert!(p.get("reviewed_by").is_none());

    // No contract at all: filed, and rejected as not covered.
    let r = app
        .post_as(
            "/v1/claims",
            &manager(),
            &json!({"vehicle_id": "truck-9", "vin": VIN, "component": "battery",
            "failure_date": "2024-01-01", "odometer_km": 10.0, "description": "dead",
            "shop": {"id": "S", "name": "S", "region": "US-IL"},
            "cost": {"parts": [], "labour_hours": 1.0, "labour_rate": 50.0, "currency": "USD"}}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["status"], "rejected");
    assert!(
        c["eligibility"]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("no warranty contract")
    );
}

#[tokio::test]
async fn a_reviewer_decides_and_the_decision_becomes_a_label() {
    let app = spawn_app().await;
    with_contract(&app, 365).await;
    let r = app
        .post_as("/v1/claims", &owner(), &claim_json("cooling", 20_000.0))
        .await;
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.get_as("/v1/reviews", &owner()).await.status(), 403);
    let queue = get_json(&app, "/v1/reviews", &manager()).await;
    assert_eq!(queue[0]["id"], id.as_str());
    let globex: Value = app
        .get_as("/v1/reviews", &token(Role::FleetManager, "globex", &[]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(globex, json!([]));

    let path = format!("/v1/claims/{id}/decision");
    let r = app
        .post_as(
            &path,
            &owner(),
            &json!({"decision": "approve", "note": "ok"}),
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .post_as(
            &path,
            &manager(),
            &json!({"decision": "approve", "note": " "}),
        )
        .await;
    assert_eq!(r.status(), 400);
    let r = app
        .post_as(
            &path,
            &manager(),
            &json!({"decision": "approve", "note": "pump failure is genuine"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["status"], "approved");
    assert_eq!(c["approved_amount"], 400.0, "500 less the 100 deductible");
    assert_eq!(c["decided_by"], "tester");
    let again = app
        .post_as(
            &path,
            &manager(),
            &json!({"decision": "reject", "note": "changed my mind"}),
        )
        .await;
    assert_eq!(again.status(), 409);

    let events = app.wait_stream("warranty.claim.validated", 1).await;
    let p = &events[0]["payload"];
    assert_eq!(p["auto_approved"], false);
    assert_eq!(p["reviewed_by"], "tester");
    assert_eq!(p["coverage"], "powertrain");
    let (fraud, by): (bool, String) =
        sqlx::query_as("SELECT fraud, decided_by FROM claim_labels WHERE claim_id = $1::uuid")
            .bind(&id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(!fraud);
    assert_eq!(by, "tester");

    let close = format!("/v1/claims/{id}/close");
    let pay = format!("/v1/claims/{id}/pay");
    assert_eq!(app.post_as(&pay, &owner(), &json!({})).await.status(), 403);
    let paid: Value = app
        .post_as(&pay, &manager(), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(paid["status"], "paid");
    assert_eq!(
        app.post_as(&pay, &manager(), &json!({})).await.status(),
        409
    );
    let closed: Value = app
        .post_as(&close, &manager(), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(closed["status"], "closed");
    assert_eq!(
        moves(&closed),
        [
            "submitted",
            "validating",
            "needs_review",
            "approved",
            "paid",
            "closed"
        ]
    );
}

/// A stand-in analysis that approves every covered claim.
#[derive(Debug)]
pub(crate) struct ApproveCovered;

#[async_trait]
impl Decide for ApproveCovered {
    async fn decide(&self, claim: &Claim, e: &Eligibility) -> anyhow::Result<Assessment> {
        let mut a = CoverageOnly.decide(claim, e).await?;
        if e.eligible {
            a.recommendation = Recommendation::AutoApprove;
            a.score = 0.1;
            a.confidence = 0.95;
        }
        Ok(a)
    }
}

#[tokio::test]
async fn an_auto_approval_is_announced_as_validated() {
    let (app, _) = spawn_deciding(Arc::new(ApproveCovered), |_| {}).await;
    with_contract(&app, 365).await;
    let r = app
        .post_as("/v1/claims", &owner(), &claim_json("cooling", 20_000.0))
        .await;
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["status"], "approved");
    assert_eq!(c["approved_amount"], 400.0);
    let events = app.wait_stream("warranty.claim.validated", 1).await;
    assert_eq!(events[0]["payload"]["auto_approved"], true);
    assert_eq!(events[0]["payload"]["confidence"], 0.95);
}

#[tokio::test]
async fn a_vehicles_claim_history_shows_what_failed_without_money_or_fraud_analysis() {
    let app = spawn_app().await;
    with_contract(&app, 365).await;
    let id = filed_id(
        post_form(
            &app,
            &owner(),
            form(&claim_json("cooling", 20_000.0), &[]),
            None,
        )
        .await,
    )
    .await;
    let path = "/v1/vehicles/truck-1/claims";
    let technician = token(Role::Technician, ORG, &[]);
    let history = get_json(&app, path, &technician).await;
    let claims = history.as_array().unwrap();
    assert_eq!(claims.len(), 1, "{history:#}");
    assert_eq!(claims[0]["claim_id"], id.as_str());
    assert_eq!(claims[0]["component"], "cooling");
    assert_eq!(claims[0]["odometer_km"], 20_000.0);
    for hidden in [
        "cost",
        "assessment",
        "approved_amount",
        "shop",
        "submitted_by",
        "vin",
    ] {
        assert!(
            claims[0].get(hidden).is_none(),
            "{hidden} is not shown: {history:#}"
        );
    }
    // A service names the organization; the wrong one reads as an unknown vehicle.
    let service = token(Role::Service, "agent", &[]);
    get_json(&app, &format!("{path}?org_id={ORG}"), &service).await;
    let wrong = app.get_as(&format!("{path}?org_id=globex"), &service).await;
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);
    let unknown = app.get_as("/v1/vehicles/truck-9/claims", &manager()).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let other_owner = token(Role::Owner, ORG, &["truck-2"]);
    let theirs = app.get_as(path, &other_owner).await;
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
}
