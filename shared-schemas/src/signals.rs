//! The catalog of telemetry signals: canonical names, units and plausible ranges.
//!
//! Names carry their unit as a suffix (`_c`, `_kpa`, `_pct`…) so a reading is
//! unambiguous without a lookup. Ranges are physical plausibility bounds used to reject
//! garbage (a sensor fault, a decoding error), not alarm thresholds.

use std::collections::HashMap;
use std::sync::OnceLock;

use foldhash::fast::FixedState;

use serde::Serialize;

/// One known signal.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SignalSpec {
    /// Canonical name, e.g. `coolant_temp_c`.
    pub name: &'static str,
    /// Unit symbol, e.g. `°C`.
    pub unit: &'static str,
    /// Smallest plausible value.
    pub min: f64,
    /// Largest plausible value.
    pub max: f64,
    /// Subsystem the signal belongs to.
    pub group: SignalGroup,
    /// Human-readable description.
    pub description: &'static str,
}

/// Subsystem of a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalGroup {
    /// Engine and lubrication, cooling, fuel, air, electrical supply.
    Engine,
    /// DPF and SCR/DEF aftertreatment.
    Aftertreatment,
    /// Transmission, brakes, tires, vehicle motion.
    Driveline,
    /// Network and telematics health.
    Network,
}

macro_rules! signals {
    ($($name:ident = ($wire:literal, $unit:literal, $min:expr, $max:expr, $group:ident, $desc:literal);)*) => {
        /// Canonical signal names as constants, so code never spells a name twice.
        pub mod names {
            $(#[doc = $desc] pub const $name: &str = $wire;)*
        }
        /// Every known signal.
        pub const SIGNALS: &[SignalSpec] = &[
            $(SignalSpec {
                name: names::$name,
                unit: $unit,
                min: $min,
                max: $max,
                group: SignalGroup::$group,
                description: $desc,
            },)*
        ];
    };
}

signals! {
    ENGINE_RPM = ("engine_rpm", "rpm", 0.0, 8000.0, Engine, "Engine speed");
    ENGINE_LOAD_PCT = ("engine_load_pct", "%", 0.0, 100.0, Engine, "Calculated engine load");
    ENGINE_RUN_TIME_S = ("engine_run_time_s", "s", 0.0, 65535.0, Engine, "Time since engine start (OBD-II PID 1F)");
    COOLANT_TEMP_C = ("coolant_temp_c", "°C", -40.0, 150.0, Engine, "Engine coolant temperature");
    OIL_TEMP_C = ("oil_temp_c", "°C", -40.0, 180.0, Engine, "Engine oil temperature");
    OIL_PRESSURE_KPA = ("oil_pressure_kpa", "kPa", 0.0, 1000.0, Engine, "Engine oil pressure (gauge)");
    OIL_LEVEL_PCT = ("oil_level_pct", "%", 0.0, 100.0, Engine, "Engine oil level");
    FUEL_RATE_LPH = ("fuel_rate_lph", "L/h", 0.0, 200.0, Engine, "Fuel consumption rate");
    BOOST_PRESSURE_KPA = ("boost_pressure_kpa", "kPa", 0.0, 500.0, Engine, "Intake manifold boost pressure (gauge)");
    EXHAUST_BACK_PRESSURE_KPA = ("exhaust_back_pressure_kpa", "kPa", 0.0, 100.0, Engine, "Exhaust back-pressure");
    BATTERY_VOLTAGE_V = ("battery_voltage_v", "V", 0.0, 36.0, Engine, "Battery / control module voltage");
    AMBIENT_TEMP_C = ("ambient_temp_c", "°C", -60.0, 70.0, Engine, "Ambient air temperature");
    DPF_DIFF_PRESSURE_KPA = ("dpf_diff_pressure_kpa", "kPa", 0.0, 100.0, Aftertreatment, "DPF differential pressure");
    DPF_SOOT_LOAD_PCT = ("dpf_soot_load_pct", "%", 0.0, 250.0, Aftertreatment, "DPF soot load (100 = regeneration threshold)");
    DPF_FAILED_REGEN_COUNT = ("dpf_failed_regen_count", "count", 0.0, 1000.0, Aftertreatment, "Failed DPF regenerations since last service");
    DPF_INLET_TEMP_C = ("dpf_inlet_temp_c", "°C", -40.0, 900.0, Aftertreatment, "Pre-DPF exhaust temperature");
    DPF_OUTLET_TEMP_C = ("dpf_outlet_temp_c", "°C", -40.0, 900.0, Aftertreatment, "Post-DPF exhaust temperature");
    DPF_REGEN_ACTIVE = ("dpf_regen_active", "flag", 0.0, 1.0, Aftertreatment, "DPF regeneration in progress (0/1)");
    SCR_NOX_UPSTREAM_PPM = ("scr_nox_upstream_ppm", "ppm", 0.0, 3000.0, Aftertreatment, "NOx upstream of the SCR catalyst");
    SCR_NOX_DOWNSTREAM_PPM = ("scr_nox_downstream_ppm", "ppm", 0.0, 3000.0, Aftertreatment, "NOx downstream of the SCR catalyst");
    SCR_INLET_TEMP_C = ("scr_inlet_temp_c", "°C", -40.0, 900.0, Aftertreatment, "SCR inlet temperature");
    SCR_OUTLET_TEMP_C = ("scr_outlet_temp_c", "°C", -40.0, 900.0, Aftertreatment, "SCR outlet temperature");
    DEF_QUALITY_PCT = ("def_quality_pct", "%", 0.0, 100.0, Aftertreatment, "DEF urea concentration (32.5 nominal)");
    DEF_INJECTOR_DUTY_PCT = ("def_injector_duty_pct", "%", 0.0, 100.0, Aftertreatment, "DEF dosing injector duty cycle");
    DEF_PUMP_PRESSURE_KPA = ("def_pump_pressure_kpa", "kPa", 0.0, 1500.0, Aftertreatment, "DEF pump pressure");
    DEF_PUMP_CURRENT_A = ("def_pump_current_a", "A", 0.0, 20.0, Aftertreatment, "DEF pump motor current");
    VEHICLE_SPEED_KPH = ("vehicle_speed_kph", "km/h", 0.0, 250.0, Driveline, "Vehicle speed");
    TRANS_OIL_TEMP_C = ("trans_oil_temp_c", "°C", -40.0, 200.0, Driveline, "Transmission oil temperature");
    BRAKE_PAD_MM = ("brake_pad_mm", "mm", 0.0, 40.0, Driveline, "Thinnest brake pad lining thickness");
    BRAKE_PAD_WEAR_PCT = ("brake_pad_wear_pct", "%", 0.0, 100.0, Driveline, "Brake pad wear (100 = worn out)");
    BRAKE_PRESSURE_KPA = ("brake_pressure_kpa", "kPa", 0.0, 2000.0, Driveline, "Brake application pressure");
    ABS_EVENT_COUNT = ("abs_event_count", "count", 0.0, 100000.0, Driveline, "ABS activations since last service");
    TIRE_PRESSURE_FL_KPA = ("tire_pressure_fl_kpa", "kPa", 0.0, 1200.0, Driveline, "Tire pressure, front left");
    TIRE_PRESSURE_FR_KPA = ("tire_pressure_fr_kpa", "kPa", 0.0, 1200.0, Driveline, "Tire pressure, front right");
    TIRE_PRESSURE_RL_KPA = ("tire_pressure_rl_kpa", "kPa", 0.0, 1200.0, Driveline, "Tire pressure, rear left");
    TIRE_PRESSURE_RR_KPA = ("tire_pressure_rr_kpa", "kPa", 0.0, 1200.0, Driveline, "Tire pressure, rear right");
    CAN_DROP_RATE_PCT = ("can_drop_rate_pct", "%", 0.0, 100.0, Network, "CAN bus message drop rate");
}

/// Position in [`SIGNALS`] by canonical name. Looked up for every signal of every
/// reading: a fast fixed hash (the keys are the catalog's own, nothing to flood).
fn position(name: &str) -> Option<usize> {
    static BY_NAME: OnceLock<HashMap<&'static str, usize, FixedState>> = OnceLock::new();
    BY_NAME
        .get_or_init(|| {
            SIGNALS
                .iter()
                .enumerate()
                .map(|(i, s)| (s.name, i))
                .collect()
        })
        .get(name)
        .copied()
}

/// The spec of a signal by canonical name. A hash lookup: ingestion calls it for every
/// signal of every reading.
pub fn spec(name: &str) -> Option<&'static SignalSpec> {
    position(name).map(|i| &SIGNALS[i])
}

/// A signal's code on the event streams (ADR 0027): its position in [`SIGNALS`]. The
/// catalog only grows at its end, so a code never changes meaning
/// (`tests/golden/signal-codes.json` holds every code given out).
pub fn code(name: &str) -> Option<u16> {
    position(name).and_then(|i| u16::try_from(i).ok())
}

/// The signal a stream code stands for.
pub fn by_code(code: u16) -> Option<&'static SignalSpec> {
    SIGNALS.get(usize::from(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_lowercase_and_ranges_ordered() {
        let mut seen = std::collections::HashSet::new();
        for s in SIGNALS {
            assert!(seen.insert(s.name), "duplicate signal {}", s.name);
            assert_eq!(s.name, s.name.to_lowercase());
            assert!(s.min < s.max, "{} has min >= max", s.name);
        }
        assert_eq!(spec(names::COOLANT_TEMP_C).map(|s| s.unit), Some("°C"));
        assert!(spec("no_such_signal").is_none());
        for (i, s) in SIGNALS.iter().enumerate() {
            let c = code(s.name).expect("every signal has a code");
            assert_eq!(
                (usize::from(c), by_code(c).map(|s| s.name)),
                (i, Some(s.name))
            );
        }
        assert!(by_code(u16::try_from(SIGNALS.len()).unwrap_or(u16::MAX)).is_none());
    }
}
