use super::*;
use crate::decisions::event::{DecidedEvent, HealthEvent};
use crate::decisions::replay::{Decision, RulCheck};
use shared_schemas::events::{
    ChangeReason, Component, ComponentHealth, HealthBand, HealthChanged, Severity,
};

const START: i64 = 1_000 * DAY;
const END: i64 = START + 100 * DAY;

fn day(d: i64) -> i64 {
    START + d * DAY
}

fn decision(d: i64, component: Component, severity: Severity, within: i64) -> Decision {
    Decision {
        at: day(d),
        component,
        severity,
        act_by: day(d + within),
        act_by_interval: day(d + within),
        warns: true,
        past_limit: false,
    }
}

fn vehicle(faults: Vec<FaultEpisode>, decisions: Vec<Decision>) -> VehicleReplay {
    VehicleReplay {
        vehicle_id: "VH-1".into(),
        readings: 0,
        faults,
        degraded: Vec::new(),
        decisions,
        events: Vec::new(),
        codes: Vec::new(),
        rul_checks: Vec::new(),
    }
}

fn dpf(onset: i64, failure: Option<i64>) -> FaultEpisode {
    FaultEpisode {
        component: Component::Dpf,
        mode: "dpf_clogging".to_owned(),
        onset: day(onset),
        failure: failure.map(day),
        repaired: None,
    }
}

#[test]
fn a_failure_is_warned_by_the_earliest_deadline_and_its_unused_life_counted() {
    // Onset day 10, failure day 50: a low decision on day 20 (act within 30 → day
    // 50: too late), a medium one on day 38 (act by day 45: five days ahead).
    let run = vehicle(
        vec![dpf(10, Some(50))],
        vec![
            decision(20, Component::Dpf, Severity::Low, 30),
            decision(38, Component::Dpf, Severity::Medium, 7),
        ],
    );
    let s = score(&[run], START, END);
    assert_eq!((s.failures, s.warned), (1, 1));
    assert!((s.unused_life_p50() - 5.0 / 40.0).abs() < 1e-9);
    // True days left: 30 (low) and 12 (medium): both right.
    assert_eq!(s.band_confusion[0][0], 1);
    assert_eq!(s.band_confusion[1][1], 1);
    assert_eq!(s.bands_too_low(), (0.0, 0.0));
    assert_eq!(s.by_mode["dpf_clogging"], (1, 1));
}

#[test]
fn the_interval_deadline_is_scored_beside_the_rules() {
    // Failure day 50, onset 10: the rules say act by day 42, the interval by day 48.
    let run = vehicle(
        vec![dpf(10, Some(50))],
        vec![Decision {
            act_by_interval: day(48),
            ..decision(36, Component::Dpf, Severity::Medium, 6)
        }],
    );
    let s = score(&[run], START, END);
    assert_eq!((s.warned, s.by_interval.0), (1, 1));
    assert!((s.unused_life_p50() - 8.0 / 40.0).abs() < 1e-9);
    assert!((s.unused_life_p50_by_interval() - 2.0 / 40.0).abs() < 1e-9);
    assert!((s.warned_share_by_interval() - 1.0).abs() < 1e-9);
}

#[test]
fn a_deadline_less_than_a_day_ahead_is_a_miss_and_a_late_band_is_too_low() {
    let run = vehicle(
        vec![dpf(10, Some(50))],
        // Two days left, rated high (one band too low), act by half a day before.
        vec![Decision {
            act_by: day(49) + DAY / 2,
            act_by_interval: day(49) + DAY / 2,
            ..decision(48, Component::Dpf, Severity::High, 0)
        }],
    );
    let s = score(&[run], START, END);
    assert_eq!((s.failures, s.warned), (1, 0));
    assert_eq!(s.bands_too_low(), (1.0, 0.0));
    // One missed failure in 100 vehicle-days: 500 × 1 × 1000 / 100.
    assert!((s.cost() - 5_000.0).abs() < 1e-9);
    assert!((s.cost_without_prognosis() - 5_000.0).abs() < 1e-9);
}

#[test]
fn decisions_without_a_fault_are_false_alarms_and_early_pages() {
    let healthy = vehicle(
        Vec::new(),
        vec![
            decision(5, Component::Brakes, Severity::Medium, 7),
            decision(6, Component::Brakes, Severity::Critical, 1),
            decision(7, Component::Brakes, Severity::Low, 30),
        ],
    );
    // A faulty vehicle with a decision about the wrong component.
    let faulty = vehicle(
        vec![dpf(10, Some(50))],
        vec![decision(40, Component::Cooling, Severity::High, 3)],
    );
    let s = score(&[healthy, faulty], START, END);
    assert_eq!(s.false_alarms, 3);
    assert_eq!(s.healthy_alarms, 2);
    assert!((s.healthy_alarms_per_1000() - 20.0).abs() < 1e-9);
    assert_eq!(s.critical, (1, 1));
    assert_eq!(s.critical_early_causes, (1, 0));
    assert_eq!(s.pages, (2, 2));
    assert_eq!(s.band_confusion.iter().flatten().sum::<usize>(), 0);
    // 3 false alarms and 1 missed failure over 200 vehicle-days.
    assert!((s.cost() - (30.0 + 500.0) * 1000.0 / 200.0).abs() < 1e-9);
}

#[test]
fn faults_failing_in_the_warm_up_are_not_scored_and_unknown_ends_are_skipped() {
    let run = vehicle(
        vec![
            dpf(-20, Some(3)),
            FaultEpisode {
                component: Component::Cooling,
                ..dpf(60, None)
            },
        ],
        vec![
            // The cooling fault does not fail in the run: 20 days left at least (low)
            // and 5 at least (unknown).
            decision(80, Component::Cooling, Severity::Medium, 7),
            decision(95, Component::Cooling, Severity::Critical, 1),
        ],
    );
    let s = score(&[run], START, END);
    assert_eq!((s.failures, s.failures_in_warm_up), (0, 1));
    assert_eq!(s.band_confusion[0][1], 1);
    assert_eq!(s.band_confusion.iter().flatten().sum::<usize>(), 1);
    assert_eq!(
        s.critical,
        (1, 0),
        "a critical with at most 5 days known is not early"
    );
    assert_eq!(s.false_alarms, 0);
}

#[test]
fn alarms_intervals_and_codes_are_scored_against_the_fault_present() {
    let mut run = vehicle(vec![dpf(10, Some(50))], Vec::new());
    run.degraded = vec![(day(30), Component::Dpf), (day(31), Component::Brakes)];
    run.codes = vec![(day(47), Component::Dpf), (day(60), Component::EngineOil)];
    let check = |d: i64, interval: [f64; 2]| RulCheck {
        at: day(d),
        component: Component::Dpf,
        predicted: 10.0,
        interval: Some(interval),
        degrading: true,
        poor: false,
    };
    run.rul_checks = vec![check(40, [8.0, 12.0]), check(45, [1.0, 3.0])];
    let s = score(&[run], START, END);
    assert_eq!(s.alarms, (1, 1));
    assert!((s.precision() - 0.5).abs() < 1e-9);
    assert_eq!(s.leads_days, vec![20.0]);
    assert_eq!(s.coverage, (2, 1));
    assert_eq!(
        s.codes,
        BaselineCost {
            warned: 1,
            false_alarms: 1
        }
    );
}

/// The event of a decision whose component health gave `interval` (a degrading part)
/// or none (a RUL from the damage level alone).
fn event_with(interval: Option<[f64; 2]>) -> DecidedEvent {
    let health = ComponentHealth {
        component: Component::Dpf,
        score: 0.7,
        band: HealthBand::Good,
        rul_days: 200.0,
        rul_km: None,
        rul_interval_days: interval,
        confidence: 0.5,
        factors: Vec::new(),
        model_version: "test".to_owned(),
    };
    DecidedEvent {
        event: HealthEvent::Changed(HealthChanged {
            org_id: "org".to_owned(),
            vehicle_id: "VH-1".to_owned(),
            component: Component::Dpf,
            previous_score: 0.9,
            previous_band: HealthBand::Excellent,
            current_score: 0.7,
            current_band: HealthBand::Good,
            rul_days: 200.0,
            reason: ChangeReason::BandCrossed,
            detected_at: chrono::DateTime::from_timestamp(0, 0).unwrap_or_default(),
        }),
        health,
        daily_km: None,
    }
}

#[test]
fn decisions_two_bands_too_low_are_told_apart_by_whether_a_trend_was_found() {
    // Failure day 50: low decisions on days 44 and 45 (true band high, two too low),
    // the first on a level alone, the second on a trend; a low one on day 10 is right.
    let mut run = vehicle(
        vec![dpf(5, Some(50))],
        vec![
            decision(10, Component::Dpf, Severity::Low, 30),
            decision(44, Component::Dpf, Severity::Low, 30),
            decision(45, Component::Dpf, Severity::Low, 30),
        ],
    );
    run.events = vec![
        event_with(None),
        event_with(None),
        event_with(Some([20.0, 60.0])),
    ];
    let s = score(&[run], START, END);
    assert_eq!(s.band_confusion[2][0], 2);
    assert_eq!(s.two_low_before_trend, (2, 1));
}
