//! Reports on demand (CSV, PDF) and by email on a schedule.

use mail_parser::MimeHeaders;
use printpdf::{Op, PdfDocument, PdfParseOptions};
use serde_json::{Value, json};
use shared_runtime::auth::Role;
use shared_runtime::testing;
use uuid::Uuid;

use crate::helpers::{JWT_SECRET, TestApp, spawn_app, spawn_with, token};
use crate::smtp::Sink;
use crate::story;

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, String, String, Vec<u8>) {
    let r = app.get_as(path, token).await;
    let header = |h: &str| {
        r.headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (ct, cd) = (header("content-type"), header("content-disposition"));
    (
        r.status().as_u16(),
        ct,
        cd,
        r.bytes().await.unwrap().to_vec(),
    )
}

fn csv_rows(body: &[u8]) -> Vec<Vec<String>> {
    String::from_utf8(body.to_vec())
        .unwrap()
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

fn pdf(bytes: &[u8]) -> PdfDocument {
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    PdfDocument::parse(bytes, &PdfParseOptions::default(), &mut Vec::new()).expect("the PDF parses")
}

#[tokio::test]
async fn reports_come_as_csv_and_pdf_with_the_published_figures() {
    let app = spawn_app().await;
    story::publish(&app).await;
    let fm = token(Role::FleetManager, "acme", &[]);
    let (status, ct, cd, body) = get(&app, "/v1/reports/fleet_health?format=csv&days=7", &fm).await;
    assert_eq!((status, ct.as_str()), (200, "text/csv; charset=utf-8"));
    assert!(
        cd.starts_with("attachment; filename=\"fleet_health-organization_acme-"),
        "{cd}"
    );
    let rows = csv_rows(&body);
    assert_eq!(rows[0][..3], ["vehicle", "organization", "band"]);
    let vehicles: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(vehicles, vec!["v3", "v2", "v1"], "worst first");
    assert_eq!(rows[1][2], "critical");

    let (_, _, _, body) = get(&app, "/v1/reports/alerts?format=csv&days=7", &fm).await;
    let rows = csv_rows(&body);
    assert_eq!(rows.len(), 4);
    let acked: Vec<&str> = rows[1..].iter().map(|r| r[7].as_str()).collect();
    assert_eq!(
        acked,
        vec!["120", "60", ""],
        "minutes to acknowledge, oldest alert first"
    );

    let (_, _, _, body) = get(&app, "/v1/reports/maintenance?format=csv&days=7", &fm).await;
    let mut outcomes: Vec<String> = csv_rows(&body)[1..].iter().map(|r| r[7].clone()).collect();
    outcomes.sort();
    assert_eq!(
        outcomes,
        [
            "avoided",
            "failed_as_predicted",
            "failed_unpredicted",
            "open",
            "recovered"
        ]
    );

    let (status, ct, _, body) = get(&app, "/v1/reports/maintenance?days=7", &fm).await;
    assert_eq!((status, ct.as_str()), (200, "application/pdf"));
    let doc = pdf(&body);
    assert_eq!(doc.pages.len(), 1);
    let bars = doc.pages[0]
        .ops
        .iter()
        .filter(|o| matches!(o, Op::DrawPolygon { .. }))
        .count();
    // Bars: 4 predictions, 2 failures, 1 repair on at most 7 days, plus 3 legend boxes.
    assert!(bars >= 3 + 3, "{bars} filled paths");

    let owner = token(Role::Owner, "acme", &["v2"]);
    let (_, _, _, body) = get(&app, "/v1/reports/fleet_health?format=csv", &owner).await;
    assert_eq!(csv_rows(&body).len(), 2, "the owner's one vehicle");
    for (path, status) in [
        ("/v1/reports/fuel?format=csv", 400),
        ("/v1/reports/alerts?format=docx", 400),
        ("/v1/reports/alerts?org=globex", 404),
        ("/v1/reports/alerts?days=400", 400),
    ] {
        assert_eq!(get(&app, path, &fm).await.0, status, "{path}");
    }
}

/// A user in identity's tables; returns a token whose subject is that user.
async fn user(app: &TestApp, role: Role, org: &str, email: &str) -> (Uuid, String) {
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO orgs (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING")
        .bind(org)
        .execute(&app.db)
        .await
        .unwrap();
    let role_name = serde_json::to_value(role)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    sqlx::query("INSERT INTO users (id, email, name, role, org_id) VALUES ($1, $2, 'Fleet Manager', $3, $4)")
        .bind(id)
        .bind(email)
        .bind(role_name)
        .bind(org)
        .execute(&app.db)
        .await
        .unwrap();
    (
        id,
        testing::token(JWT_SECRET, &id.to_string(), role, org, &[]),
    )
}

fn parse_mail(raw: &[u8]) -> (String, String, Vec<u8>) {
    let m = mail_parser::MessageParser::default()
        .parse(raw)
        .expect("a message");
    let to = m
        .to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or("")
        .to_owned();
    let subject = m.subject().unwrap_or("").to_owned();
    let attachment = m.attachments().next().expect("an attachment");
    assert!(attachment.attachment_name().unwrap_or("").ends_with(".pdf"));
    (to, subject, attachment.contents().to_vec())
}

#[tokio::test]
async fn a_scheduled_report_arrives_by_email_with_the_pdf_and_is_not_sent_twice() {
    let sink = Sink::start().await;
    let url = format!("smtp://{}", sink.addr);
    let app = spawn_with(|c| c.smtp_url = Some(shared_runtime::config::Secret::new(url))).await;
    story::publish(&app).await;
    let (_, fm) = user(&app, Role::FleetManager, "acme", "fm@acme.test").await;
    let r = app
        .post_as(
            "/v1/report-schedules",
            &fm,
            &json!({"kind": "maintenance", "frequency": "weekly"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let first: Value = r.json().await.unwrap();
    let mails = sink.wait_for(1).await;
    let (to, subject, attached) = parse_mail(&mails[0]);
    assert_eq!(to, "fm@acme.test");
    assert!(
        subject.starts_with("Maintenance report - organization acme"),
        "{subject}"
    );
    assert!(!pdf(&attached).pages.is_empty());

    let id: Uuid = first["id"].as_str().unwrap().parse().unwrap();
    let (sent_due, next): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) = testing::app::wait_until(
        std::time::Duration::from_secs(10),
        "the sent-marker",
        || async {
            sqlx::query_as("SELECT d.due_at, s.next_run_at FROM report_deliveries d JOIN report_schedules s ON s.id = d.schedule_id WHERE s.id = $1")
                .bind(id)
                .fetch_optional(&app.db)
                .await
                .unwrap()
        },
    )
    .await;
    assert!(next > chrono::Utc::now(), "moved to the next Monday");
    // A replica that saw the occurrence as due again (crash before it read the advance):
    // the marker stops a second send; a new schedule wakes the mailer.
    sqlx::query("UPDATE report_schedules SET next_run_at = $2 WHERE id = $1")
        .bind(id)
        .bind(sent_due)
        .execute(&app.db)
        .await
        .unwrap();
    let r = app
        .post_as(
            "/v1/report-schedules",
            &fm,
            &json!({"kind": "alerts", "frequency": "daily"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let mails = sink.wait_for(2).await;
    assert!(parse_mail(&mails[1]).1.starts_with("Alerts report"));
    testing::app::wait_until(
        std::time::Duration::from_secs(10),
        "the stale occurrence skipped",
        || async {
            let next: chrono::DateTime<chrono::Utc> =
                sqlx::query_scalar("SELECT next_run_at FROM report_schedules WHERE id = $1")
                    .bind(id)
                    .fetch_one(&app.db)
                    .await
                    .unwrap();
            (next > chrono::Utc::now()).then_some(())
        },
    )
    .await;
    assert_eq!(
        sink.messages().len(),
        2,
        "the first occurrence was not sent again"
    );

    let list: Value = app
        .get_as("/v1/report-schedules", &fm)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["schedules"].as_array().unwrap().len(), 2);
    let (_, other) = user(&app, Role::FleetManager, "acme", "other@acme.test").await;
    let path = format!("/v1/report-schedules/{id}");
    let foreign = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 404);
    let foreign: Value = foreign.json().await.unwrap();
    let unknown_path = format!("/v1/report-schedules/{}", Uuid::now_v7());
    let unknown = app
        .client
        .delete(app.url(&unknown_path))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let unknown: Value = unknown.json().await.unwrap();
    assert_eq!(
        foreign["code"], unknown["code"],
        "another user's schedule answers like an unknown one"
    );
    let own = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&fm)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 204);
}

#[tokio::test]
async fn schedules_need_a_user_account_and_wait_in_the_mail_queue_without_a_relay() {
    let app = spawn_app().await;
    let dev = token(Role::FleetManager, "acme", &[]);
    let body = json!({"kind": "alerts", "frequency": "daily"});
    assert_eq!(
        app.post_as("/v1/report-schedules", &dev, &body)
            .await
            .status(),
        403
    );
    let (_, fm) = user(&app, Role::FleetManager, "acme", "fm@acme.test").await;
    assert_eq!(
        app.post_as("/v1/report-schedules", &fm, &body)
            .await
            .status(),
        201
    );
    // No SMTP relay configured: the first report is queued, not lost.
    let queued: i64 = testing::app::wait_until(
        std::time::Duration::from_secs(20),
        "the first report queued",
        || async {
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM mail_queue WHERE attachment_type = 'application/pdf' AND sent_at IS NULL",
            )
            .fetch_one(&app.db)
            .await
            .unwrap();
            (n > 0).then_some(n)
        },
    )
    .await;
    assert_eq!(queued, 1);
    let bad = app
        .post_as(
            "/v1/report-schedules",
            &fm,
            &json!({"kind": "alerts", "frequency": "hourly"}),
        )
        .await;
    assert_eq!(bad.status(), 400);
    let foreign = app
        .post_as(
            "/v1/report-schedules",
            &fm,
            &json!({"kind": "alerts", "frequency": "daily", "org": "globex"}),
        )
        .await;
    assert_eq!(foreign.status(), 404);
}

#[tokio::test]
async fn hostile_input_gets_4xx_naming_the_field_never_5xx() {
    let sink = Sink::start().await;
    let url = format!("smtp://{}", sink.addr);
    let app = spawn_with(|c| c.smtp_url = Some(shared_runtime::config::Secret::new(url))).await;
    let (_, admin) = user(&app, Role::Admin, "platform", "admin@platform.test").await;
    let api = testing::TestClient::new(app.address.clone());
    let openapi: Value = serde_json::from_str(&analytics::openapi::json()).unwrap();
    let mut target = shared_runtime::testing::hostile::Target::new(&api, &openapi);
    target.credentials = vec![("bearer", testing::Credential::Bearer(admin))];
    target.path_values = vec![("kind", "alerts".to_owned())];
    let report = shared_runtime::testing::hostile::probe(&target).await;
    assert!(report.operations >= 8, "{report:?}");
}

#[tokio::test]
async fn a_failed_send_is_kept_in_the_queue_for_a_retry_and_the_report_built_once() {
    // A port nothing listens on: every send fails.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", closed.local_addr().unwrap());
    drop(closed);
    let app = spawn_with(|c| c.smtp_url = Some(shared_runtime::config::Secret::new(url))).await;
    let (_, fm) = user(&app, Role::FleetManager, "acme", "fm@acme.test").await;
    let r = app
        .post_as(
            "/v1/report-schedules",
            &fm,
            &json!({"kind": "fleet_health", "frequency": "daily"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let (attempts, error, retry_later) = testing::app::wait_until(
        std::time::Duration::from_secs(20),
        "the failed send recorded",
        || async {
            let row: Option<(i32, Option<String>, bool)> = sqlx::query_as(
                "SELECT attempts, last_error, next_attempt_at > now() FROM mail_queue \
                 WHERE last_error IS NOT NULL AND sent_at IS NULL",
            )
            .fetch_optional(&app.db)
            .await
            .unwrap();
            row
        },
    )
    .await;
    assert!(attempts >= 1 && retry_later, "retried later");
    assert!(error.is_some_and(|e| !e.is_empty()));
    let (marked, mails): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM report_deliveries), (SELECT count(*) FROM mail_queue)",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        (marked, mails),
        (1, 1),
        "the occurrence is queued once, not rebuilt"
    );
    let listed: Value = app
        .get_as("/v1/report-schedules", &fm)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        listed["schedules"][0]["next_run_at"].as_str().is_some(),
        "moved to the next occurrence"
    );
}
