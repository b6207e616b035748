use chrono::{NaiveDate, Utc};
use shared_schemas::events::{Component, Coverage};
use uuid::Uuid;

use super::*;
use crate::domain::model::{ClaimCost, RepairShop};

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn contract() -> Contract {
    Contract {
        vehicle_id: "truck-1".into(),
        org_id: "acme".into(),
        vin: "1HGCM82633A004352".into(),
        start_date: day("2022-01-15"),
        start_odometer_km: 1_000.0,
        terms: standard_terms(),
        deductible: 100.0,
        currency: "USD".into(),
    }
}

fn claim(component: Component, failure: &str, odometer_km: f64) -> Claim {
    Claim {
        id: Uuid::nil(),
        org_id: "acme".into(),
        vehicle_id: "truck-1".into(),
        vin: "1HGCM82633A004352".into(),
        component,
        failure_date: day(failure),
        odometer_km,
        description: "it broke".into(),
        shop: RepairShop {
            id: "s1".into(),
            name: "Shop".into(),
            region: "US-IL".into(),
        },
        cost: ClaimCost {
            parts: vec![],
            labour_hours: 1.0,
            labour_rate: 100.0,
            currency: "USD".into(),
        },
        submitted_by: "u".into(),
        submitted_at: Utc::now(),
    }
}

#[test]
fn standard_terms_leave_out_wear_items_and_corrosion_covers_none() {
    let terms = standard_terms();
    let basic = &terms[0];
    assert_eq!(basic.coverage, Coverage::Basic);
    assert!(!basic.components.contains(&Component::Brakes));
    assert!(!basic.components.contains(&Component::Tires));
    assert!(basic.components.contains(&Component::Battery));
    assert!(terms[2].components.is_empty());
    assert_eq!(terms[2].km, None);
}

#[test]
fn the_term_ending_last_applies() {
    let e = eligibility(
        &contract(),
        &claim(Component::Cooling, "2023-01-15", 11_000.0),
    );
    assert!(e.eligible, "{e:?}");
    assert_eq!(e.coverage, Some(Coverage::Powertrain));
    assert_eq!(e.days_since_start, Some(365));
    assert_eq!(e.km_to_limit, Some(90_000.0));
    assert_eq!(
        e.days_to_end,
        Some((day("2027-01-15") - day("2023-01-15")).num_days())
    );
}

#[test]
fn exactly_at_the_time_limit_is_covered_one_day_after_is_not() {
    let at = eligibility(
        &contract(),
        &claim(Component::Battery, "2025-01-15", 5_000.0),
    );
    assert!(at.eligible, "{at:?}");
    assert_eq!(at.coverage, Some(Coverage::Basic));
    assert_eq!(at.days_to_end, Some(0));
    let after = eligibility(
        &contract(),
        &claim(Component::Battery, "2025-01-16", 5_000.0),
    );
    assert!(!after.eligible);
    assert_eq!(after.days_to_end, Some(-1));
    assert!(
        after.reasons[0].contains("basic coverage ended on 2025-01-15 (36 months), 1 days"),
        "{:?}",
        after.reasons
    );
}

#[test]
fn exactly_at_the_km_limit_is_covered_beyond_is_not() {
    let at = eligibility(
        &contract(),
        &claim(Component::Transmission, "2024-01-01", 101_000.0),
    );
    assert!(at.eligible);
    assert_eq!(at.km_to_limit, Some(0.0));
    let over = eligibility(
        &contract(),
        &claim(Component::Transmission, "2024-01-01", 101_500.0),
    );
    assert!(!over.eligible);
    assert_eq!(over.km_to_limit, Some(-500.0));
    assert!(
        over.reasons
            .iter()
            .any(|r| r.contains("powertrain coverage ended at 100,000 km")
                && r.contains("100,500 km")),
        "{:?}",
        over.reasons
    );
    assert!(
        over.reasons
            .iter()
            .any(|r| r.contains("basic coverage ended at 36,000 km"))
    );
}

#[test]
fn basic_expired_by_km_but_powertrain_still_covers_the_engine() {
    let e = eligibility(
        &contract(),
        &claim(Component::EngineOil, "2023-06-01", 50_000.0),
    );
    assert!(e.eligible);
    assert_eq!(e.coverage, Some(Coverage::Powertrain));
    let dpf = eligibility(&contract(), &claim(Component::Dpf, "2023-06-01", 50_000.0));
    assert!(!dpf.eligible);
}

#[test]
fn wear_items_are_not_covered() {
    let e = eligibility(
        &contract(),
        &claim(Component::Brakes, "2022-03-01", 2_000.0),
    );
    assert!(!e.eligible);
    assert!(
        e.reasons[0].contains("brakes (a wear item"),
        "{:?}",
        e.reasons
    );
}

#[test]
fn an_extension_covers_beyond_the_standard_terms() {
    let mut c = contract();
    c.terms.push(CoverageTerm {
        coverage: Coverage::Extended,
        months: 96,
        km: Some(200_000.0),
        components: vec![Component::Brakes],
    });
    let e = eligibility(&c, &claim(Component::Brakes, "2028-01-01", 150_000.0));
    assert!(e.eligible);
    assert_eq!(e.coverage, Some(Coverage::Extended));
}

#[test]
fn before_the_start_and_below_the_start_odometer_are_refused() {
    let early = eligibility(
        &contract(),
        &claim(Component::Battery, "2022-01-14", 2_000.0),
    );
    assert!(!early.eligible);
    assert!(early.reasons[0].contains("before the contract started"));
    let low = eligibility(&contract(), &claim(Component::Battery, "2022-02-01", 500.0));
    assert!(!low.eligible);
    assert!(low.reasons[0].contains("below the contract's start odometer (1,000 km)"));
}

#[test]
fn no_contract_is_not_covered() {
    let e = eligibility_or_none(None, &claim(Component::Battery, "2022-02-01", 2_000.0));
    assert!(!e.eligible);
    assert!(e.reasons[0].contains("no warranty contract on record for vehicle truck-1"));
}

#[test]
fn km_words_groups_thousands() {
    assert_eq!(km_words(100_000.0), "100,000");
    assert_eq!(km_words(999.6), "1,000");
    assert_eq!(km_words(-1_500.0), "-1,500");
    assert_eq!(km_words(12.0), "12");
}
