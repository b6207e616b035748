//! The actions the agent can recommend, each with a cost range (parts and labour, USD,
//! typical independent-shop prices for a medium/heavy commercial vehicle; cars sit at
//! the low end). A decision's estimated cost is the sum of its actions' ranges, so a
//! model picks actions but never invents prices.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One action of the catalog.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActionSpec {
    /// Stable id, e.g. `replace_thermostat`.
    pub id: &'static str,
    /// What to do, for a technician.
    pub description: &'static str,
    /// Lowest typical cost, USD.
    pub cost_min: f64,
    /// Highest typical cost, USD.
    pub cost_max: f64,
}

const fn a(
    id: &'static str,
    description: &'static str,
    cost_min: f64,
    cost_max: f64,
) -> ActionSpec {
    ActionSpec {
        id,
        description,
        cost_min,
        cost_max,
    }
}

/// Every action, grouped by system.
pub const CATALOG: &[ActionSpec] = &[
    // Engine oil
    a(
        "check_oil_level",
        "Check the engine oil level and top up to specification; note how much was missing",
        20.0,
        60.0,
    ),
    a(
        "inspect_oil_leak",
        "Find and repair the oil leak (sump and rocker gaskets, crank seals, filter housing, turbo oil lines; UV dye if not obvious)",
        150.0,
        900.0,
    ),
    a(
        "oil_pressure_test",
        "Verify oil pressure with a mechanical gauge; if low with a full sump, inspect the oil pump, pickup screen and bearings",
        120.0,
        400.0,
    ),
    a(
        "oil_and_filter_change",
        "Change engine oil and filter (check the drained oil for coolant, fuel or metal)",
        150.0,
        400.0,
    ),
    // Cooling
    a(
        "cooling_pressure_test",
        "Pressure-test the cooling system; check coolant level, concentration and the cap",
        80.0,
        200.0,
    ),
    a(
        "inspect_water_pump_radiator",
        "Inspect water pump, radiator core and fins, fan/fan clutch and belt; repair or replace the failing part",
        300.0,
        2500.0,
    ),
    a(
        "replace_thermostat",
        "Replace the thermostat and its seal; bleed the cooling system and confirm warm-up",
        150.0,
        450.0,
    ),
    a(
        "check_coolant_sensor",
        "Check the coolant temperature sensor and wiring against a reference thermometer",
        60.0,
        200.0,
    ),
    // DPF
    a(
        "dpf_forced_regeneration",
        "Run a parked (forced) DPF regeneration and re-check the differential pressure",
        100.0,
        300.0,
    ),
    a(
        "inspect_regeneration_system",
        "Find why regenerations fail: exhaust temperature sensors, HC doser, DOC light-off, differential pressure lines",
        150.0,
        600.0,
    ),
    a(
        "dpf_clean_or_replace",
        "Remove the DPF for off-vehicle ash cleaning, or replace it if cracked or plugged",
        600.0,
        4500.0,
    ),
    // SCR / DEF
    a(
        "drain_refill_def",
        "Drain the DEF tank, flush, refill from a sealed supply and verify urea concentration (32.5 %) with a refractometer",
        100.0,
        350.0,
    ),
    a(
        "scr_system_test",
        "Run the DEF dosing quantity test and check both NOx sensors",
        150.0,
        400.0,
    ),
    a(
        "replace_scr_catalyst",
        "Replace the SCR catalyst if the dosing test and sensors are good but conversion stays low",
        2500.0,
        6000.0,
    ),
    a(
        "inspect_def_dosing",
        "Inspect the DEF pump, lines, heater and doser for crystals, leaks or blockage",
        150.0,
        800.0,
    ),
    // Brakes
    a(
        "replace_brake_pads",
        "Replace the brake pads (linings) on the affected axle; measure discs/drums",
        250.0,
        700.0,
    ),
    a(
        "inspect_brake_calipers",
        "Inspect calipers, slide pins and adjusters for sticking or dragging; service or replace",
        100.0,
        600.0,
    ),
    // Battery / electrical
    a(
        "battery_load_test",
        "Load-test the batteries and check terminals and cables",
        30.0,
        80.0,
    ),
    a(
        "replace_battery",
        "Replace the starting battery (or the worn set), registering it with the vehicle if required",
        150.0,
        900.0,
    ),
    a(
        "inspect_charging_system",
        "Check alternator output, regulator, belt and parasitic drain",
        80.0,
        300.0,
    ),
    // Transmission
    a(
        "transmission_fluid_service",
        "Check transmission fluid level and condition; change fluid and filter",
        200.0,
        600.0,
    ),
    a(
        "inspect_transmission_cooler",
        "Inspect the transmission cooler, lines and thermal bypass valve; clean or replace",
        150.0,
        900.0,
    ),
    a(
        "transmission_diagnostic",
        "Transmission diagnostic: pressure test, clutch slip and shift adaptation check",
        150.0,
        450.0,
    ),
    // Tires
    a(
        "repair_tire_leak",
        "Locate and repair the leak on the affected tire (plug-patch, valve core or stem), or replace the tire if the sidewall is damaged",
        30.0,
        600.0,
    ),
    a(
        "check_tire_pressures",
        "Check and set all tire pressures cold; inspect for damage and uneven wear",
        20.0,
        60.0,
    ),
    // Generic
    a(
        "diagnostic_inspection",
        "Full diagnostic scan, visual inspection and road test by a technician",
        100.0,
        250.0,
    ),
    a(
        "monitor",
        "No work now: keep monitoring and review at the next scheduled service",
        0.0,
        0.0,
    ),
];

/// The action with `id`.
pub fn get(id: &str) -> Option<&'static ActionSpec> {
    CATALOG.iter().find(|a| a.id == id)
}

/// Every action id (the enum of the model's answer schema).
pub fn ids() -> Vec<&'static str> {
    CATALOG.iter().map(|a| a.id).collect()
}

/// A recommended action as decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Action {
    /// Catalog id.
    pub id: String,
    /// What to do.
    pub description: String,
    /// Lowest typical cost.
    pub cost_min: f64,
    /// Highest typical cost.
    pub cost_max: f64,
}

impl Action {
    /// The decided form of a catalog action, with an optional detail (e.g. the wheel)
    /// appended to its description.
    pub fn from_spec(spec: &ActionSpec, detail: Option<&str>) -> Self {
        let description = match detail {
            Some(d) => format!("{} ({d})", spec.description),
            None => spec.description.to_owned(),
        };
        Self {
            id: spec.id.to_owned(),
            description,
            cost_min: spec.cost_min,
            cost_max: spec.cost_max,
        }
    }
}

/// Sum of the cost ranges of `actions`.
pub fn total(actions: &[Action]) -> (f64, f64) {
    actions
        .iter()
        .fold((0.0, 0.0), |(lo, hi), a| (lo + a.cost_min, hi + a.cost_max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_ids_are_unique_and_ranges_ordered() {
        let mut seen = std::collections::HashSet::new();
        for a in CATALOG {
            assert!(seen.insert(a.id), "duplicate {}", a.id);
            assert!(a.cost_min <= a.cost_max, "{}", a.id);
            assert!(a.cost_min >= 0.0);
        }
    }
}
