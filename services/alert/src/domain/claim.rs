//! Warranty claim notices: the warranty service's claims received, approved, rejected
//! or sent to review for fraud, told by email (ADR 0016). The owner hears about their
//! claim and its decision; fleet managers hear the decisions and, alone, the fraud
//! findings they review. Pure: rendered from the event as it was received.

use serde::{Deserialize, Serialize};
use shared_schemas::events::{
    ClaimRejected, ClaimSubmitted, ClaimValidated, Coverage, FraudDetected, FraudSignalKind, Money,
};
use uuid::Uuid;

use super::alert::component_name;
use super::message::Email;
use super::notice::Layout;
use super::policy::Role;

/// The claim event a notice tells, as received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ClaimNotice {
    /// Filed: an acknowledgement to the owner.
    ClaimSubmitted(ClaimSubmitted),
    /// Approved, automatically or by a reviewer.
    ClaimValidated(ClaimValidated),
    /// Rejected, with every reason.
    ClaimRejected(ClaimRejected),
    /// Sent to human review for suspected fraud: reviewers only.
    FraudDetected(FraudDetected),
}

impl ClaimNotice {
    /// The stored kind: the variant's tag.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ClaimSubmitted(_) => "claim_submitted",
            Self::ClaimValidated(_) => "claim_validated",
            Self::ClaimRejected(_) => "claim_rejected",
            Self::FraudDetected(_) => "fraud_detected",
        }
    }

    /// Who is told: the owner of a claim received; owner and fleet managers of a
    /// decision; only fleet managers (the reviewers) of a fraud finding — a suspicion
    /// is never sent to the person suspected.
    pub fn roles(&self) -> &'static [Role] {
        match self {
            Self::ClaimSubmitted(_) => &[Role::Owner],
            Self::ClaimValidated(_) | Self::ClaimRejected(_) => &[Role::Owner, Role::FleetManager],
            Self::FraudDetected(_) => &[Role::FleetManager],
        }
    }

    /// The organization and vehicle.
    pub fn vehicle(&self) -> (&str, &str) {
        match self {
            Self::ClaimSubmitted(e) => (&e.org_id, &e.vehicle_id),
            Self::ClaimValidated(e) => (&e.org_id, &e.vehicle_id),
            Self::ClaimRejected(e) => (&e.org_id, &e.vehicle_id),
            Self::FraudDetected(e) => (&e.org_id, &e.vehicle_id),
        }
    }

    /// The claim.
    pub fn claim_id(&self) -> Uuid {
        match self {
            Self::ClaimSubmitted(e) => e.claim_id,
            Self::ClaimValidated(e) => e.claim_id,
            Self::ClaimRejected(e) => e.claim_id,
            Self::FraudDetected(e) => e.claim_id,
        }
    }
}

/// Everything a claim email is made from.
#[derive(Debug, Clone)]
pub struct ClaimEmail<'a> {
    /// The event.
    pub notice: &'a ClaimNotice,
    /// The recipient's name.
    pub recipient: &'a str,
    /// The warranty service's base URL, when known (links to the claim and its
    /// evidence pack); otherwise the paths are named.
    pub warranty_url: Option<&'a str>,
}

/// `1234.50 USD`.
fn money(m: &Money) -> String {
    format!("{:.2} {}", m.amount, m.currency)
}

fn coverage_name(c: Coverage) -> &'static str {
    match c {
        Coverage::Basic => "Basic (3 years / 36,000 km, all but wear items)",
        Coverage::Powertrain => "Powertrain (5 years / 100,000 km)",
        Coverage::Corrosion => "Corrosion (7 years, unlimited km)",
        Coverage::Extended => "Extended (by contract)",
    }
}

/// A fraud signal's name, as a reviewer reads it.
pub fn signal_name(k: FraudSignalKind) -> &'static str {
    match k {
        FraudSignalKind::RepeatClaims => "Repeat claims",
        FraudSignalKind::NearExpiry => "Filed near coverage expiry",
        FraudSignalKind::NoPriorDegradation => "No prior degradation",
        FraudSignalKind::IgnoredWarnings => "Ignored warnings",
        FraudSignalKind::OdometerRollback => "Odometer inconsistency",
        FraudSignalKind::ShopHistory => "Repair shop history",
        FraudSignalKind::RegionalCluster => "Regional cluster",
        FraudSignalKind::NearDuplicate => "Near-duplicate claim",
        FraudSignalKind::NearCoverageStart => "Filed just after coverage started",
        FraudSignalKind::LabourOverStandard => "Labour above the standard time",
        FraudSignalKind::PartsInconsistent => "Parts foreign to the repair",
        FraudSignalKind::NotReporting => "Vehicle silent at the failure",
        FraudSignalKind::InServiceAtFailure => "Vehicle in service through the breakdown",
    }
}

impl ClaimEmail<'_> {
    /// The email: subject, text and HTML (everything from the event escaped).
    pub fn email(&self) -> Email {
        let (subject, body) = match self.notice {
            ClaimNotice::ClaimSubmitted(e) => self.submitted(e),
            ClaimNotice::ClaimValidated(e) => self.validated(e),
            ClaimNotice::ClaimRejected(e) => rejected(e),
            ClaimNotice::FraudDetected(e) => self.fraud(e),
        };
        body.email(subject, self.recipient)
    }

    /// `{base}{path}`, or the path on the warranty service.
    fn link(&self, path: &str) -> String {
        self.warranty_url.map_or_else(
            || format!("the warranty service's {path}"),
            |base| format!("{base}{path}"),
        )
    }

    fn submitted(&self, e: &ClaimSubmitted) -> (String, Layout) {
        let component = component_name(e.component);
        let subject = format!("Warranty claim received: {component} of {}", e.vehicle_id);
        let lead = format!(
            "We received your warranty claim for the {component} of vehicle {} (VIN {}).",
            e.vehicle_id, e.vin
        );
        let rows = vec![
            ("Claim", e.claim_id.to_string()),
            ("Vehicle", format!("{} (VIN {})", e.vehicle_id, e.vin)),
            ("Component", component.to_owned()),
            (
                "Failure date",
                e.failure_date.format("%Y-%m-%d").to_string(),
            ),
            ("Odometer at failure", format!("{:.0} km", e.odometer_km)),
            ("Amount claimed", money(&e.cost_estimate)),
            ("Documents", e.document_count.to_string()),
            (
                "Filed at",
                e.submitted_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            ),
        ];
        let closing = vec![
            "What happens next: the claim is checked against the vehicle's warranty coverage and its own service and telemetry history. When everything agrees it is approved automatically; otherwise a reviewer decides. Either way you get an email with the decision.".to_owned(),
            format!(
                "Its status: GET {} (signed in to the platform).",
                self.link(&format!("/v1/claims/{}", e.claim_id))
            ),
        ];
        (subject, Layout::new(lead, rows, closing))
    }

    fn validated(&self, e: &ClaimValidated) -> (String, Layout) {
        let component = component_name(e.component);
        let amount = e.approved_amount.as_ref().map(money);
        let subject = match &amount {
            Some(a) => format!(
                "Warranty claim approved: {component} of {}, {a}",
                e.vehicle_id
            ),
            None => format!("Warranty claim approved: {component} of {}", e.vehicle_id),
        };
        let (how, decided_by) = match (&e.reviewed_by, e.auto_approved) {
            (Some(r), _) => ("by a reviewer", format!("Reviewer ({r})")),
            (None, true) => (
                "automatically: it is covered and the checks found nothing to review",
                "Automatic".to_owned(),
            ),
            (None, false) => ("after review", "Reviewer".to_owned()),
        };
        let lead = format!(
            "The warranty claim for the {component} of vehicle {} was approved {how}.",
            e.vehicle_id
        );
        let rows = vec![
            ("Claim", e.claim_id.to_string()),
            ("Vehicle", e.vehicle_id.clone()),
            ("Component", component.to_owned()),
            ("Coverage", coverage_name(e.coverage).to_owned()),
            (
                "Approved amount",
                amount.unwrap_or_else(|| "as claimed, less any deductible".to_owned()),
            ),
            ("Decided", decided_by),
            (
                "Approved at",
                e.validated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            ),
        ];
        let closing = vec![format!(
            "The approved amount is paid under the coverage above; the claim shows as paid once it is (GET {}).",
            self.link(&format!("/v1/claims/{}", e.claim_id))
        )];
        (subject, Layout::new(lead, rows, closing))
    }

    fn fraud(&self, e: &FraudDetected) -> (String, Layout) {
        let subject = format!(
            "Warranty claim needs review: {}, fraud score {:.2}",
            e.vehicle_id, e.fraud_score
        );
        let lead = format!(
            "A warranty claim on vehicle {} shows signs of possible fraud: score {:.2} of 1 (review above 0.70), confidence {:.2}. It waits in the review queue; nothing is paid or rejected until a reviewer decides.",
            e.vehicle_id, e.fraud_score, e.confidence
        );
        let rows = vec![
            ("Claim", e.claim_id.to_string()),
            ("Vehicle", e.vehicle_id.clone()),
            ("Fraud score", format!("{:.2}", e.fraud_score)),
            ("Confidence", format!("{:.2}", e.confidence)),
            ("Signals", e.signals.len().to_string()),
        ];
        let list = e
            .signals
            .iter()
            .map(|s| {
                format!(
                    "{} (weight {:.2}): {}",
                    signal_name(s.kind),
                    s.weight,
                    s.detail
                )
            })
            .collect();
        let id = e.claim_id;
        let closing = vec![
            format!(
                "Evidence pack (PDF): {}",
                self.link(&format!("/v1/claims/{id}/evidence.pdf"))
            ),
            format!(
                "To decide, a fleet manager or admin posts {{\"decision\": \"approve\" or \"reject\", \"note\": \"why\"}} to {} (the queue: GET {}).",
                self.link(&format!("/v1/claims/{id}/decision")),
                self.link("/v1/reviews")
            ),
        ];
        let body = Layout {
            lead,
            rows,
            list,
            closing,
        };
        (subject, body)
    }
}

fn rejected(e: &ClaimRejected) -> (String, Layout) {
    let component = component_name(e.component);
    let subject = format!("Warranty claim rejected: {component} of {}", e.vehicle_id);
    let how = if e.reviewed_by.is_some() {
        "by a reviewer"
    } else {
        "by the coverage checks"
    };
    let lead = format!(
        "The warranty claim for the {component} of vehicle {} was rejected {how}, for {} reason(s):",
        e.vehicle_id,
        e.reasons.len()
    );
    let mut rows = vec![
        ("Claim", e.claim_id.to_string()),
        ("Vehicle", e.vehicle_id.clone()),
        ("Component", component.to_owned()),
        (
            "Rejected at",
            e.rejected_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        ),
    ];
    if let Some(r) = &e.reviewed_by {
        rows.push(("Reviewer", r.clone()));
    }
    let closing = vec![
        "Nothing will be paid for this claim. If a reason rests on a mistake (a date, the odometer reading, the component), contact your fleet manager with the claim id; a corrected claim can be filed with its documents.".to_owned(),
    ];
    let body = Layout {
        lead,
        rows,
        list: e.reasons.clone(),
        closing,
    };
    (subject, body)
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};
    use shared_schemas::events::{Component, FraudSignal};

    use super::*;

    fn render(n: &ClaimNotice, url: Option<&str>) -> Email {
        ClaimEmail {
            notice: n,
            recipient: "Olivia",
            warranty_url: url,
        }
        .email()
    }

    fn submitted() -> ClaimSubmitted {
        ClaimSubmitted {
            claim_id: Uuid::now_v7(),
            org_id: "acme".to_owned(),
            vehicle_id: "VH-1".to_owned(),
            vin: "1FTFW1ET5DFC10312".to_owned(),
            component: Component::Cooling,
            failure_date: NaiveDate::from_ymd_opt(2026, 2, 20).unwrap(),
            odometer_km: 48_210.4,
            description: "lost boost <on the highway>".to_owned(),
            cost_estimate: Money {
                amount: 2_450.5,
                currency: "EUR".to_owned(),
            },
            document_count: 2,
            submitted_by: "user-1".to_owned(),
            submitted_at: Utc.with_ymd_and_hms(2026, 2, 21, 8, 30, 0).unwrap(),
        }
    }

    #[test]
    fn a_receipt_names_the_claim_and_what_happens_next() {
        let s = submitted();
        let id = s.claim_id;
        let n = ClaimNotice::ClaimSubmitted(s);
        assert_eq!(n.roles(), [Role::Owner]);
        let e = render(&n, Some("http://w"));
        assert_eq!(e.subject, "Warranty claim received: Cooling system of VH-1");
        for part in [
            &format!("Claim: {id}"),
            "VIN 1FTFW1ET5DFC10312",
            "Failure date: 2026-02-20",
            "Odometer at failure: 48210 km",
            "Amount claimed: 2450.50 EUR",
            "What happens next",
            &format!("GET http://w/v1/claims/{id}"),
        ] {
            assert!(e.text.contains(part), "{part} in {}", e.text);
        }
    }

    #[test]
    fn fraud_goes_to_reviewers_with_every_signal_and_the_evidence_link() {
        let signal = |kind, weight, detail: &str| FraudSignal {
            kind,
            weight,
            detail: detail.to_owned(),
        };
        let f = FraudDetected {
            claim_id: Uuid::now_v7(),
            org_id: "acme".to_owned(),
            vehicle_id: "VH-9".to_owned(),
            fraud_score: 0.834,
            confidence: 0.9,
            signals: vec![
                signal(
                    FraudSignalKind::OdometerRollback,
                    0.5,
                    "odometer 1,200 km below telemetry",
                ),
                signal(
                    FraudSignalKind::NearExpiry,
                    0.2,
                    "filed 3 days before <expiry>",
                ),
            ],
            detected_at: Utc.with_ymd_and_hms(2026, 2, 21, 9, 0, 0).unwrap(),
        };
        let id = f.claim_id;
        let n = ClaimNotice::FraudDetected(f);
        assert_eq!(n.roles(), [Role::FleetManager]);
        assert!(!n.roles().contains(&Role::Owner));
        let e = render(&n, None);
        assert_eq!(
            e.subject,
            "Warranty claim needs review: VH-9, fraud score 0.83"
        );
        assert!(
            e.text.contains(
                "Odometer inconsistency (weight 0.50): odometer 1,200 km below telemetry"
            )
        );
        assert!(e.text.contains("Filed near coverage expiry (weight 0.20)"));
        assert!(e.text.contains(&format!(
            "the warranty service's /v1/claims/{id}/evidence.pdf"
        )));
        assert!(e.html.contains("&lt;expiry&gt;") && !e.html.contains("<expiry>"));
    }

    #[test]
    fn a_rejection_lists_every_reason_and_an_approval_says_who_decided() {
        let r = ClaimRejected {
            claim_id: Uuid::now_v7(),
            org_id: "acme".to_owned(),
            vehicle_id: "VH-2".to_owned(),
            component: Component::Brakes,
            reasons: vec![
                "brakes are wear items".to_owned(),
                "basic coverage expired".to_owned(),
            ],
            fraud_score: None,
            reviewed_by: None,
            rejected_at: Utc.with_ymd_and_hms(2026, 2, 21, 9, 0, 0).unwrap(),
        };
        let e = render(&ClaimNotice::ClaimRejected(r), None);
        assert!(
            e.subject.starts_with("Warranty claim rejected: "),
            "{}",
            e.subject
        );
        assert!(e.subject.ends_with(" of VH-2"), "{}", e.subject);
        assert!(e.text.contains("for 2 reason(s)"));
        assert!(
            e.text
                .contains("  brakes are wear items\n  basic coverage expired\n")
        );
        let v = ClaimValidated {
            claim_id: Uuid::now_v7(),
            org_id: "acme".to_owned(),
            vehicle_id: "VH-3".to_owned(),
            component: Component::Transmission,
            coverage: Coverage::Powertrain,
            approved_amount: Some(Money {
                amount: 1_900.0,
                currency: "USD".to_owned(),
            }),
            fraud_score: 0.1,
            confidence: 0.95,
            auto_approved: false,
            reviewed_by: Some("fm-7".to_owned()),
            validated_at: Utc.with_ymd_and_hms(2026, 2, 22, 9, 0, 0).unwrap(),
        };
        let n = ClaimNotice::ClaimValidated(v.clone());
        assert_eq!(n.roles(), [Role::Owner, Role::FleetManager]);
        let e = render(&n, None);
        assert!(e.subject.ends_with("of VH-3, 1900.00 USD"), "{}", e.subject);
        assert!(e.text.contains("approved by a reviewer"));
        assert!(e.text.contains("Decided: Reviewer (fm-7)"));
        assert!(
            e.text
                .contains("Coverage: Powertrain (5 years / 100,000 km)")
        );
        let auto = ClaimValidated {
            auto_approved: true,
            reviewed_by: None,
            approved_amount: None,
            ..v
        };
        let e = render(&ClaimNotice::ClaimValidated(auto), None);
        assert!(e.text.contains("approved automatically"), "{}", e.text);
        assert!(e.text.contains("Decided: Automatic"));
    }
}
