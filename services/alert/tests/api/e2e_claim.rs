//! The end-to-end story's warranty part: the owner files a claim for the repaired DPF
//! over REST; the warranty service checks it against the contract and the vehicle's own
//! record (the DPF degraded for days before it failed) and decides; the owner hears of
//! the claim and of the decision by email.

use chrono::Utc;
use serde_json::{Value, json};
use shared_runtime::auth::Role;

use crate::e2e_repair::View;
use crate::helpers::{ORG, token};

/// Files the claim as the owner, and follows it to a decision and the owner's emails.
pub(crate) async fn filed_decided_and_told(
    v: &View<'_>,
    vehicle_id: &str,
    vin: &str,
    odometer: f64,
) {
    // A basic coverage bought a year ago, 20,000 km before the failure.
    let start = (Utc::now() - chrono::Duration::days(365)).date_naive();
    v.send(
        reqwest::Method::PUT,
        format!("{}/v1/contracts/{vehicle_id}", v.warranty),
        Some(json!({"org_id": ORG, "vin": vin, "start_date": start,
            "start_odometer_km": (odometer - 20_000.0).max(0.0), "deductible": 100.0, "currency": "USD"})),
    )
    .await;
    let owner = token(Role::Owner, ORG, &[vehicle_id]);
    let body = json!({
        "vehicle_id": vehicle_id, "vin": vin, "component": "dpf",
        "failure_date": Utc::now().date_naive(), "odometer_km": odometer.round(),
        "description": "DPF warning lamp, loss of power on the highway; filter found plugged and cracked, replaced.",
        "shop": {"id": "SHOP-MIDWAY", "name": "Midway Truck Hub", "region": "US-IL"},
        "cost": {"parts": [{"part": "dpf_filter", "quantity": 1, "unit_price": 2450.0}],
                 "labour_hours": 4.0, "labour_rate": 120.0, "currency": "USD"}});
    let r = v
        .client
        .post(format!("{}/v1/claims", v.warranty))
        .bearer_auth(&owner)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let claim: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{claim:#}");
    let id = claim["id"].as_str().unwrap().to_owned();
    assert_eq!(claim["eligibility"]["eligible"], true, "{claim:#}");
    let record_seen = &claim["assessment"];
    assert!(
        record_seen["confidence"].as_f64().unwrap() > 0.5,
        "telemetry was read: {claim:#}"
    );

    // A claim the analysis does not approve on its own goes to a reviewer.
    if claim["status"] == "needs_review" {
        let manager = token(Role::FleetManager, ORG, &[]);
        let r = v
            .client
            .post(format!("{}/v1/claims/{id}/decision", v.warranty))
            .bearer_auth(&manager)
            .json(
                &json!({"decision": "approve", "note": "degradation on record before the failure"}),
            )
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    } else {
        assert_eq!(claim["status"], "approved", "{claim:#}");
    }
    for wanted in ["received", "approved"] {
        let mails = v
            .inbox
            .wait_for("email", 1, 60, |m| {
                m["to"][0] == "owner@acme.test"
                    && m["headers"]["X-Fleet-Claim-Id"] == id.as_str()
                    && m["subject"]
                        .as_str()
                        .unwrap_or_default()
                        .to_lowercase()
                        .contains(wanted)
            })
            .await;
        assert_eq!(mails.len(), 1, "one '{wanted}' email: {mails:#?}");
    }
    let pdf = v
        .client
        .get(format!("{}/v1/claims/{id}/evidence.pdf", v.warranty))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
}
