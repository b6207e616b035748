//! Each trigger alone, "whichever comes first", and counters missing or going back.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::{Counters, DueStatus, LastService, MaintenancePlan, Trigger, due};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("instant")
}

/// Every 20,000 km, 500 engine hours or 180 days.
fn plan() -> MaintenancePlan {
    MaintenancePlan {
        every_km: Some(20_000.0),
        every_engine_hours: Some(500.0),
        every_days: Some(180),
        skill: "general".into(),
        duration_minutes: 90,
        parts: BTreeMap::from([(String::from("oil_filter"), 1)]),
        title: "A service".into(),
    }
}

fn last() -> LastService {
    LastService {
        at: t0(),
        odometer_km: Some(100_000.0),
        engine_hours: Some(3_000.0),
    }
}

/// `days` after the service, `km` and `hours` more on the counters.
fn now(days: i64, km: f64, hours: f64, daily_km: Option<f64>) -> Counters {
    Counters {
        at: t0() + Duration::days(days),
        odometer_km: Some(100_000.0 + km),
        engine_hours: Some(3_000.0 + hours),
        daily_km,
    }
}

fn only(km: Option<f64>, hours: Option<f64>, days: Option<u32>) -> MaintenancePlan {
    MaintenancePlan {
        every_km: km,
        every_engine_hours: hours,
        every_days: days,
        ..plan()
    }
}

#[test]
fn nothing_due_early_on() {
    assert_eq!(
        due(&plan(), &last(), &now(10, 1_000.0, 20.0, Some(100.0))),
        DueStatus::NotDue
    );
}

#[test]
fn distance_soon_within_ten_percent_then_overdue() {
    let p = only(Some(20_000.0), None, None);
    // 1,500 km left (7.5 %), no daily distance given: estimated from history.
    match due(&p, &last(), &now(100, 18_500.0, 0.0, None)) {
        DueStatus::DueSoon {
            trigger,
            remaining,
            estimated_date,
        } => {
            assert_eq!(trigger, Trigger::Distance);
            assert!((remaining - 1_500.0).abs() < 1e-9);
            // 185 km/day over 100 days: about 8 more days.
            let d = estimated_date.expect("rate known");
            assert_eq!((d - now(100, 0.0, 0.0, None).at).num_days(), 8);
        }
        other => panic!("{other:?}"),
    }
    let over = due(&p, &last(), &now(120, 20_250.0, 0.0, None));
    assert_eq!(
        over,
        DueStatus::Overdue {
            trigger: Trigger::Distance,
            by: 250.0
        }
    );
}

#[test]
fn distance_soon_within_seven_days_at_the_daily_distance() {
    let p = only(Some(20_000.0), None, None);
    // 3,000 km left is 15 %, but at 500 km a day that is 6 days.
    let status = due(&p, &last(), &now(30, 17_000.0, 0.0, Some(500.0)));
    let DueStatus::DueSoon { estimated_date, .. } = status else {
        panic!("{status:?}");
    };
    assert_eq!(estimated_date, Some(t0() + Duration::days(36)));
    // At 100 km a day it is 30 days away: not yet.
    assert_eq!(
        due(&p, &last(), &now(30, 17_000.0, 0.0, Some(100.0))),
        DueStatus::NotDue
    );
}

#[test]
fn engine_hours_trigger() {
    let p = only(None, Some(500.0), None);
    assert!(matches!(
        due(&p, &last(), &now(100, 0.0, 460.0, None)),
        DueStatus::DueSoon {
            trigger: Trigger::EngineHours,
            ..
        }
    ));
    assert_eq!(
        due(&p, &last(), &now(100, 0.0, 512.5, None)),
        DueStatus::Overdue {
            trigger: Trigger::EngineHours,
            by: 12.5
        }
    );
}

#[test]
fn time_trigger() {
    let p = only(None, None, Some(180));
    match due(&p, &last(), &now(175, 0.0, 0.0, None)) {
        DueStatus::DueSoon {
            trigger: Trigger::Time,
            remaining,
            estimated_date,
        } => {
            assert!((remaining - 5.0).abs() < 1e-9);
            assert_eq!(estimated_date, Some(t0() + Duration::days(180)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        due(&p, &last(), &now(190, 0.0, 0.0, None)),
        DueStatus::Overdue {
            trigger: Trigger::Time,
            by: 10.0
        }
    );
}

#[test]
fn whichever_comes_first_wins() {
    // Hours overdue while distance and time are far off.
    assert!(matches!(
        due(&plan(), &last(), &now(20, 2_000.0, 520.0, None)),
        DueStatus::Overdue {
            trigger: Trigger::EngineHours,
            ..
        }
    ));
    // Distance 5 % left beats time 8 % left; both due soon.
    assert!(matches!(
        due(&plan(), &last(), &now(166, 19_000.0, 10.0, None)),
        DueStatus::DueSoon {
            trigger: Trigger::Distance,
            ..
        }
    ));
    // Overdue on time beats due soon on distance, though distance has less left in share.
    assert!(matches!(
        due(&plan(), &last(), &now(200, 19_900.0, 10.0, None)),
        DueStatus::Overdue {
            trigger: Trigger::Time,
            ..
        }
    ));
    // Due soon by the 7-day rule (20 % left) beats a not-due trigger with less left.
    let p = only(Some(20_000.0), None, Some(180));
    assert!(matches!(
        due(&p, &last(), &now(150, 16_000.0, 0.0, Some(1_000.0))),
        DueStatus::DueSoon {
            trigger: Trigger::Distance,
            ..
        }
    ));
}

#[test]
fn missing_or_backward_counters_fall_back_to_time_and_daily_distance() {
    let mut n = now(175, 0.0, 0.0, None);
    n.odometer_km = None;
    n.engine_hours = Some(1.0); // went backwards: not trusted
    assert!(matches!(
        due(&plan(), &last(), &n),
        DueStatus::DueSoon {
            trigger: Trigger::Time,
            ..
        }
    ));
    // The odometer went backwards (replaced cluster): the daily distance estimates it.
    let mut n = now(100, -50_000.0, 0.0, Some(210.0));
    n.engine_hours = None;
    assert_eq!(
        due(&only(Some(20_000.0), Some(500.0), None), &last(), &n),
        DueStatus::Overdue {
            trigger: Trigger::Distance,
            by: 1_000.0
        }
    );
    // Nothing to go on: not due, no panic.
    let none = Counters {
        odometer_km: None,
        engine_hours: None,
        daily_km: None,
        ..n
    };
    assert_eq!(
        due(&only(Some(20_000.0), Some(500.0), None), &last(), &none),
        DueStatus::NotDue
    );
    // A clock before the last service counts as no time passed.
    let early = Counters {
        at: t0() - Duration::days(3),
        ..now(0, 0.0, 0.0, None)
    };
    assert_eq!(due(&plan(), &last(), &early), DueStatus::NotDue);
}

#[test]
fn a_plan_needs_a_positive_interval_and_a_known_skill() {
    assert!(plan().validate().is_ok());
    assert!(only(None, None, None).validate().is_err());
    assert!(only(Some(-5.0), None, None).validate().is_err());
    assert!(only(None, Some(f64::NAN), None).validate().is_err());
    assert!(only(None, None, Some(0)).validate().is_err());
    let mut p = plan();
    p.skill = "welding".into();
    assert!(p.validate().expect_err("skill").contains("welding"));
}
