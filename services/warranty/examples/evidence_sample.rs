//! Renders a sample evidence pack, built by hand: a diesel truck's DPF degrading over 90
//! days, two warnings never acknowledged, three fraud signals, a reviewer's decision.
//!
//!     cargo run -p warranty --example evidence_sample -- docs/warranty/evidence-sample.pdf

use std::collections::BTreeMap;

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use shared_schemas::events::{Component, Coverage, FraudSignalKind};
use uuid::Uuid;
use warranty::domain::evidence::{Decision, EvidencePack, SignalTrend, SimilarEntry, render};
use warranty::domain::model::{
    AlertRecord, AppointmentRecord, Assessment, Claim, ClaimCost, ClaimPart, Contract,
    CoverageTerm, Eligibility, HealthPoint, Recommendation, RepairShop, Signal, SimilarClaim,
    VehicleRecord,
};

const FAILURE: (i32, u32, u32) = (2025, 3, 14);
const VIN: &str = "1FUJGLDR7CLBP8834";

fn failure() -> NaiveDate {
    NaiveDate::from_ymd_opt(FAILURE.0, FAILURE.1, FAILURE.2).unwrap_or_default()
}

fn at(days_before: i64, hour: u32) -> DateTime<Utc> {
    let day = failure() - Duration::days(days_before);
    Utc.from_utc_datetime(&day.and_hms_opt(hour, 0, 0).unwrap_or_default())
}

fn main() -> anyhow::Result<()> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "docs/warranty/evidence-sample.pdf".to_owned());
    let bytes = render(&pack());
    std::fs::write(&out, &bytes).with_context(|| format!("writing {out}"))?;
    println!("{out}: {} bytes", bytes.len());
    Ok(())
}

fn pack() -> EvidencePack {
    EvidencePack {
        claim: claim(),
        contract: Some(contract()),
        assessment: assessment(),
        record: record(),
        trends: trends(),
        similar: vec![
            similar(0x5e1, 0.91, "rejected", true),
            similar(0x7a2, 0.74, "paid", false),
        ],
        decision: Some(Decision {
            outcome: "rejected".to_owned(),
            by: Some("reviewer.maria@fleet.local".to_owned()),
            at: at(-6, 15),
            note: Some(
                "DPF warnings raised 34 and 19 days before the failure were never \
                 acknowledged and no regeneration service was booked; labour is also well \
                 above the standard time. Owner negligence: not covered."
                    .to_owned(),
            ),
        }),
    }
}

fn claim() -> Claim {
    Claim {
        id: Uuid::from_u128(0x0195_8a1c_3f00_7c2e_9b41_d2c5_6e7f_8a90),
        org_id: "acme-logistics".to_owned(),
        vehicle_id: "VH-000017".to_owned(),
        vin: VIN.to_owned(),
        component: Component::Dpf,
        failure_date: failure(),
        odometer_km: 87_412.0,
        description: "Engine derated on the highway, DPF warning lamp on. Filter found \
                      cracked and plugged; replaced filter and differential pressure sensor."
            .to_owned(),
        shop: RepairShop {
            id: "US-IL-DLR-0412".to_owned(),
            name: "Prairie Truck Service".to_owned(),
            region: "US-IL".to_owned(),
        },
        cost: ClaimCost {
            parts: vec![
                part("dpf_filter", 1, 2_840.0),
                part("dpf_pressure_sensor", 1, 212.5),
                part("exhaust_gasket", 2, 18.9),
            ],
            labour_hours: 9.5,
            labour_rate: 145.0,
            currency: "USD".to_owned(),
        },
        submitted_by: "owner.jlee@acme.example".to_owned(),
        submitted_at: at(-2, 10),
    }
}

fn part(name: &str, quantity: u32, unit_price: f64) -> ClaimPart {
    ClaimPart {
        part: name.to_owned(),
        quantity,
        unit_price,
    }
}

fn contract() -> Contract {
    let term = |coverage, months, km: Option<f64>, components: &[Component]| CoverageTerm {
        coverage,
        months,
        km,
        components: components.to_vec(),
    };
    Contract {
        vehicle_id: "VH-000017".to_owned(),
        org_id: "acme-logistics".to_owned(),
        vin: VIN.to_owned(),
        start_date: NaiveDate::from_ymd_opt(2022, 6, 1).unwrap_or_default(),
        start_odometer_km: 35.0,
        terms: vec![
            term(
                Coverage::Basic,
                36,
                Some(36_000.0),
                &[Component::Cooling, Component::Battery],
            ),
            term(
                Coverage::Powertrain,
                60,
                Some(100_000.0),
                &[
                    Component::EngineOil,
                    Component::Dpf,
                    Component::ScrDef,
                    Component::Transmission,
                ],
            ),
            term(Coverage::Corrosion, 84, None, &[]),
        ],
        deductible: 250.0,
        currency: "USD".to_owned(),
    }
}

fn assessment() -> Assessment {
    let signal = |kind, name: &str, value, weight, explanation: &str| Signal {
        kind,
        name: name.to_owned(),
        value,
        weight,
        explanation: explanation.to_owned(),
    };
    Assessment {
        eligibility: Eligibility {
            eligible: true,
            coverage: Some(Coverage::Powertrain),
            reasons: vec![
                "powertrain coverage in force: 1,017 of 1,826 days, 87,377 of 100,000 km"
                    .to_owned(),
                "the dpf is a powertrain component".to_owned(),
            ],
            days_since_start: Some(1_017),
            days_to_end: Some(809),
            km_to_limit: Some(12_623.0),
        },
        score: 0.76,
        confidence: 0.93,
        signals: vec![
            signal(
                FraudSignalKind::IgnoredWarnings,
                "unacknowledged_alerts",
                2.0,
                0.34,
                "2 DPF alerts (warning 34 days, critical 19 days before the failure) were \
                 never acknowledged and no service was booked after them.",
            ),
            signal(
                FraudSignalKind::ShopHistory,
                "labour_hours_over_standard",
                2.1,
                0.24,
                "9.5 labour hours claimed against a standard of 4.5 h for a DPF \
                 replacement (2.1 times the standard).",
            ),
            signal(
                FraudSignalKind::NearDuplicate,
                "near_duplicate_claim",
                0.91,
                0.18,
                "Similarity 0.91 with a rejected DPF claim from the same shop 5 months \
                 earlier (text and cost structure).",
            ),
        ],
        recommendation: Recommendation::Review,
        reasons: vec![
            "Fraud score 0.76 is above 0.7: sent to human review.".to_owned(),
            "The DPF degraded steadily for 90 days; the failure is genuine but followed \
             ignored warnings."
                .to_owned(),
            "Labour hours are over twice the standard time.".to_owned(),
        ],
        features: BTreeMap::new(),
    }
}

/// 90 days of a DPF clogging: slow decline, a faster one once regenerations start failing.
fn record() -> VehicleRecord {
    let history = (0..=90)
        .filter(|d| !(52..=55).contains(d))
        .map(|d| {
            let t = f64::from(d) / 90.0;
            let wobble = (f64::from(d) * 1.7).sin() * 0.015;
            let score = (poly(t, &[0.93, -0.25, 0.0, 0.0, -0.55]) + wobble).clamp(0.02, 1.0);
            HealthPoint {
                day: failure() - Duration::days(90 - i64::from(d)),
                score,
                band: band(score).to_owned(),
                rul_days: (d >= 45).then(|| ((score - 0.1) / 0.009).max(0.0)),
            }
        })
        .collect();
    let alert = |days_before, severity: &str| AlertRecord {
        alert_id: Uuid::from_u128(0xa1e7_0000 + days_before as u128),
        component: Some(Component::Dpf),
        severity: severity.to_owned(),
        created_at: at(days_before, 7),
        acknowledged_at: None,
    };
    VehicleRecord {
        telemetry_available: true,
        first_reading_at: Some(
            Utc.with_ymd_and_hms(2022, 6, 2, 8, 0, 0)
                .single()
                .unwrap_or_default(),
        ),
        last_reading_at: Some(at(0, 11)),
        reporting_at_failure: Some(true),
        component_history: history,
        telemetry_odometer_km: Some(87_398.0),
        odometer_anomalies: Vec::new(),
        alerts: vec![alert(34, "warning"), alert(19, "critical")],
        appointments: vec![AppointmentRecord {
            appointment_id: Uuid::from_u128(0xa990),
            component: Some(Component::Brakes),
            starts_at: at(120, 9),
            status: "completed".to_owned(),
        }],
        usage: Vec::new(),
    }
}

/// `c[0] + c[1] t + c[2] t² + …` (Horner).
fn poly(t: f64, c: &[f64]) -> f64 {
    c.iter().rev().fold(0.0, |acc, k| acc.mul_add(t, *k))
}

fn band(score: f64) -> &'static str {
    match score {
        s if s >= 0.8 => "excellent",
        s if s >= 0.6 => "good",
        s if s >= 0.4 => "fair",
        s if s >= 0.2 => "poor",
        _ => "critical",
    }
}

fn trends() -> Vec<SignalTrend> {
    let series = |name: &str, unit: &str, f: fn(f64) -> f64| SignalTrend {
        name: name.to_owned(),
        unit: unit.to_owned(),
        points: (0..=90)
            .map(|d| {
                (
                    failure() - Duration::days(90 - i64::from(d)),
                    f(f64::from(d) / 90.0),
                )
            })
            .collect(),
    };
    vec![
        series("dpf_diff_pressure", "kPa", |t| {
            poly(t, &[4.0, 3.0, 0.0, 0.0, 14.0])
        }),
        series("soot_load", "%", |t| {
            poly(t, &[35.0, 40.0, 0.0, 30.0]).min(100.0)
        }),
    ]
}

fn similar(id: u128, similarity: f64, outcome: &str, fraud: bool) -> SimilarEntry {
    let mut past = claim();
    past.id = Uuid::from_u128(0x0194_0000_0000_7000_8000_0000_0000_0000 + id);
    past.vehicle_id = format!("VH-{:06}", id % 1000);
    past.failure_date = failure() - Duration::days(150);
    SimilarEntry {
        hit: SimilarClaim {
            claim_id: past.id,
            similarity,
        },
        claim: Some(past),
        outcome: Some(outcome.to_owned()),
        fraud_confirmed: fraud,
    }
}
