//! Each signal fires on the evidence it names and stays silent without it.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use shared_schemas::events::{Component, FraudSignalKind};
use uuid::Uuid;

use super::features::{NAMES, extract};
use super::*;
use crate::domain::model::{
    AlertRecord, AppointmentRecord, ClaimCost, ClaimPart, DayUsage, HealthPoint, PastClaim,
    RepairShop, SimilarClaim,
};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 1).expect("date") + Duration::days(i64::from(d))
}

fn claim() -> Claim {
    Claim {
        id: Uuid::from_u128(1),
        org_id: "org".into(),
        vehicle_id: "veh-1".into(),
        vin: "1FUJGLDR0CLBP8834".into(),
        component: Component::Dpf,
        failure_date: day(60),
        odometer_km: 120_000.0,
        description: "DPF clogged, regen fails".into(),
        shop: RepairShop {
            id: "shop-1".into(),
            name: "Shop".into(),
            region: "Chicago".into(),
        },
        cost: ClaimCost {
            parts: vec![ClaimPart {
                part: "dpf_filter".into(),
                quantity: 1,
                unit_price: 2_400.0,
            }],
            labour_hours: 4.5,
            labour_rate: 120.0,
            currency: "USD".into(),
        },
        submitted_by: "owner".into(),
        submitted_at: Utc.with_ymd_and_hms(2025, 8, 1, 0, 0, 0).unwrap(),
    }
}

fn eligibility() -> Eligibility {
    Eligibility {
        eligible: true,
        coverage: None,
        reasons: vec![],
        days_since_start: Some(700),
        days_to_end: Some(400),
        km_to_limit: Some(40_000.0),
    }
}

/// A record whose DPF declined to poor before the failure.
fn record() -> VehicleRecord {
    let history = (0..=60)
        .map(|d| HealthPoint {
            day: day(d),
            score: 0.95 - 0.6 * f64::from(d) / 60.0,
            band: "good".into(),
            rul_days: None,
        })
        .collect();
    VehicleRecord {
        telemetry_available: true,
        first_reading_at: None,
        last_reading_at: None,
        reporting_at_failure: Some(true),
        component_history: history,
        telemetry_odometer_km: Some(119_980.0),
        odometer_anomalies: vec![],
        alerts: vec![],
        appointments: vec![],
        usage: vec![],
    }
}

fn strength(c: &Claim, e: &Eligibility, r: &VehicleRecord, h: &ClaimHistory, name: &str) -> f64 {
    let i = NAMES.iter().position(|n| *n == name).expect("feature");
    extract(c, e, r, h)[i].strength
}

fn base(name: &str) -> f64 {
    strength(
        &claim(),
        &eligibility(),
        &record(),
        &ClaimHistory::default(),
        name,
    )
}

fn past(component: Component, days_before: i64, fraud: bool, status: &str) -> PastClaim {
    PastClaim {
        claim_id: Uuid::new_v4(),
        vin: claim().vin,
        component,
        failure_date: day(60) - Duration::days(days_before),
        shop_id: "shop-1".into(),
        status: Some(status.into()),
        fraud_confirmed: fraud,
    }
}

#[test]
fn a_clean_claim_fires_nothing_and_is_approved() {
    for name in NAMES {
        assert_eq!(base(name), 0.0, "{name}");
    }
    let a = assess(
        &claim(),
        &eligibility(),
        &record(),
        &ClaimHistory::default(),
    );
    assert_eq!(a.recommendation, Recommendation::AutoApprove, "{a:?}");
    assert!(a.signals.is_empty());
}

#[test]
fn repeats_fire_within_a_year_only() {
    let mut h = ClaimHistory::default();
    h.same_vin
        .push(past(Component::Dpf, 500, false, "approved"));
    assert_eq!(
        strength(
            &claim(),
            &eligibility(),
            &record(),
            &h,
            "repeat_same_component"
        ),
        0.0
    );
    h.same_vin.push(past(Component::Dpf, 90, false, "approved"));
    h.same_vin
        .push(past(Component::Brakes, 30, false, "approved"));
    assert!(
        strength(
            &claim(),
            &eligibility(),
            &record(),
            &h,
            "repeat_same_component"
        ) > 0.0
    );
    assert!(strength(&claim(), &eligibility(), &record(), &h, "repeat_same_vin") > 0.5);
}

#[test]
fn timing_fires_near_start_and_end() {
    let mut e = eligibility();
    e.days_since_start = Some(10);
    assert!(
        strength(
            &claim(),
            &e,
            &record(),
            &ClaimHistory::default(),
            "near_coverage_start"
        ) > 0.8
    );
    let mut e = eligibility();
    e.km_to_limit = Some(500.0);
    assert!(
        strength(
            &claim(),
            &e,
            &record(),
            &ClaimHistory::default(),
            "near_coverage_end"
        ) > 0.8
    );
    e.km_to_limit = None;
    e.days_to_end = Some(45);
    let s = strength(
        &claim(),
        &e,
        &record(),
        &ClaimHistory::default(),
        "near_coverage_end",
    );
    assert!((s - 0.5).abs() < 1e-9);
}

#[test]
fn no_prior_degradation_depends_on_the_component() {
    let mut r = record();
    for p in &mut r.component_history {
        p.score = 0.97;
    }
    let dpf = strength(
        &claim(),
        &eligibility(),
        &r,
        &ClaimHistory::default(),
        "no_prior_degradation",
    );
    let mut cooling = claim();
    cooling.component = Component::Cooling;
    cooling.cost.parts[0].part = "water_pump".into();
    let cool = strength(
        &cooling,
        &eligibility(),
        &r,
        &ClaimHistory::default(),
        "no_prior_degradation",
    );
    assert!(dpf > 0.9 && cool < 0.3, "{dpf} {cool}");
}

#[test]
fn a_claimed_odometer_within_the_failure_days_driving_agrees() {
    let c = claim();
    let mut r = record();
    // The day's readings ran from 119,200 to 120,100 km; the claim says 120,000.
    r.telemetry_odometer_km = Some(119_500.0);
    r.usage = vec![DayUsage {
        day: c.failure_date,
        distance_km: 900.0,
        odometer_km: Some(120_100.0),
    }];
    let s = |c: &Claim, r: &VehicleRecord| {
        strength(
            c,
            &eligibility(),
            r,
            &ClaimHistory::default(),
            "odometer_disagreement",
        )
    };
    assert_eq!(s(&c, &r), 0.0);
    let mut low = c.clone();
    low.odometer_km = 116_000.0;
    assert!(s(&low, &r) > 0.9, "3,200 km below the day's first reading");
    r.usage.clear();
    assert!(
        s(&c, &r) > 0.0,
        "without the day's use, the noon reading is the reference"
    );
}

#[test]
fn odometer_signals_fire_on_disagreement_and_rollback() {
    let mut r = record();
    r.telemetry_odometer_km = Some(135_000.0);
    assert!(
        strength(
            &claim(),
            &eligibility(),
            &r,
            &ClaimHistory::default(),
            "odometer_disagreement"
        ) > 0.9
    );
    let when = Utc.with_ymd_and_hms(2025, 7, 1, 0, 0, 0).unwrap();
    r.odometer_anomalies.push((when, "spike".into()));
    assert_eq!(
        strength(
            &claim(),
            &eligibility(),
            &r,
            &ClaimHistory::default(),
            "odometer_anomaly_on_record"
        ),
        0.0
    );
    r.odometer_anomalies.push((when, "rollback".into()));
    assert_eq!(
        strength(
            &claim(),
            &eligibility(),
            &r,
            &ClaimHistory::default(),
            "odometer_anomaly_on_record"
        ),
        1.0
    );
}

#[test]
fn in_service_fires_when_the_vehicle_drove_as_usual_through_the_failure() {
    let c = claim();
    let usage = |after_km: f64| -> VehicleRecord {
        let mut r = record();
        r.usage = (-14..2)
            .map(|d| DayUsage {
                day: c.failure_date + Duration::days(d),
                distance_km: if d < 0 { 300.0 } else { after_km },
                odometer_km: None,
            })
            .collect();
        r
    };
    let s = |r: &VehicleRecord| {
        strength(
            &c,
            &eligibility(),
            r,
            &ClaimHistory::default(),
            "in_service_at_failure",
        )
    };
    assert_eq!(s(&usage(320.0)), 1.0, "drove as usual");
    assert_eq!(s(&usage(40.0)), 0.0, "off the road");
    assert!((s(&usage(210.0)) - 0.5).abs() < 1e-9, "in between");
    assert_eq!(s(&record()), 0.0, "no usage: not judged");
    let mut idle = usage(300.0);
    idle.usage.iter_mut().for_each(|u| u.distance_km = 10.0);
    assert_eq!(s(&idle), 0.0, "too little use to judge");
}

#[test]
fn not_reporting_fires_when_silent() {
    let mut r = record();
    r.reporting_at_failure = Some(false);
    assert_eq!(
        strength(
            &claim(),
            &eligibility(),
            &r,
            &ClaimHistory::default(),
            "not_reporting_at_failure"
        ),
        1.0
    );
}

#[test]
fn labour_and_parts_fire_on_the_bill() {
    let mut c = claim();
    c.cost.labour_hours = 13.5;
    assert!(
        strength(
            &c,
            &eligibility(),
            &record(),
            &ClaimHistory::default(),
            "labour_over_standard"
        ) > 0.99
    );
    let foreign = |c: &Claim| {
        strength(
            c,
            &eligibility(),
            &record(),
            &ClaimHistory::default(),
            "parts_inconsistent",
        )
    };
    assert_eq!(foreign(&c), 0.0);
    // A coolant top-up on another job is tolerated; a turbocharger is not.
    c.cost.parts.push(ClaimPart {
        part: "coolant_5l".into(),
        quantity: 2,
        unit_price: 45.0,
    });
    assert_eq!(foreign(&c), 0.0);
    c.cost.parts.push(ClaimPart {
        part: "turbocharger".into(),
        quantity: 1,
        unit_price: 2_400.0,
    });
    assert_eq!(foreign(&c), 1.0);
}

#[test]
fn shop_history_fires_on_fraud_and_low_approval() {
    let mut h = ClaimHistory::default();
    for k in 0..4 {
        h.same_shop
            .push(past(Component::Brakes, 200 + k, false, "approved"));
    }
    assert_eq!(
        strength(&claim(), &eligibility(), &record(), &h, "shop_low_approval"),
        0.0
    );
    for k in 0..6 {
        h.same_shop
            .push(past(Component::Brakes, 100 + k, k < 3, "rejected"));
    }
    assert!(strength(&claim(), &eligibility(), &record(), &h, "shop_low_approval") > 0.5);
    assert_eq!(
        strength(
            &claim(),
            &eligibility(),
            &record(),
            &h,
            "shop_confirmed_fraud"
        ),
        1.0
    );
}

#[test]
fn region_and_duplicates_fire_on_clusters() {
    let mut h = ClaimHistory {
        region_recent: 20,
        ..ClaimHistory::default()
    };
    h.similar.push(SimilarClaim {
        claim_id: Uuid::new_v4(),
        similarity: 0.6,
    });
    assert!(strength(&claim(), &eligibility(), &record(), &h, "regional_cluster") > 0.99);
    assert_eq!(
        strength(&claim(), &eligibility(), &record(), &h, "near_duplicate"),
        0.0
    );
    h.similar.push(SimilarClaim {
        claim_id: Uuid::new_v4(),
        similarity: 0.97,
    });
    assert!(strength(&claim(), &eligibility(), &record(), &h, "near_duplicate") > 0.85);
}

#[test]
fn ignored_warnings_send_to_review_without_raising_the_score() {
    let mut r = record();
    let clean = assess(&claim(), &eligibility(), &r, &ClaimHistory::default());
    let raised = Utc.with_ymd_and_hms(2025, 7, 20, 0, 0, 0).unwrap();
    r.alerts.push(AlertRecord {
        alert_id: Uuid::new_v4(),
        component: Some(Component::Dpf),
        severity: "critical".into(),
        created_at: raised,
        acknowledged_at: Some(raised + Duration::hours(2)),
    });
    let a = assess(&claim(), &eligibility(), &r, &ClaimHistory::default());
    assert_eq!(a.recommendation, Recommendation::Review);
    assert_eq!(a.score, clean.score);
    assert!(
        a.signals
            .iter()
            .any(|s| s.kind == FraudSignalKind::IgnoredWarnings)
    );
    r.appointments.push(AppointmentRecord {
        appointment_id: Uuid::new_v4(),
        component: Some(Component::Dpf),
        starts_at: raised + Duration::days(3),
        status: "scheduled".into(),
    });
    let booked = assess(&claim(), &eligibility(), &r, &ClaimHistory::default());
    assert_eq!(booked.recommendation, Recommendation::AutoApprove);
}

#[test]
fn recommendation_follows_eligibility_score_and_confidence() {
    assert_eq!(recommend(false, 0.0, 1.0, false), Recommendation::Reject);
    assert_eq!(
        recommend(true, 0.1, 0.95, false),
        Recommendation::AutoApprove
    );
    assert_eq!(recommend(true, 0.1, 0.5, false), Recommendation::Review);
    assert_eq!(recommend(true, 0.8, 1.0, false), Recommendation::Review);
    let mut r = record();
    r.telemetry_available = false;
    assert!(confidence(&r) < APPROVE_CONFIDENCE);
}

#[test]
fn strong_evidence_scores_high_with_explained_signals() {
    let mut c = claim();
    c.cost.labour_hours = 14.0;
    let mut r = record();
    for p in &mut r.component_history {
        p.score = 0.97;
    }
    let mut h = ClaimHistory::default();
    h.same_vin.push(past(Component::Dpf, 60, false, "approved"));
    let a = assess(&c, &eligibility(), &r, &h);
    assert!(a.score > FLAG_SCORE, "{a:?}");
    assert_eq!(a.recommendation, Recommendation::Review);
    assert!(a.signals.windows(2).all(|w| w[0].weight >= w[1].weight));
    assert!(
        a.signals[0]
            .explanation
            .chars()
            .any(|ch| ch.is_ascii_digit())
    );
    assert!(a.reasons[0].contains("flagged"));
}
