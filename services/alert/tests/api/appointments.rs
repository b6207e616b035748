//! Appointment notices: a booking emails the vehicle's owner and fleet manager with the
//! scheduling service's calendar file attached (a local stub stands in for its
//! endpoint), once however often the event is delivered; a cancellation carries the
//! cancelling file; a missing file still sends the email, saying where to download it;
//! a transient failure is retried, and the last attempt sends without the file; a
//! proposal lists its options. None is an alert.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use shared_runtime::auth::{Jwt, Role};
use shared_runtime::config::Secret;
use shared_schemas::events::{
    AppointmentCancelled, AppointmentKind, AppointmentProposed, AppointmentScheduled, Component,
    OptionLabel, SlotOption,
};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::helpers::{JWT_SECRET, ORG, TestApp, admin, envelope, spawn_with};

/// The scheduling service's calendar endpoint, as a stub.
struct Stub {
    url: String,
    state: Arc<StubState>,
}

struct StubState {
    jwt: Jwt,
    /// Calendar files by appointment; others are 404.
    files: Mutex<HashMap<Uuid, String>>,
    /// Answers 503 this many more times.
    outages: AtomicUsize,
    /// Requests that presented a valid service token, per appointment.
    served: Mutex<HashMap<Uuid, usize>>,
    /// Requests without a valid service token.
    refused: AtomicUsize,
}

async fn calendar(
    State(s): State<Arc<StubState>>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let service = match bearer {
        Some(token) => s
            .jwt
            .verify(token)
            .await
            .is_ok_and(|c| c.role == Role::Service),
        None => false,
    };
    if !service {
        s.refused.fetch_add(1, Ordering::SeqCst);
        return StatusCode::UNAUTHORIZED.into_response();
    }
    *s.served.lock().await.entry(id).or_default() += 1;
    let outage = s
        .outages
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if outage {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    match s.files.lock().await.get(&id) {
        Some(ics) => (
            [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
            ics.clone(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such appointment").into_response(),
    }
}

impl Stub {
    async fn start() -> Self {
        let state = Arc::new(StubState {
            jwt: Jwt::new(&Secret::new(JWT_SECRET)),
            files: Mutex::new(HashMap::new()),
            outages: AtomicUsize::new(0),
            served: Mutex::new(HashMap::new()),
            refused: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/v1/appointments/{id}/calendar.ics", get(calendar))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, state }
    }

    /// Serves `ics` for `id`.
    async fn serve(&self, id: Uuid, ics: String) {
        self.state.files.lock().await.insert(id, ics);
    }

    async fn served(&self, id: Uuid) -> usize {
        self.state
            .served
            .lock()
            .await
            .get(&id)
            .copied()
            .unwrap_or(0)
    }
}

/// An RFC 5545 file for appointment `id` with `method` (`REQUEST` or `CANCEL`).
fn ics(id: Uuid, method: &str, sequence: u32) -> String {
    let status = if method == "CANCEL" {
        "CANCELLED"
    } else {
        "CONFIRMED"
    };
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Fleet//Scheduling stub//EN",
        &format!("METHOD:{method}"),
        "BEGIN:VEVENT",
        &format!("UID:{id}@scheduling.fleet"),
        "DTSTAMP:20260301T080000Z",
        "DTSTART:20260302T090000Z",
        "DTEND:20260302T120000Z",
        &format!("SEQUENCE:{sequence}"),
        &format!("STATUS:{status}"),
        "SUMMARY:Component repair - DPF (VH-A1)",
        "LOCATION:North Depot\\, 1 Main St",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    .join("\r\n")
}

fn scheduled(vehicle_id: &str, sequence: u32) -> AppointmentScheduled {
    AppointmentScheduled {
        appointment_id: Uuid::now_v7(),
        org_id: ORG.to_owned(),
        vehicle_id: vehicle_id.to_owned(),
        proposal_id: None,
        decision_id: Some(Uuid::now_v7()),
        component: Some(Component::Dpf),
        kind: AppointmentKind::ComponentRepair,
        center_id: Uuid::now_v7(),
        center_name: "North Depot".to_owned(),
        starts_at: Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
        ends_at: Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap(),
        auto_booked: true,
        technician_id: None,
        center_address: Some("1 Main St".to_owned()),
        sequence,
    }
}

/// An app whose calendar files come from `stub` (`None`: scheduling not configured),
/// with the owner, fleet manager and emergency contact of `ORG`, and a fleet manager
/// of another vehicle only.
async fn spawn(stub: Option<&Stub>) -> TestApp {
    let url = stub.map(|s| s.url.clone());
    let app = spawn_with(|c| c.scheduling_url = url).await;
    app.chain().await;
    app.contact(
        "Fiona Elsewhere",
        "fleet_manager",
        json!({"email": "fiona@acme.test", "vehicle_ids": ["VH-OTHER"]}),
    )
    .await;
    app
}

/// A stub and an app fetching calendar files from it.
async fn stubbed() -> (Stub, TestApp) {
    let stub = Stub::start().await;
    let app = spawn(Some(&stub)).await;
    (stub, app)
}

/// Waits for the emails about appointment `id`, one per expected recipient.
async fn emails_of(app: &TestApp, id: Uuid, n: usize) -> Vec<Value> {
    let id = id.to_string();
    app.inbox
        .wait_for("email", n, 20, |m| {
            m["headers"]["X-Fleet-Appointment-Id"] == id.as_str()
        })
        .await
}

fn recipients(mails: &[Value]) -> BTreeSet<String> {
    mails
        .iter()
        .map(|m| m["to"][0].as_str().unwrap().to_owned())
        .collect()
}

fn owner_and_manager() -> BTreeSet<String> {
    ["fm@acme.test", "owner@acme.test"]
        .map(str::to_owned)
        .into()
}

/// The one attachment of an email.
fn attachment(m: &Value) -> &Value {
    let files = m["attachments"].as_array().expect("an attachment");
    assert_eq!(files.len(), 1, "{m:#}");
    &files[0]
}

/// The same text with CRLF or LF line ends.
fn lines(s: &str) -> Vec<&str> {
    s.lines().collect()
}

impl TestApp {
    async fn alerts_of(&self, vehicle_id: &str) -> Vec<Value> {
        let r = self
            .get_as(&format!("/v1/alerts?vehicle_id={vehicle_id}"), &admin())
            .await;
        let v: Value = r.json().await.unwrap();
        v["alerts"].as_array().unwrap().clone()
    }
}

#[tokio::test]
async fn a_booking_emails_owner_and_fleet_manager_the_invitation_once() {
    let (stub, app) = stubbed().await;
    let booked = scheduled("VH-A1", 0);
    let id = booked.appointment_id;
    let file = ics(id, "REQUEST", 0);
    stub.serve(id, file.clone()).await;
    let e = envelope("scheduling", booked);
    app.publish(std::slice::from_ref(&e)).await;

    let mails = emails_of(&app, id, 2).await;
    assert_eq!(recipients(&mails), owner_and_manager());
    for m in &mails {
        let a = attachment(m);
        assert_eq!(a["filename"], "invite.ics");
        assert_eq!(
            a["content_type"],
            "text/calendar; charset=utf-8; method=REQUEST"
        );
        assert_eq!(lines(a["content"].as_str().unwrap()), lines(&file));
        let subject = m["subject"].as_str().unwrap();
        assert_eq!(
            subject,
            "Appointment booked: VH-A1 at North Depot, 2026-03-02 09:00-12:00 UTC"
        );
        let text = m["text"].as_str().unwrap();
        assert!(
            text.contains("booked automatically") && text.contains("invite.ics"),
            "{text}"
        );
        assert!(m["html"].as_str().unwrap().contains("North Depot"));
        assert_eq!(
            m["headers"]["X-Fleet-Correlation-Id"],
            e.correlation_id.to_string()
        );
    }
    // One fetch per email, each with the service token.
    assert_eq!(stub.served(id).await, 2);
    assert_eq!(stub.state.refused.load(Ordering::SeqCst), 0);

    // Redelivered: nothing new is sent, and none of it is an alert.
    app.publish(std::slice::from_ref(&e)).await;
    app.publish(std::slice::from_ref(&e)).await;
    app.wait_notices_consumed(alert::events::appointments::SOURCE)
        .await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(app.inbox.messages(Some("email")).await.len(), 2);
    assert_eq!(stub.served(id).await, 2);
    assert!(app.alerts_of("VH-A1").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_cancellation_carries_the_cancelling_file_and_a_reschedule_says_so() {
    let (stub, app) = stubbed().await;
    let cancelled = AppointmentCancelled {
        appointment_id: Uuid::now_v7(),
        org_id: ORG.to_owned(),
        vehicle_id: "VH-A2".to_owned(),
        cancelled_by: Some("owner-1".to_owned()),
        reason: "the truck is on a long haul".to_owned(),
        no_show: false,
        cancelled_at: Utc::now(),
    };
    let id = cancelled.appointment_id;
    let file = ics(id, "CANCEL", 1);
    stub.serve(id, file.clone()).await;
    app.publish(&[envelope("scheduling", cancelled)]).await;
    let mails = emails_of(&app, id, 2).await;
    assert_eq!(recipients(&mails), owner_and_manager());
    for m in &mails {
        let a = attachment(m);
        assert_eq!(
            a["content_type"],
            "text/calendar; charset=utf-8; method=CANCEL"
        );
        assert_eq!(lines(a["content"].as_str().unwrap()), lines(&file));
        assert_eq!(m["subject"], "Appointment cancelled: VH-A2");
        assert!(
            m["text"]
                .as_str()
                .unwrap()
                .contains("Reason: the truck is on a long haul")
        );
    }

    let moved = scheduled("VH-A2", 2);
    let id = moved.appointment_id;
    stub.serve(id, ics(id, "REQUEST", 2)).await;
    app.publish(&[envelope("scheduling", moved)]).await;
    for m in emails_of(&app, id, 2).await {
        let subject = m["subject"].as_str().unwrap();
        assert!(
            subject.starts_with("Appointment rescheduled: VH-A2"),
            "{subject}"
        );
        assert!(
            m["text"]
                .as_str()
                .unwrap()
                .contains("rescheduled (revision 2)")
        );
        assert_eq!(
            attachment(&m)["content_type"],
            "text/calendar; charset=utf-8; method=REQUEST"
        );
    }
    assert!(app.alerts_of("VH-A2").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn without_the_file_the_email_still_goes_and_an_outage_is_retried() {
    let (stub, app) = stubbed().await;
    // 404: sent without it, saying where to download it.
    let unknown = scheduled("VH-A3", 0);
    let id = unknown.appointment_id;
    app.publish(&[envelope("scheduling", unknown)]).await;
    let mails = emails_of(&app, id, 2).await;
    assert_eq!(recipients(&mails), owner_and_manager());
    let url = format!("{}/v1/appointments/{id}/calendar.ics", stub.url);
    for m in &mails {
        assert!(m.get("attachments").is_none(), "{m:#}");
        let text = m["text"].as_str().unwrap();
        assert!(text.contains(&format!("download it from {url}")), "{text}");
    }

    // 503 twice: retried with backoff, then sent with the file.
    stub.state.outages.store(2, Ordering::SeqCst);
    let later = scheduled("VH-A3", 1);
    let id = later.appointment_id;
    let file = ics(id, "REQUEST", 1);
    stub.serve(id, file.clone()).await;
    app.publish(&[envelope("scheduling", later)]).await;
    for m in emails_of(&app, id, 2).await {
        assert_eq!(
            lines(attachment(&m)["content"].as_str().unwrap()),
            lines(&file)
        );
    }
    assert_eq!(
        stub.served(id).await,
        4,
        "two outages, then one fetch per email"
    );

    // Down for good: every attempt fetches, the last one sends without the file.
    stub.state.outages.store(1_000, Ordering::SeqCst);
    let down = scheduled("VH-A3", 2);
    let id = down.appointment_id;
    stub.serve(id, ics(id, "REQUEST", 2)).await;
    app.publish(&[envelope("scheduling", down)]).await;
    let url = format!("{}/v1/appointments/{id}/calendar.ics", stub.url);
    for m in emails_of(&app, id, 2).await {
        assert!(m.get("attachments").is_none(), "{m:#}");
        assert!(m["text"].as_str().unwrap().contains(&url));
    }
    // ALERT_MAX_ATTEMPTS (4 in the tests) fetches per email.
    assert_eq!(stub.served(id).await, 8);
    app.stop().await;
}

#[tokio::test]
async fn without_a_scheduling_service_the_email_names_the_download_path() {
    let app = spawn(None).await;
    let booked = scheduled("VH-A4", 0);
    let id = booked.appointment_id;
    app.publish(&[envelope("scheduling", booked)]).await;
    for m in emails_of(&app, id, 2).await {
        assert!(m.get("attachments").is_none());
        let text = m["text"].as_str().unwrap();
        let path = format!("the scheduling service's /v1/appointments/{id}/calendar.ics");
        assert!(text.contains(&path), "{text}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_proposal_lists_the_options_and_how_to_approve() {
    let (stub, app) = stubbed().await;
    let at = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap();
    let option = |label, center: &str, d, h| SlotOption {
        label,
        center_id: Uuid::now_v7(),
        center_name: center.to_owned(),
        starts_at: at(d, h),
        ends_at: at(d, h + 2),
        score: 0.7,
    };
    let p = AppointmentProposed {
        proposal_id: Uuid::now_v7(),
        org_id: ORG.to_owned(),
        vehicle_id: "VH-A5".to_owned(),
        decision_id: None,
        component: Some(Component::Brakes),
        kind: AppointmentKind::Routine,
        options: vec![
            option(OptionLabel::BestOverall, "North Depot", 4, 9),
            option(OptionLabel::BestOtherCenter, "South Yard", 5, 13),
            option(OptionLabel::Earliest, "East Garage", 3, 7),
        ],
        proposed_at: Utc::now(),
    };
    let pid = p.proposal_id;
    app.publish(&[envelope("scheduling", p)]).await;
    let mails = app
        .inbox
        .wait_for("email", 2, 20, |m| {
            m["headers"]["X-Fleet-Notice"] == "proposed"
        })
        .await;
    assert_eq!(recipients(&mails), owner_and_manager());
    for m in &mails {
        assert_eq!(
            m["subject"],
            "Appointment options for VH-A5: choose one of 3"
        );
        assert!(m.get("attachments").is_none());
        let text = m["text"].as_str().unwrap();
        for line in [
            "[0] Best overall: North Depot, 2026-03-04 09:00-11:00 UTC",
            "[1] Best at another center: South Yard, 2026-03-05 13:00-15:00 UTC",
            "[2] Earliest: East Garage, 2026-03-03 07:00-09:00 UTC",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
        let approve = format!(
            "POST {}/v1/proposals/{pid}/approve with the body {{\"option\": N}}",
            stub.url
        );
        assert!(text.contains(&approve), "{text}");
    }
    assert!(app.alerts_of("VH-A5").await.is_empty());
    app.stop().await;
}
