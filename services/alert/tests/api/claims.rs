//! Warranty claim notices: a claim received emails the vehicle's owner; a decision
//! emails the owner and the fleet manager, with every reason of a rejection; a fraud
//! finding emails the fleet manager alone (never the owner), with the score, each
//! signal and the evidence pack's link. Each event sends once, however often it is
//! delivered, and none is an alert.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};
use shared_schemas::events::{
    ClaimRejected, ClaimSubmitted, ClaimValidated, Component, Coverage, FraudDetected, FraudSignal,
    FraudSignalKind, Money,
};
use uuid::Uuid;

use crate::helpers::{ORG, TestApp, envelope, spawn_with};

const WARRANTY: &str = "http://warranty.test:8006";

/// An app linking to `WARRANTY`, with the owner, fleet manager and emergency contact of
/// `ORG`, and an owner and a fleet manager of another vehicle only.
async fn spawn() -> TestApp {
    let app = spawn_with(|c| c.warranty_url = Some(WARRANTY.to_owned())).await;
    app.chain().await;
    for (name, role, email) in [
        ("Fiona Elsewhere", "fleet_manager", "fiona@acme.test"),
        ("Oscar Elsewhere", "owner", "oscar@acme.test"),
    ] {
        app.contact(
            name,
            role,
            json!({"email": email, "vehicle_ids": ["VH-OTHER"]}),
        )
        .await;
    }
    app
}

impl TestApp {
    /// Waits for `n` emails of `kind` about claim `id`.
    async fn claim_emails(&self, id: Uuid, kind: &str, n: usize) -> Vec<Value> {
        let id = id.to_string();
        self.inbox
            .wait_for("email", n, 20, |m| {
                m["headers"]["X-Fleet-Claim-Id"] == id.as_str()
                    && m["headers"]["X-Fleet-Notice"] == kind
            })
            .await
    }

    /// Every email sent so far, by recipient.
    async fn all_recipients(&self) -> Vec<String> {
        let mails = self.inbox.messages(Some("email")).await;
        mails
            .iter()
            .map(|m| m["to"][0].as_str().unwrap().to_owned())
            .collect()
    }
}

fn recipients(mails: &[Value]) -> BTreeSet<String> {
    mails
        .iter()
        .map(|m| m["to"][0].as_str().unwrap().to_owned())
        .collect()
}

fn set(addresses: &[&str]) -> BTreeSet<String> {
    addresses.iter().map(|&a| a.to_owned()).collect()
}

/// Asserts the text of `m` says each of `parts`.
fn says(m: &Value, parts: &[&str]) {
    let text = m["text"].as_str().unwrap();
    for part in parts {
        assert!(text.contains(part), "{part} in {text}");
    }
}

fn submitted() -> ClaimSubmitted {
    ClaimSubmitted {
        claim_id: Uuid::now_v7(),
        org_id: ORG.to_owned(),
        vehicle_id: "VH-C1".to_owned(),
        vin: "1FTFW1ET5DFC10312".to_owned(),
        component: Component::Transmission,
        failure_date: NaiveDate::from_ymd_opt(2026, 2, 20).unwrap(),
        odometer_km: 61_250.0,
        description: "slipping between 2nd and 3rd".to_owned(),
        cost_estimate: Money {
            amount: 3_180.0,
            currency: "EUR".to_owned(),
        },
        document_count: 3,
        submitted_by: "owner-1".to_owned(),
        submitted_at: Utc.with_ymd_and_hms(2026, 2, 21, 8, 30, 0).unwrap(),
    }
}

#[tokio::test]
async fn a_claim_received_emails_the_owner_once_with_what_happens_next() {
    let app = spawn().await;
    let claim = submitted();
    let id = claim.claim_id;
    let e = envelope("warranty", claim);
    app.publish(std::slice::from_ref(&e)).await;

    let mails = app.claim_emails(id, "claim_submitted", 1).await;
    assert_eq!(recipients(&mails), set(&["owner@acme.test"]));
    let m = &mails[0];
    assert_eq!(
        m["subject"],
        "Warranty claim received: Transmission of VH-C1"
    );
    says(
        m,
        &[
            "We received your warranty claim",
            &format!("Claim: {id}"),
            "Vehicle: VH-C1 (VIN 1FTFW1ET5DFC10312)",
            "Failure date: 2026-02-20",
            "Amount claimed: 3180.00 EUR",
            "What happens next",
            &format!("GET {WARRANTY}/v1/claims/{id}"),
        ],
    );
    assert_eq!(m["headers"]["X-Fleet-Vehicle-Id"], "VH-C1");
    assert_eq!(
        m["headers"]["X-Fleet-Correlation-Id"],
        e.correlation_id.to_string()
    );

    // Redelivered: nothing new is sent, and none of it is an alert.
    app.publish(std::slice::from_ref(&e)).await;
    app.publish(std::slice::from_ref(&e)).await;
    app.wait_notices_consumed(alert::events::claims::SOURCE)
        .await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(app.all_recipients().await, ["owner@acme.test"]);
    let r = app
        .get_as("/v1/alerts?vehicle_id=VH-C1", &crate::helpers::admin())
        .await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["alerts"], json!([]));
    app.stop().await;
}

fn fraud(claim_id: Uuid) -> FraudDetected {
    let signal = |kind, weight, detail: &str| FraudSignal {
        kind,
        weight,
        detail: detail.to_owned(),
    };
    FraudDetected {
        claim_id,
        org_id: ORG.to_owned(),
        vehicle_id: "VH-C1".to_owned(),
        fraud_score: 0.86,
        confidence: 0.92,
        signals: vec![
            signal(
                FraudSignalKind::NoPriorDegradation,
                0.45,
                "transmission health stayed above 0.9 until the failure date",
            ),
            signal(
                FraudSignalKind::ShopHistory,
                0.25,
                "Quick Fix GmbH: 14 claims in 90 days, 3x the regional rate",
            ),
        ],
        detected_at: Utc.with_ymd_and_hms(2026, 2, 21, 8, 31, 0).unwrap(),
    }
}

#[tokio::test]
async fn a_fraud_finding_goes_to_the_reviewers_only_with_its_signals_and_evidence() {
    let app = spawn().await;
    let id = Uuid::now_v7();
    let e = envelope("warranty", fraud(id));
    app.publish(std::slice::from_ref(&e)).await;

    let mails = app.claim_emails(id, "fraud_detected", 1).await;
    assert_eq!(recipients(&mails), set(&["fm@acme.test"]));
    let m = &mails[0];
    assert_eq!(
        m["subject"],
        "Warranty claim needs review: VH-C1, fraud score 0.86"
    );
    says(
        m,
        &[
            "score 0.86 of 1",
            "confidence 0.92",
            "No prior degradation (weight 0.45): transmission health stayed above 0.9 until the failure date",
            "Repair shop history (weight 0.25): Quick Fix GmbH: 14 claims in 90 days",
            &format!("Evidence pack (PDF): {WARRANTY}/v1/claims/{id}/evidence.pdf"),
            &format!("{WARRANTY}/v1/claims/{id}/decision"),
        ],
    );
    assert!(
        m["attachments"].as_array().is_none_or(Vec::is_empty),
        "{m:#}"
    );

    // Redelivered: still the one email; the owner never hears of the suspicion.
    app.publish(std::slice::from_ref(&e)).await;
    app.wait_notices_consumed(alert::events::claims::SOURCE)
        .await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(app.all_recipients().await, ["fm@acme.test"]);
    app.stop().await;
}

#[tokio::test]
async fn decisions_email_owner_and_fleet_manager_with_amount_coverage_and_reasons() {
    let app = spawn().await;
    let approved = ClaimValidated {
        claim_id: Uuid::now_v7(),
        org_id: ORG.to_owned(),
        vehicle_id: "VH-C1".to_owned(),
        component: Component::Transmission,
        coverage: Coverage::Powertrain,
        approved_amount: Some(Money {
            amount: 2_980.0,
            currency: "EUR".to_owned(),
        }),
        fraud_score: 0.12,
        confidence: 0.95,
        auto_approved: true,
        reviewed_by: None,
        validated_at: Utc.with_ymd_and_hms(2026, 2, 21, 8, 32, 0).unwrap(),
    };
    let rejected = ClaimRejected {
        claim_id: Uuid::now_v7(),
        org_id: ORG.to_owned(),
        vehicle_id: "VH-C2".to_owned(),
        component: Component::Brakes,
        reasons: vec![
            "brakes are wear items, excluded from every coverage".to_owned(),
            "basic coverage ended at 36,000 km; the odometer read 41,200 km".to_owned(),
        ],
        fraud_score: Some(0.4),
        reviewed_by: Some("fm-user-7".to_owned()),
        rejected_at: Utc.with_ymd_and_hms(2026, 2, 21, 9, 0, 0).unwrap(),
    };
    let (ok_id, no_id) = (approved.claim_id, rejected.claim_id);
    let (approved, rejected) = (
        envelope("warranty", approved),
        envelope("warranty", rejected),
    );
    app.publish(std::slice::from_ref(&approved)).await;
    app.publish(std::slice::from_ref(&rejected)).await;

    let both = set(&["fm@acme.test", "owner@acme.test"]);
    let mails = app.claim_emails(ok_id, "claim_validated", 2).await;
    assert_eq!(recipients(&mails), both);
    for m in &mails {
        assert_eq!(
            m["subject"],
            "Warranty claim approved: Transmission of VH-C1, 2980.00 EUR"
        );
        says(
            m,
            &[
                "approved automatically",
                "Coverage: Powertrain (5 years / 100,000 km)",
                "Approved amount: 2980.00 EUR",
                "Decided: Automatic",
            ],
        );
    }
    let mails = app.claim_emails(no_id, "claim_rejected", 2).await;
    assert_eq!(recipients(&mails), both);
    for m in &mails {
        assert_eq!(m["subject"], "Warranty claim rejected: Brakes of VH-C2");
        says(
            m,
            &[
                "rejected by a reviewer, for 2 reason(s)",
                "brakes are wear items, excluded from every coverage",
                "basic coverage ended at 36,000 km; the odometer read 41,200 km",
                "Reviewer: fm-user-7",
            ],
        );
    }
    app.publish(std::slice::from_ref(&approved)).await;
    app.publish(std::slice::from_ref(&rejected)).await;
    app.wait_notices_consumed(alert::events::claims::SOURCE)
        .await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(app.all_recipients().await.len(), 4);
    app.stop().await;
}
