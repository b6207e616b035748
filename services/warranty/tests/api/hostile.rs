//! Hostile input: the OpenAPI-driven probe on every documented operation (never a
//! 5xx, control characters refused naming the field), then what the probe cannot
//! send: multipart filings with disguised or oversized documents, absurd numbers and
//! dates, unicode and overlong texts, path traversal, SQL-ish text, bad
//! `Idempotency-Key`s. Each gets a 4xx whose message names the problem, and none
//! leaves anything behind: no claim, document, file or event.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderValue;
use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_runtime::testing::app::wait_until;
use shared_runtime::testing::hostile::{Target, probe};
use shared_runtime::testing::{Credential, TestClient};

use crate::claims::{BOUNDARY, PDF, claim_json, form, manager, owner, png, with_contract};
use crate::contracts::contract_body;
use crate::helpers::{TestApp, spawn_app, spawn_with, token};
use crate::rbac::{VEHICLE, in_review};

#[tokio::test]
async fn hostile_input_gets_4xx_naming_the_field_never_5xx() {
    let app = spawn_app().await;
    with_contract(&app, 365).await;
    let api = TestClient::new(app.address.clone());
    let claim = in_review(&api).await;
    let openapi: Value = serde_json::from_str(&warranty::openapi::json()).unwrap();
    let mut target = Target::new(&api, &openapi);
    target.credentials = vec![(
        "bearer",
        Credential::Bearer(token(Role::Admin, "platform", &[])),
    )];
    target.path_values = vec![
        ("id", claim),
        ("vehicle_id", VEHICLE.to_owned()),
        ("sha", warranty::storage::sha256_hex(PDF)),
    ];
    let report = probe(&target).await;
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(report.operations, 14, "{report:?}");
}

/// One hostile request and what its answer must be.
struct Hostile {
    label: String,
    method: Method,
    path: String,
    token: String,
    content_type: Option<String>,
    key: Option<HeaderValue>,
    body: Vec<u8>,
    status: u16,
    /// Texts the answer's message must contain (naming the problem).
    names: Vec<String>,
    /// Texts it must not (a problem that is not there).
    not: Vec<&'static str>,
}

impl Hostile {
    fn new(label: &str, method: Method, path: &str, status: u16, names: &[&str]) -> Self {
        Self {
            label: label.to_owned(),
            method,
            path: path.to_owned(),
            token: manager(),
            content_type: None,
            key: None,
            body: Vec::new(),
            status,
            names: names.iter().map(|n| (*n).to_owned()).collect(),
            not: Vec::new(),
        }
    }

    /// `POST /v1/claims` by truck-1's owner with `body` sent as `content_type`.
    fn filing(label: &str, content_type: &str, body: Vec<u8>, names: &[&str]) -> Self {
        let mut h = Self::new(label, Method::POST, "/v1/claims", 400, names);
        h.token = owner();
        h.content_type = Some(content_type.to_owned());
        h.body = body;
        h
    }

    /// A JSON filing of the good claim changed by `change`.
    fn claim(label: &str, change: impl FnOnce(&mut Value), names: &[&str]) -> Self {
        let mut claim = claim_json("cooling", 20_000.0);
        change(&mut claim);
        Self::filing(
            label,
            "application/json",
            claim.to_string().into_bytes(),
            names,
        )
    }

    /// A multipart filing of the good claim with `docs`.
    fn documents(label: &str, docs: &[(&str, &str, Vec<u8>)], names: &[&str]) -> Self {
        let body = form(&claim_json("cooling", 20_000.0), docs);
        let kind = format!("multipart/form-data; boundary={BOUNDARY}");
        Self::filing(label, &kind, body, names)
    }

    /// A JSON body for a manager's `method path`.
    fn json(label: &str, method: Method, path: &str, body: &Value, names: &[&str]) -> Self {
        let mut h = Self::new(label, method, path, 400, names);
        h.content_type = Some("application/json".to_owned());
        h.body = body.to_string().into_bytes();
        h
    }

    fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    fn without(mut self, text: &'static str) -> Self {
        self.not.push(text);
        self
    }

    fn key(mut self, key: HeaderValue) -> Self {
        self.key = Some(key);
        self
    }

    /// Sends it; a description of what went wrong, if anything did.
    async fn check(&self, app: &TestApp) -> Option<String> {
        let mut r = app
            .client
            .request(self.method.clone(), app.url(&self.path))
            .bearer_auth(&self.token)
            .body(self.body.clone());
        if let Some(kind) = &self.content_type {
            r = r.header("content-type", kind);
        }
        if let Some(key) = &self.key {
            r = r.header("idempotency-key", key.clone());
        }
        let answer = match r.send().await {
            Ok(a) => a,
            Err(e) => return Some(format!("{}: no answer: {e}", self.label)),
        };
        let status = answer.status().as_u16();
        let text = answer.text().await.unwrap_or_default();
        let message = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or(text);
        let missing = self.names.iter().any(|n| !message.contains(n.as_str()));
        let wrong = self.not.iter().any(|n| message.contains(n));
        (status != self.status || missing || wrong).then(|| {
            let shown: String = message.chars().take(300).collect();
            format!(
                "{}: expected {} naming {:?} and not {:?}, got {status} {shown:?}",
                self.label, self.status, self.names, self.not
            )
        })
    }
}

/// Hostile fields of a JSON claim: types, numbers, dates, texts and ids.
fn claim_cases() -> Vec<Hostile> {
    type Change = Box<dyn FnOnce(&mut Value)>;
    let set = |pointer: &'static str, v: Value| -> Change {
        Box::new(move |c: &mut Value| *c.pointer_mut(pointer).unwrap() = v)
    };
    let add = |key: &'static str, v: Value| -> Change { Box::new(move |c: &mut Value| c[key] = v) };
    let parts: Vec<Value> = (0..101)
        .map(|i| json!({"part": format!("p{i}"), "quantity": 1, "unit_price": 1.0}))
        .collect();
    let cases: Vec<(&str, Change, &[&str])> = vec![
        (
            "odometer as text",
            set("/odometer_km", json!("20000")),
            &["`odometer_km`"],
        ),
        (
            "odometer NaN as text",
            set("/odometer_km", json!("NaN")),
            &["`odometer_km`"],
        ),
        (
            "odometer 1e12",
            set("/odometer_km", json!(1e12)),
            &["`odometer_km` must be 0 to 5,000,000"],
        ),
        (
            "negative odometer",
            set("/odometer_km", json!(-1.0)),
            &["`odometer_km`"],
        ),
        (
            "price Infinity as text",
            set("/cost/parts/0/unit_price", json!("Infinity")),
            &["`cost`"],
        ),
        (
            "negative price",
            set("/cost/parts/0/unit_price", json!(-300.0)),
            &["`cost.parts[0].unit_price`"],
        ),
        (
            "price 1e300",
            set("/cost/parts/0/unit_price", json!(1e300)),
            &["`cost.parts[0].unit_price`"],
        ),
        (
            "negative quantity",
            set("/cost/parts/0/quantity", json!(-1)),
            &["`cost`"],
        ),
        (
            "fractional quantity",
            set("/cost/parts/0/quantity", json!(1.5)),
            &["`cost`"],
        ),
        (
            "negative labour hours",
            set("/cost/labour_hours", json!(-2.0)),
            &["`cost.labour_hours`"],
        ),
        (
            "negative labour rate",
            set("/cost/labour_rate", json!(-100.0)),
            &["`cost.labour_rate`"],
        ),
        (
            "101 parts",
            set("/cost/parts", json!(parts)),
            &["`cost.parts`: at most 100 parts"],
        ),
        (
            "currency in symbols",
            set("/cost/currency", json!("€€€")),
            &["`cost.currency`"],
        ),
        (
            "failure in 9999",
            set("/failure_date", json!("9999-12-31")),
            &["`failure_date` 9999-12-31 is in the future"],
        ),
        (
            "failure tomorrow",
            set("/failure_date", json!(tomorrow())),
            &["is in the future"],
        ),
        (
            "failure before 1900",
            set("/failure_date", json!("-5000-01-01")),
            &["`failure_date`", "before 1900"],
        ),
        (
            "30 February",
            set("/failure_date", json!("2024-02-30")),
            &["`failure_date`"],
        ),
        (
            "date as a number",
            set("/failure_date", json!(20_240_101)),
            &["`failure_date`"],
        ),
        (
            "5,001-character description",
            set("/description", json!("é".repeat(5_001))),
            &["`description` must be 1 to 5000 characters, not 5001"],
        ),
        (
            "70,000-character description",
            set("/description", json!("x".repeat(70_000))),
            &["`description`"],
        ),
        (
            "blank description",
            set("/description", json!(" \n\t ")),
            &["`description`"],
        ),
        (
            "NUL in the description",
            set("/description", json!("pump\u{0}failed")),
            &["`description`", "control character"],
        ),
        (
            "201 emoji shop name",
            set("/shop/name", json!("🚚".repeat(201))),
            &["`shop.name`"],
        ),
        (
            "bidi override in the vehicle id",
            set("/vehicle_id", json!("truck\u{202e}1")),
            &["`vehicle_id`"],
        ),
        (
            "path traversal vehicle id",
            set("/vehicle_id", json!("../../etc/passwd")),
            &["`vehicle_id`"],
        ),
        (
            "SQL in the vehicle id",
            set("/vehicle_id", json!("truck-1' OR '1'='1")),
            &["`vehicle_id`"],
        ),
        (
            "SQL in the org id",
            add("org_id", json!("acme'; DROP TABLE claims; --")),
            &["`org_id`"],
        ),
        (
            "17 unicode letters as VIN",
            set("/vin", json!("Å".repeat(17))),
            &["`vin`"],
        ),
        (
            "unknown component",
            set("/component", json!("flux_capacitor")),
            &["`component`"],
        ),
        (
            "status set by the client",
            add("status", json!("approved")),
            &["unknown field `status`"],
        ),
        (
            "approved amount set by the client",
            add("approved_amount", json!(1e6)),
            &["unknown field `approved_amount`"],
        ),
    ];
    cases
        .into_iter()
        .map(|(label, change, names)| Hostile::claim(label, change, names))
        .collect()
}

fn tomorrow() -> String {
    (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string()
}

/// Hostile bodies of a filing: malformed, huge, of the wrong type.
fn body_cases() -> Vec<Hostile> {
    let good = claim_json("cooling", 20_000.0).to_string();
    let huge = json!({"description": "x".repeat(12 << 20)}).to_string();
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let duplicate = good.replacen('{', "{\"vin\": \"1HGCM82633A004352\", ", 1);
    let json = "application/json";
    vec![
        Hostile::filing(
            "malformed JSON",
            json,
            br#"{"vehicle_id": "truck-1","#.to_vec(),
            &["body"],
        ),
        Hostile::filing(
            "1e400",
            json,
            good.replacen("20000.0", "1e400", 1).into_bytes(),
            &["out of range"],
        ),
        Hostile::filing(
            "NaN literal",
            json,
            good.replacen("20000.0", "NaN", 1).into_bytes(),
            &["body"],
        ),
        Hostile::filing(
            "duplicate keys",
            json,
            duplicate.into_bytes(),
            &["body: `vin` appears twice"],
        )
        .without("must be a JSON object"),
        Hostile::filing("200 levels deep", json, deep.into_bytes(), &["body"]),
        Hostile::filing(
            "an array",
            json,
            format!("[{good}]").into_bytes(),
            &["must be a JSON object"],
        ),
        Hostile::filing("12 MiB of JSON", json, huge.into_bytes(), &["limit"]).status(413),
        Hostile::filing(
            "text/plain",
            "text/plain",
            good.clone().into_bytes(),
            &["send the claim as multipart/form-data"],
        ),
        Hostile::filing(
            "invalid UTF-8",
            json,
            b"{\"description\": \"\xff\xfe\"}".to_vec(),
            &["body"],
        ),
    ]
}

/// A multipart body of raw `parts` (each a whole part: headers, blank line, content).
fn raw_form(parts: &[String]) -> Vec<u8> {
    let mut b = String::new();
    for p in parts {
        b.push_str(&format!("--{BOUNDARY}\r\n{p}\r\n"));
    }
    b.push_str(&format!("--{BOUNDARY}--\r\n"));
    b.into_bytes()
}

/// Hostile documents and forms.
fn document_cases() -> Vec<Hostile> {
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    exe.extend_from_slice(b"This program cannot be run in DOS mode.\r\n");
    let text = b"hello, I am a picture, honestly".to_vec();
    let pdf = || PDF.to_vec();
    let claim_part = format!(
        "Content-Disposition: form-data; name=\"claim\"\r\nContent-Type: application/json\r\n\r\n{}",
        claim_json("cooling", 20_000.0)
    );
    let eleven: Vec<(String, Vec<u8>)> = (0..11).map(|i| (format!("p{i}.png"), png())).collect();
    let eleven: Vec<(&str, &str, Vec<u8>)> = eleven
        .iter()
        .map(|(n, b)| (n.as_str(), "image/png", b.clone()))
        .collect();
    let multipart = format!("multipart/form-data; boundary={BOUNDARY}");
    vec![
        Hostile::documents(
            ".exe named invoice.pdf",
            &[("invoice.pdf", "application/pdf", exe)],
            &[
                "document 1 (invoice.pdf) is not a PDF, JPEG or PNG by its content (declared application/pdf)",
            ],
        ),
        Hostile::documents(
            "text declared image/png",
            &[("photo.png", "image/png", text.clone())],
            &[
                "document 1 (photo.png) is not a PDF, JPEG or PNG",
                "declared image/png",
            ],
        ),
        Hostile::documents(
            "a good PDF, then text",
            &[
                ("a.pdf", "application/pdf", pdf()),
                ("b.pdf", "application/pdf", text),
            ],
            &["document 2 (b.pdf) is not a PDF"],
        ),
        Hostile::documents(
            "an empty document",
            &[("empty.pdf", "application/pdf", Vec::new())],
            &["document 1 (empty.pdf) is not a PDF"],
        ),
        Hostile::documents(
            "300-character file name",
            &[(
                &format!("{}.pdf", "a".repeat(296)),
                "application/pdf",
                pdf(),
            )],
            &["document 1: the file name is 300 characters long"],
        ),
        Hostile::documents(
            "eleven documents",
            &eleven,
            &["at most 10 documents, not 11"],
        ),
        Hostile::filing(
            "two claim parts",
            &multipart,
            raw_form(&[claim_part.clone(), claim_part.clone()]),
            &["one `claim` part expected, not 2"],
        ),
        Hostile::filing(
            "a claim part that is not JSON",
            &multipart,
            raw_form(&[
                "Content-Disposition: form-data; name=\"claim\"\r\n\r\nvehicle=truck-1".to_owned(),
            ]),
            &["the `claim` part"],
        ),
        Hostile::filing(
            "an escape character in a file name",
            &multipart,
            raw_form(&[
                claim_part.clone(),
                "Content-Disposition: form-data; name=\"document\"; filename=\"a\u{1b}b.pdf\"\r\n\r\n%PDF-1.4".to_owned(),
            ]),
            &["reading the form"],
        ),
        Hostile::filing(
            "a C1 control character in a file name",
            &multipart,
            raw_form(&[
                claim_part.clone(),
                "Content-Disposition: form-data; name=\"document\"; filename=\"a\u{85}b.pdf\"\r\n\r\n%PDF-1.4".to_owned(),
            ]),
            &["document 1: the file name contains a control character (U+0085)"],
        ),
        Hostile::filing(
            "a form without its end",
            &multipart,
            format!("--{BOUNDARY}\r\n{claim_part}").into_bytes(),
            &["reading the form"],
        ),
        Hostile::filing(
            "multipart without a boundary",
            "multipart/form-data",
            Vec::from(&b"x"[..]),
            &["boundary"],
        ),
    ]
}

/// A good filing under a bad `Idempotency-Key`.
fn key_cases() -> Vec<Hostile> {
    let keys = [
        ("an empty key", HeaderValue::from_static("")),
        (
            "a 201-character key",
            HeaderValue::from_str(&"k".repeat(201)).unwrap(),
        ),
        ("a key with a space", HeaderValue::from_static("retry 1")),
        (
            "a key with a tab",
            HeaderValue::from_str("retry\t1").unwrap(),
        ),
        (
            "a key of non-ASCII bytes",
            HeaderValue::from_bytes("ключ".as_bytes()).unwrap(),
        ),
    ];
    keys.into_iter()
        .map(|(label, key)| {
            let body = claim_json("cooling", 20_000.0).to_string().into_bytes();
            Hostile::filing(
                label,
                "application/json",
                body,
                &["`Idempotency-Key` must be 1 to 200 visible ASCII characters"],
            )
            .key(key)
        })
        .collect()
}

/// Hostile ids in paths and queries, decisions and contracts.
fn other_cases(claim: &str) -> Vec<Hostile> {
    let decision = format!("/v1/claims/{claim}/decision");
    let approve = |extra: Value| {
        let mut d = json!({"decision": "approve", "note": "fine"});
        d.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        d
    };
    let contract = |key: &str, v: Value| {
        let mut c = contract_body(30);
        c[key] = v;
        c
    };
    let put = Method::PUT;
    let traversal = "..%2F..%2F..%2Fetc%2Fpasswd";
    vec![
        Hostile::new(
            "traversal as a claim id",
            Method::GET,
            &format!("/v1/claims/{traversal}"),
            400,
            &["id"],
        ),
        Hostile::new(
            "traversal as a document",
            Method::GET,
            &format!("/v1/claims/{claim}/documents/{traversal}"),
            404,
            &["no document"],
        ),
        Hostile::new(
            "traversal as a contract's vehicle",
            Method::GET,
            &format!("/v1/contracts/{traversal}"),
            404,
            &["no contract"],
        ),
        Hostile::json(
            "traversal as a new contract's vehicle",
            put.clone(),
            &format!("/v1/contracts/{traversal}"),
            &contract_body(30),
            &["`vehicle_id`"],
        ),
        Hostile::new(
            "SQL as a status",
            Method::GET,
            "/v1/claims?status=approved'%20OR%20'1'='1",
            400,
            &["unknown `status`"],
        ),
        Hostile::new(
            "limit 1e12",
            Method::GET,
            "/v1/claims?limit=1000000000000",
            400,
            &["`limit`"],
        ),
        Hostile::new(
            "negative limit",
            Method::GET,
            "/v1/reviews?limit=-1",
            400,
            &["`limit`"],
        ),
        Hostile::json(
            "a verdict of maybe",
            Method::POST,
            &decision,
            &json!({"decision": "maybe", "note": "hm"}),
            &["decision"],
        ),
        Hostile::json(
            "a negative amount",
            Method::POST,
            &decision,
            &approve(json!({"approved_amount": -5.0})),
            &["`approved_amount`"],
        ),
        Hostile::json(
            "an amount of NaN",
            Method::POST,
            &decision,
            &approve(json!({"approved_amount": "NaN"})),
            &["approved_amount"],
        ),
        Hostile::json(
            "a 2,001-character note",
            Method::POST,
            &decision,
            &json!({"decision": "reject", "note": "n".repeat(2_001)}),
            &["`note`"],
        ),
        Hostile::json(
            "a contract from -5000",
            put.clone(),
            "/v1/contracts/truck-1",
            &contract("start_date", json!("-5000-01-01")),
            &["`start_date`"],
        ),
        Hostile::json(
            "a contract from 9999",
            put.clone(),
            "/v1/contracts/truck-1",
            &contract("start_date", json!("9999-01-01")),
            &["`start_date`"],
        ),
        Hostile::json(
            "a negative deductible",
            put.clone(),
            "/v1/contracts/truck-1",
            &contract("deductible", json!(-1.0)),
            &["`deductible`"],
        ),
        Hostile::json(
            "an odometer of 1e12",
            put.clone(),
            "/v1/contracts/truck-1",
            &contract("start_odometer_km", json!(1e12)),
            &["`start_odometer_km`"],
        ),
        Hostile::json(
            "negative months",
            put.clone(),
            "/v1/contracts/truck-1",
            &contract(
                "extensions",
                json!([{"coverage": "extended", "months": -1, "components": ["brakes"]}]),
            ),
            &["extensions[0].months"],
        ),
        Hostile::json(
            "SQL as a VIN",
            put,
            "/v1/contracts/truck-1",
            &contract("vin", json!("1' OR '1'='1")),
            &["`vin`"],
        ),
    ]
}

/// Entries under the app's attachments folder (claim folders).
fn attachments(dir: &std::path::Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir.join("attachments"))
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default()
}

/// Counts of what a filing keeps: claims, documents, and `submitted` events (once the
/// outbox has relayed them all: the relay deletes what it published).
async fn kept(app: &TestApp) -> (i64, i64, usize) {
    wait_until(Duration::from_secs(20), "an empty outbox", || async {
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
            .fetch_one(&app.db)
            .await
            .unwrap();
        (left == 0).then_some(())
    })
    .await;
    let (claims, documents) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM claims), (SELECT count(*) FROM claim_documents)",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let events = app.stream("warranty.claim.submitted").await.len();
    (claims, documents, events)
}

#[tokio::test]
async fn hostile_filings_are_refused_naming_the_problem_and_keep_nothing() {
    let mut data_dir = PathBuf::new();
    let app = spawn_with(|c| data_dir.clone_from(&c.data_dir)).await;
    with_contract(&app, 365).await;
    let api = TestClient::new(app.address.clone());
    let claim = in_review(&api).await;
    let before = kept(&app).await;
    let files = attachments(&data_dir);
    let contract_before = api.get_as("/v1/contracts/truck-1", &manager()).await;

    let mut cases = claim_cases();
    cases.extend(body_cases());
    cases.extend(document_cases());
    cases.extend(key_cases());
    cases.extend(other_cases(&claim));
    let mut failures = Vec::new();
    for case in &cases {
        failures.extend(case.check(&app).await);
    }
    assert!(
        failures.is_empty(),
        "{} of {} hostile requests were not refused as they should be:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );

    assert_eq!(
        kept(&app).await,
        before,
        "(claims, documents, claim events)"
    );
    assert_eq!(attachments(&data_dir), files, "document files");
    let after = api.get_as("/v1/contracts/truck-1", &manager()).await;
    assert_eq!(after, contract_before);
    let still = api.get_as(&format!("/v1/claims/{claim}"), &manager()).await;
    assert_eq!(still.body["status"], "needs_review", "{}", still.body);
}

#[tokio::test]
async fn sql_and_traversal_in_free_text_are_kept_as_text() {
    let mut data_dir = PathBuf::new();
    let app = spawn_with(|c| data_dir.clone_from(&c.data_dir)).await;
    with_contract(&app, 365).await;
    let mut claim = claim_json("cooling", 20_000.0);
    let sql = "pump failed'); DROP TABLE claims; --";
    claim["description"] = json!(sql);
    claim["shop"]["name"] = json!("Robert'); DELETE FROM contracts; --");
    let name = "../../../etc/passwd.pdf";
    let docs = [(name, "application/pdf", PDF.to_vec())];
    let r = crate::claims::post_form(&app, &owner(), form(&claim, &docs), None).await;
    assert_eq!(r.status(), 201);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["description"], sql);
    assert_eq!(c["documents"][0]["filename"], name);
    // The document is kept under its claim, named by its checksum, nowhere else.
    let id = c["id"].as_str().unwrap();
    let sha = warranty::storage::sha256_hex(PDF);
    let dir = data_dir.join("attachments");
    assert_eq!(attachments(&data_dir), [dir.join(id)]);
    let kept: Vec<_> = std::fs::read_dir(dir.join(id))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(kept, [std::ffi::OsString::from(&sha)]);
    // The tables are all there; a query naming SQL finds nothing.
    let api = TestClient::new(app.address.clone());
    let contract = api.get_as("/v1/contracts/truck-1", &manager()).await;
    assert_eq!(contract.status, 200);
    let list = api
        .get_as("/v1/claims?vehicle_id='%20OR%20'1'='1", &manager())
        .await;
    assert_eq!((list.status, list.body.clone()), (200, json!([])));
}
