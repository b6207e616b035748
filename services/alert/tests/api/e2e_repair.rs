//! The end-to-end story's second half: the critical DPF decision is booked at the
//! emergency center without anyone asking, the owner's confirmation carries a valid
//! iCalendar invitation of that appointment, and completing the work order resets the
//! DPF's health.

use std::time::Duration;

use icalendar::{
    Calendar, CalendarComponent, CalendarDateTime, Component, DatePerhapsTime, EventLike,
};
use serde_json::{Value, json};

use crate::helpers::{ORG, admin};
use crate::inbox::Inbox;

/// What this part reaches of the running platform.
pub(crate) struct View<'a> {
    pub(crate) warranty: &'a str,
    pub(crate) scheduling: &'a str,
    pub(crate) health: &'a str,
    pub(crate) inbox: &'a Inbox,
    pub(crate) client: &'a reqwest::Client,
}

impl View<'_> {
    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        url: String,
        body: Option<Value>,
    ) -> Value {
        let mut request = self.client.request(method, &url).bearer_auth(admin());
        if let Some(b) = body {
            request = request.json(&b);
        }
        let r = request.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        assert!(status.is_success(), "{url}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
}

/// A 24/7 emergency center of `ORG` with a diesel technician on every shift and DPF
/// filters on the shelf.
pub(crate) async fn seed_emergency_center(v: &View<'_>) {
    let all_day: Vec<Value> = (0..7)
        .map(|_| json!({"open": "00:00", "close": "24:00"}))
        .collect();
    let center = v
        .send(
            reqwest::Method::POST,
            format!("{}/v1/centers", v.scheduling),
            Some(json!({"org_id": ORG, "name": "Midway Truck Hub", "address": "5500 S Cicero Ave, Chicago",
                "lat": 41.79, "lon": -87.74, "bays": 2, "hours": all_day, "emergency": true,
                "specializations": ["aftertreatment"], "rating": 4.5})),
        )
        .await;
    let id = center["id"].as_str().unwrap().to_owned();
    let shifts: Vec<Value> = (0..7)
        .map(|d| json!({"weekday": d, "start": "00:00", "end": "24:00"}))
        .collect();
    v.send(
        reqwest::Method::POST,
        format!("{}/v1/technicians", v.scheduling),
        Some(json!({"center_id": id, "name": "Dana Diesel",
            "skills": ["aftertreatment", "engine"], "shifts": shifts})),
    )
    .await;
    v.send(
        reqwest::Method::PUT,
        format!("{}/v1/centers/{id}/stock/dpf_filter", v.scheduling),
        Some(json!({"on_hand": 2, "lead_time_hours": 72})),
    )
    .await;
}

/// The booking, the invitation, the repair and the reset.
pub(crate) async fn booked_invited_and_repaired(v: &View<'_>, vehicle_id: &str) {
    let url = format!(
        "{}/v1/vehicles/{vehicle_id}/appointments?org_id={ORG}&status=all",
        v.scheduling
    );
    let appointments = v.send(reqwest::Method::GET, url, None).await;
    let dpf: Vec<&Value> = appointments
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["component"] == "dpf")
        .collect();
    assert_eq!(dpf.len(), 1, "the DPF booked once: {appointments:#}");
    let a = dpf[0];
    assert_eq!(a["auto_booked"], true, "{a:#}");
    assert_eq!(a["kind"], "emergency", "{a:#}");
    assert_eq!(a["reserved_parts"], json!({"dpf_filter": 1}), "{a:#}");
    let id = a["id"].as_str().unwrap();

    let invitations = v
        .inbox
        .wait_for("email", 1, 120, |m| {
            m["to"][0] == "owner@acme.test" && m["headers"]["X-Fleet-Appointment-Id"] == id
        })
        .await;
    assert_eq!(invitations.len(), 1, "one confirmation: {invitations:#?}");
    let attachment = &invitations[0]["attachments"][0];
    assert!(
        attachment["content_type"]
            .as_str()
            .unwrap()
            .starts_with("text/calendar"),
        "{attachment:#}"
    );
    check_invitation(attachment["content"].as_str().unwrap(), id, a);

    complete(v, id).await;
    reset(v, vehicle_id, id).await;
}

/// The attached file, read by an independent parser, is this appointment.
fn check_invitation(ics: &str, id: &str, a: &Value) {
    let calendar: Calendar = ics.parse().unwrap_or_else(|e| panic!("{e}\n{ics}"));
    let events: Vec<_> = calendar
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(events.len(), 1, "{ics}");
    let e = events[0];
    assert_eq!(e.get_uid(), Some(format!("{id}@fleet-platform").as_str()));
    let starts: chrono::DateTime<chrono::Utc> = a["starts_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        e.get_start(),
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(starts)))
    );
    assert_eq!(e.property_value("STATUS"), Some("CONFIRMED"));
    assert!(
        e.get_location()
            .is_some_and(|l| l.contains("Midway Truck Hub")),
        "{ics}"
    );
}

async fn complete(v: &View<'_>, id: &str) {
    for step in ["start", "complete"] {
        let body = if step == "complete" {
            json!({"parts_used": {"dpf_filter": 1}, "labour_hours": 4.0, "cost": 2450.0,
                "notes": "DPF replaced, differential pressure sensor checked"})
        } else {
            json!({})
        };
        let done = v
            .send(
                reqwest::Method::POST,
                format!("{}/v1/appointments/{id}/{step}", v.scheduling),
                Some(body),
            )
            .await;
        assert_ne!(done["status"], "scheduled", "{done:#}");
    }
}

/// Health hears of the repair and starts the DPF afresh.
async fn reset(v: &View<'_>, vehicle_id: &str, id: &str) {
    let url = format!("{}/v1/vehicles/{vehicle_id}/health", v.health);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let view = v.send(reqwest::Method::GET, url.clone(), None).await;
        let dpf = view["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["component"] == "dpf")
            .cloned()
            .unwrap_or_default();
        if dpf["serviced_appointment_id"] == id {
            assert_eq!(
                dpf["band"], "excellent",
                "re-learning after the repair: {dpf:#}"
            );
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "health did not reset the DPF within 60 s: {dpf:#}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
