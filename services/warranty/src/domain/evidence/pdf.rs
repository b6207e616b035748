//! The pack as a PDF (printpdf, built-in Helvetica, A4 portrait): a title with the claim
//! and its outcome, then the claim, coverage and cost, the component's health as a vector
//! chart with the key signals, alerts on record, the fraud signals, similar claims and
//! the decision, over as many numbered pages as it takes.

use printpdf::{Op, PdfDocument, TextItem};

use super::canvas::Canvas;
use super::{EvidencePack, findings, sections, telemetry};

/// The pack as PDF bytes. Never fails: missing data is said in words.
pub fn render(pack: &EvidencePack) -> Vec<u8> {
    let mut c = Canvas::new();
    sections::header(&mut c, pack);
    sections::claim(&mut c, &pack.claim);
    sections::coverage(&mut c, pack);
    sections::cost(&mut c, pack);
    telemetry::health(&mut c, pack);
    telemetry::on_record(&mut c, pack);
    findings::fraud(&mut c, pack);
    findings::similar(&mut c, pack);
    findings::decision(&mut c, pack);
    let id = pack.claim.id;
    c.finish(
        &format!("Warranty evidence pack {id}"),
        &format!("Evidence pack - claim {id} - {}", pack.claim.vin),
    )
}

/// Every text run of a parsed PDF, one per line: what a reader can search for, and what
/// checks look for (the tests here, the integration tests of who sees what).
pub fn texts(doc: &PdfDocument) -> String {
    let runs = doc
        .pages
        .iter()
        .flat_map(|p| &p.ops)
        .filter_map(|o| match o {
            Op::ShowText { items } => Some(items),
            _ => None,
        });
    let strings = runs.flatten().filter_map(|i| match i {
        TextItem::Text(t) => Some(t.as_str()),
        _ => None,
    });
    strings.collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{Duration, NaiveDate, TimeZone, Utc};
    use printpdf::{Op, PdfDocument, PdfParseOptions};
    use shared_schemas::events::{Component, Coverage, FraudSignalKind};
    use uuid::Uuid;

    use super::*;
    use crate::domain::evidence::{Decision, SignalTrend, SimilarEntry};
    use crate::domain::model::{
        AlertRecord, Assessment, Claim, ClaimCost, ClaimPart, Contract, CoverageTerm, Eligibility,
        HealthPoint, Recommendation, RepairShop, Signal, SimilarClaim, VehicleRecord,
    };

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default() + Duration::days(n)
    }

    fn claim(id: u128) -> Claim {
        Claim {
            id: Uuid::from_u128(id),
            org_id: "org-t".to_owned(),
            vehicle_id: "VH-T1".to_owned(),
            vin: "1FTEST00000000042".to_owned(),
            component: Component::Battery,
            failure_date: day(40),
            odometer_km: 41_000.0,
            description: "Does not start in the morning.".to_owned(),
            shop: RepairShop {
                id: "S-9".to_owned(),
                name: "Test Garage".to_owned(),
                region: "US-IL".to_owned(),
            },
            cost: ClaimCost {
                parts: vec![ClaimPart {
                    part: "battery_12v".to_owned(),
                    quantity: 1,
                    unit_price: 180.0,
                }],
                labour_hours: 0.5,
                labour_rate: 90.0,
                currency: "USD".to_owned(),
            },
            submitted_by: "owner-7".to_owned(),
            submitted_at: Utc
                .with_ymd_and_hms(2025, 2, 11, 9, 0, 0)
                .single()
                .unwrap_or_default(),
        }
    }

    fn signal(i: usize) -> Signal {
        Signal {
            kind: FraudSignalKind::ShopHistory,
            name: format!("signal_number_{i}"),
            value: i as f64 / 10.0,
            weight: 0.1,
            explanation: format!("Signal {i} explained at some length: ").repeat(3),
        }
    }

    fn assessment(signals: Vec<Signal>) -> Assessment {
        Assessment {
            eligibility: Eligibility {
                eligible: true,
                coverage: Some(Coverage::Basic),
                reasons: vec!["basic coverage in force".to_owned()],
                days_since_start: Some(400),
                days_to_end: Some(695),
                km_to_limit: Some(5_000.0),
            },
            score: 0.41,
            confidence: 0.8,
            signals,
            recommendation: Recommendation::Review,
            reasons: vec!["the shop's approval rate is low".to_owned()],
            features: BTreeMap::new(),
        }
    }

    fn pack(signals: usize, alerts: usize) -> EvidencePack {
        let history = (0..40)
            .map(|d| HealthPoint {
                day: day(d),
                score: 1.0 - d as f64 / 45.0,
                band: "fair".to_owned(),
                rul_days: (d > 20).then_some(40.0 - d as f64),
            })
            .collect();
        let alert = |i: usize| AlertRecord {
            alert_id: Uuid::from_u128(1000 + i as u128),
            component: Some(Component::Battery),
            severity: "warning".to_owned(),
            created_at: Utc
                .with_ymd_and_hms(2025, 1, 20, 8, 0, 0)
                .single()
                .unwrap_or_default(),
            acknowledged_at: None,
        };
        EvidencePack {
            claim: claim(7),
            contract: Some(Contract {
                vehicle_id: "VH-T1".to_owned(),
                org_id: "org-t".to_owned(),
                vin: "1FTEST00000000042".to_owned(),
                start_date: day(-400),
                start_odometer_km: 10.0,
                terms: vec![CoverageTerm {
                    coverage: Coverage::Basic,
                    months: 36,
                    km: Some(36_000.0),
                    components: vec![Component::Battery, Component::Cooling],
                }],
                deductible: 100.0,
                currency: "USD".to_owned(),
            }),
            assessment: assessment((0..signals).map(signal).collect()),
            record: VehicleRecord {
                telemetry_available: true,
                component_history: history,
                alerts: (0..alerts).map(alert).collect(),
                ..VehicleRecord::default()
            },
            trends: vec![SignalTrend {
                name: "battery_voltage".to_owned(),
                unit: "V".to_owned(),
                points: (0..40).map(|d| (day(d), 12.6 - d as f64 / 40.0)).collect(),
            }],
            similar: vec![SimilarEntry {
                hit: SimilarClaim {
                    claim_id: Uuid::from_u128(99),
                    similarity: 0.93,
                },
                claim: Some(claim(99)),
                outcome: Some("rejected".to_owned()),
                fraud_confirmed: true,
            }],
            decision: Some(Decision {
                outcome: "needs_review".to_owned(),
                by: Some("reviewer-3".to_owned()),
                at: Utc
                    .with_ymd_and_hms(2025, 2, 12, 10, 0, 0)
                    .single()
                    .unwrap_or_default(),
                note: Some("Asked the shop for the old battery.".to_owned()),
            }),
        }
    }

    fn parse(bytes: &[u8]) -> PdfDocument {
        assert!(bytes.starts_with(b"%PDF-"), "no PDF header");
        let tail = String::from_utf8_lossy(&bytes[bytes.len().saturating_sub(32)..]).into_owned();
        assert!(
            tail.trim_end().ends_with("%%EOF"),
            "no %%EOF at the end: {tail:?}"
        );
        PdfDocument::parse(bytes, &PdfParseOptions::default(), &mut Vec::new())
            .expect("the PDF parses back")
    }

    fn count(doc: &PdfDocument, f: impl Fn(&Op) -> bool) -> usize {
        doc.pages
            .iter()
            .flat_map(|p| &p.ops)
            .filter(|o| f(o))
            .count()
    }

    #[test]
    fn a_pack_shows_the_claim_every_signal_and_the_decision() {
        let p = pack(3, 2);
        let doc = parse(&render(&p));
        let t = texts(&doc);
        let n = doc.pages.len();
        for needle in [
            p.claim.id.to_string().as_str(),
            "1FTEST00000000042",
            "signal_number_0",
            "signal_number_1",
            "signal_number_2 (shop_history)",
            "failure 2025-02-10",
            "battery_voltage (V)",
            "2 alert(s), 2 never acknowledged.",
            "00000000-0000-0000-0000-000000000063",
            "rejected, fraud confirmed",
            "reviewer-3",
            "Payable if approved",
            &format!("page {n} of {n}"),
        ] {
            assert!(t.contains(needle), "{needle} missing from {t}");
        }
        let lines = count(&doc, |o| matches!(o, Op::DrawLine { .. }));
        let fills = count(&doc, |o| matches!(o, Op::DrawPolygon { .. }));
        assert!(lines >= 10, "chart axes, grid, series and markers: {lines}");
        assert_eq!(fills, 7, "five health bands and a square per alert");
    }

    #[test]
    fn a_long_pack_continues_on_numbered_pages() {
        let doc = parse(&render(&pack(40, 60)));
        let n = doc.pages.len();
        assert!(n >= 3, "{n} pages");
        let t = texts(&doc);
        assert!(t.contains(&format!("page {n} of {n}")));
        assert!(t.contains("signal_number_39") && t.contains("60 alert(s)"));
        assert!(t.matches("Explanation").count() >= 2, "the header repeats");
    }

    #[test]
    fn an_empty_record_renders_and_says_what_is_missing() {
        let mut p = pack(0, 0);
        p.contract = None;
        p.record = VehicleRecord::default();
        p.trends.clear();
        p.similar.clear();
        p.decision = None;
        p.assessment.reasons.clear();
        p.claim.cost.parts.clear();
        let doc = parse(&render(&p));
        assert_eq!(doc.pages.len(), 1);
        let t = texts(&doc);
        for needle in [
            "No telemetry",
            "No contract on record",
            "No alerts on record",
            "No fraud signals found.",
            "No similar claims",
            "Not decided yet",
            &p.claim.id.to_string(),
        ] {
            assert!(t.contains(needle), "{needle} missing from {t}");
        }
        assert!(!t.contains("signal_number"));
    }

    #[test]
    fn odd_values_do_not_break_the_pack() {
        let mut p = pack(1, 1);
        p.claim.description = "Zürich – ".repeat(300);
        p.record.component_history.truncate(1);
        p.record.component_history[0].score = f64::NAN;
        p.record.component_history[0].rul_days = Some(f64::INFINITY);
        p.trends[0].points = vec![(day(3), 5.0)];
        p.trends.push(SignalTrend {
            name: "empty".to_owned(),
            unit: "kPa".to_owned(),
            points: vec![(day(1), f64::NAN)],
        });
        p.similar[0].claim = None;
        let t = texts(&parse(&render(&p)));
        assert!(t.contains("Z?rich - Z?rich"));
        assert!(t.contains("empty (kPa): no readings before the failure."));
        assert!(t.contains("no longer on record"));
    }
}
