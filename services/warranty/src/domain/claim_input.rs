//! A claim as a client sends it, checked field by field so one 400 can name every
//! problem at once (not just the first serde stops at).

use chrono::{Datelike, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use shared_schemas::events::Component;
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::{Claim, ClaimCost, ClaimPart, RepairShop};

/// Longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 5_000;
/// Most parts on one claim.
pub const MAX_PARTS: usize = 100;

/// The `claim` JSON of `POST /v1/claims`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ClaimInput {
    /// Organization (admins must give it; everyone else files in their own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    /// The vehicle.
    pub vehicle_id: String,
    /// Its VIN: 17 characters, no I, O or Q (must match the contract's).
    pub vin: String,
    /// The failed component.
    pub component: Component,
    /// Day of the failure (not in the future, not before 1900).
    pub failure_date: NaiveDate,
    /// Odometer at failure, km.
    pub odometer_km: f64,
    /// What happened, 1 to 5,000 characters.
    pub description: String,
    /// The repair shop `{id, name, region}`.
    #[schema(value_type = Object)]
    pub shop: RepairShop,
    /// The cost `{parts: [{part, quantity, unit_price}], labour_hours, labour_rate, currency}`.
    #[schema(value_type = Object)]
    pub cost: ClaimCost,
}

impl ClaimInput {
    /// The claim it files, with its id, organization and claimant.
    pub fn into_claim(self, id: Uuid, org_id: String, submitted_by: &str) -> Claim {
        Claim {
            id,
            org_id,
            vehicle_id: self.vehicle_id,
            vin: self.vin,
            component: self.component,
            failure_date: self.failure_date,
            odometer_km: self.odometer_km,
            description: self.description.trim().to_owned(),
            shop: self.shop,
            cost: self.cost,
            submitted_by: submitted_by.to_owned(),
            submitted_at: Utc::now(),
        }
    }
}

const FIELDS: [&str; 9] = [
    "org_id",
    "vehicle_id",
    "vin",
    "component",
    "failure_date",
    "odometer_km",
    "description",
    "shop",
    "cost",
];

/// Checks a VIN: 17 characters of `A-Z` and `0-9` without I, O and Q. The check digit
/// (position 9) is not enforced: only North American VINs carry one. Lower case is
/// read as upper case.
pub fn check_vin(vin: &str) -> Result<String, String> {
    let vin = vin.trim().to_ascii_uppercase();
    if vin.chars().count() != 17 {
        return Err(format!(
            "`vin` must be 17 characters, not {}",
            vin.chars().count()
        ));
    }
    if let Some(c) = vin
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() || matches!(c, 'I' | 'O' | 'Q'))
    {
        return Err(format!(
            "`vin` may hold only letters (not I, O or Q) and digits; found {c:?}"
        ));
    }
    Ok(vin)
}

/// Reads the claim JSON, naming every problem found (missing fields, wrong types,
/// values out of range) in the error.
pub fn parse_claim(value: &Value) -> Result<ClaimInput, Vec<String>> {
    let Some(map) = value.as_object() else {
        return Err(vec!["the claim must be a JSON object".to_owned()]);
    };
    let mut problems: Vec<String> = map
        .keys()
        .filter(|k| !FIELDS.contains(&k.as_str()))
        .map(|k| format!("unknown field `{k}`"))
        .collect();
    let p = &mut problems;
    let org_id: Option<Option<String>> = field(map, "org_id", p);
    let vehicle_id: Option<String> = field(map, "vehicle_id", p);
    let vin: Option<String> = field(map, "vin", p);
    let component: Option<Component> = field(map, "component", p);
    let failure_date: Option<NaiveDate> = field(map, "failure_date", p);
    let odometer_km: Option<f64> = field(map, "odometer_km", p);
    let description: Option<String> = field(map, "description", p);
    let shop: Option<RepairShop> = field(map, "shop", p);
    let cost: Option<ClaimCost> = field(map, "cost", p);
    let org_id = org_id.flatten();
    if let Some(org) = &org_id {
        note(p, shared_schemas::ids::check_org_id(org), "org_id");
    }
    if let Some(v) = &vehicle_id {
        note(p, shared_schemas::ids::check_vehicle_id(v), "vehicle_id");
    }
    let vin = vin.and_then(|v| check_vin(&v).map_err(|e| p.push(e)).ok());
    if let Some(d) = failure_date {
        check_failure_date(d, p);
    }
    if let Some(km) = odometer_km
        && !(0.0..=5_000_000.0).contains(&km)
    {
        p.push(format!("`odometer_km` must be 0 to 5,000,000, not {km}"));
    }
    if let Some(d) = &description {
        check_description(d, p);
    }
    if let Some(s) = &shop {
        check_shop(s, p);
    }
    if let Some(c) = &cost {
        check_cost(c, p);
    }
    match (
        vehicle_id,
        vin,
        component,
        failure_date,
        odometer_km,
        description,
        shop,
        cost,
    ) {
        (
            Some(vehicle_id),
            Some(vin),
            Some(component),
            Some(failure_date),
            Some(odometer_km),
            Some(description),
            Some(shop),
            Some(cost),
        ) if problems.is_empty() => Ok(ClaimInput {
            org_id,
            vehicle_id,
            vin,
            component,
            failure_date,
            odometer_km,
            description,
            shop,
            cost,
        }),
        _ => Err(problems),
    }
}

/// The field `name` of `map` as a `T`; a missing or ill-typed field is noted in `p`.
fn field<T: DeserializeOwned>(
    map: &Map<String, Value>,
    name: &str,
    p: &mut Vec<String>,
) -> Option<T> {
    let value = map.get(name).cloned().unwrap_or(Value::Null);
    match serde_json::from_value(value) {
        Ok(v) => Some(v),
        Err(_) if !map.contains_key(name) => {
            p.push(format!("`{name}` is missing"));
            None
        }
        Err(e) => {
            p.push(format!("`{name}`: {e}"));
            None
        }
    }
}

fn note(p: &mut Vec<String>, r: Result<(), String>, name: &str) {
    if let Err(e) = r {
        p.push(format!("`{name}` {e}"));
    }
}

/// The first year a date of the service's may fall in: anything earlier is a typo (and
/// Postgres dates, unlike chrono's, end at 4713 BC).
pub const EARLIEST_YEAR: i32 = 1900;

fn check_failure_date(d: NaiveDate, p: &mut Vec<String>) {
    if d > Utc::now().date_naive() {
        p.push(format!("`failure_date` {d} is in the future"));
    } else if d.year() < EARLIEST_YEAR {
        p.push(format!(
            "`failure_date` {d} is before {EARLIEST_YEAR}: not a failure on record"
        ));
    }
}

fn check_description(d: &str, p: &mut Vec<String>) {
    let n = d.trim().chars().count();
    if n == 0 || n > MAX_DESCRIPTION_CHARS {
        p.push(format!(
            "`description` must be 1 to {MAX_DESCRIPTION_CHARS} characters, not {n}"
        ));
    }
}

fn check_short(p: &mut Vec<String>, name: &str, v: &str) {
    let n = v.trim().chars().count();
    if n == 0 || n > 200 {
        p.push(format!("`{name}` must be 1 to 200 characters, not {n}"));
    }
}

fn check_shop(s: &RepairShop, p: &mut Vec<String>) {
    check_short(p, "shop.id", &s.id);
    check_short(p, "shop.name", &s.name);
    check_short(p, "shop.region", &s.region);
}

fn check_cost(c: &ClaimCost, p: &mut Vec<String>) {
    if c.parts.len() > MAX_PARTS {
        p.push(format!(
            "`cost.parts`: at most {MAX_PARTS} parts, not {}",
            c.parts.len()
        ));
    }
    for (i, part) in c.parts.iter().enumerate() {
        check_part(i, part, p);
    }
    if !(0.0..=500.0).contains(&c.labour_hours) {
        p.push(format!(
            "`cost.labour_hours` must be 0 to 500, not {}",
            c.labour_hours
        ));
    }
    if !(0.0..=10_000.0).contains(&c.labour_rate) {
        p.push(format!(
            "`cost.labour_rate` must be 0 to 10,000, not {}",
            c.labour_rate
        ));
    }
    let currency_ok = c.currency.len() == 3 && c.currency.bytes().all(|b| b.is_ascii_uppercase());
    if !currency_ok {
        p.push(format!(
            "`cost.currency` must be an ISO 4217 code of three capital letters, not {:?}",
            c.currency
        ));
    }
}

fn check_part(i: usize, part: &ClaimPart, p: &mut Vec<String>) {
    check_short(p, &format!("cost.parts[{i}].part"), &part.part);
    if !(1..=1_000).contains(&part.quantity) {
        p.push(format!(
            "`cost.parts[{i}].quantity` must be 1 to 1,000, not {}",
            part.quantity
        ));
    }
    if !(0.0..=1_000_000.0).contains(&part.unit_price) {
        p.push(format!(
            "`cost.parts[{i}].unit_price` must be 0 to 1,000,000, not {}",
            part.unit_price
        ));
    }
}

#[cfg(test)]
#[path = "claim_input_tests.rs"]
mod tests;
