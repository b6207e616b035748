use serde_json::json;

use super::*;

fn good() -> Value {
    json!({
        "vehicle_id": "truck-1",
        "vin": "1hgcm82633a004352",
        "component": "cooling",
        "failure_date": "2024-03-01",
        "odometer_km": 42_000.0,
        "description": "coolant leak, engine overheated",
        "shop": {"id": "S-1", "name": "Joe's", "region": "US-IL"},
        "cost": {"parts": [{"part": "water_pump", "quantity": 1, "unit_price": 250.0}],
                 "labour_hours": 2.5, "labour_rate": 90.0, "currency": "USD"}
    })
}

#[test]
fn a_good_claim_is_read_and_the_vin_upper_cased() {
    let c = parse_claim(&good()).unwrap();
    assert_eq!(c.vin, "1HGCM82633A004352");
    assert_eq!(c.component, Component::Cooling);
    assert!((c.cost.total() - 475.0).abs() < 1e-9);
}

#[test]
fn every_problem_is_named() {
    let mut v = good();
    v["vin"] = json!("1HGCM82633A00435O");
    v["odometer_km"] = json!(-3);
    v["description"] = json!("  ");
    v["cost"]["currency"] = json!("usd");
    v["cost"]["parts"][0]["quantity"] = json!(0);
    v.as_object_mut().unwrap().remove("component");
    v["colour"] = json!("red");
    let problems = parse_claim(&v).unwrap_err();
    for want in [
        "unknown field `colour`",
        "`component` is missing",
        "found 'O'",
        "`odometer_km` must be 0",
        "`description` must be 1",
        "`cost.currency`",
        "`cost.parts[0].quantity`",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(want)),
            "{want} not in {problems:?}"
        );
    }
    assert_eq!(problems.len(), 7, "{problems:?}");
}

#[test]
fn wrong_types_and_future_dates_are_named() {
    let mut v = good();
    v["component"] = json!("wings");
    v["failure_date"] = json!("2999-01-01");
    let problems = parse_claim(&v).unwrap_err();
    assert!(
        problems.iter().any(|p| p.starts_with("`component`:")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("in the future")),
        "{problems:?}"
    );
    assert!(parse_claim(&json!([1])).is_err());
}

#[test]
fn a_failure_before_1900_is_named() {
    for day in ["1899-12-31", "-5000-01-01"] {
        let mut v = good();
        v["failure_date"] = json!(day);
        let problems = parse_claim(&v).unwrap_err();
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("`failure_date`") && p.contains("before 1900")),
            "{day}: {problems:?}"
        );
    }
    let mut v = good();
    v["failure_date"] = json!("1900-01-01");
    assert!(parse_claim(&v).is_ok());
}

#[test]
fn vin_rules() {
    assert!(check_vin("1HGCM82633A004352").is_ok());
    assert!(
        check_vin("1HGCM82633A00435")
            .unwrap_err()
            .contains("17 characters, not 16")
    );
    assert!(check_vin("1HGCM82633A00435I").is_err());
    assert!(check_vin("1HGCM82633A00435-").is_err());
    // The check digit is not enforced: a European VIN has none.
    assert!(check_vin("WVWZZZ1JZXW000001").is_ok());
}
