//! What the realistic profile gives one vehicle: its faults and services, its sensor
//! faults, its model variant, whether it runs hot, and its climate and altitude.

use serde::Serialize;

use super::fault::Fault;
use super::sensor::SensorFault;

/// The realistic extras of one vehicle (absent on the default profile).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Realism {
    /// Component faults (replacing the default profile's single degradation).
    pub faults: Vec<Fault>,
    /// Whether wear accrues with use (else with calendar time).
    pub usage: bool,
    /// Whether failures are repaired and services happen.
    pub repairs: bool,
    /// Routine service instants, Unix seconds (empty without repairs).
    pub services: Vec<i64>,
    /// Wear above which a service can find a fault.
    pub inspection_wear: f64,
    /// Probability a service finds such a fault.
    pub inspection_find_probability: f64,
    /// Seed of the service findings.
    pub service_seed: u64,
    /// Sensor faults (readings only, not components).
    pub sensor_faults: Vec<SensorFault>,
    /// Model variant and its baseline.
    pub variant: Option<Variant>,
    /// A healthy truck that runs hot.
    pub runs_hot: Option<RunsHot>,
    /// Seasons, weather event and altitude.
    pub climate: Option<Climate>,
}

impl Realism {
    /// Nothing realistic yet.
    pub fn empty() -> Self {
        Self {
            faults: Vec::new(),
            usage: false,
            repairs: false,
            services: Vec::new(),
            inspection_wear: 1.0,
            inspection_find_probability: 0.0,
            service_seed: 0,
            sensor_faults: Vec::new(),
            variant: None,
            runs_hot: None,
            climate: None,
        }
    }
}

/// A vehicle model with its own baseline (the offsets are applied to the vehicle's
/// drawn constants, so the failure calibration still holds).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Variant {
    /// Model name.
    pub model: &'static str,
    /// Thermostat setpoint offset, °C.
    pub thermostat_offset_c: f64,
    /// Healthy transmission oil temperature offset, °C.
    pub trans_offset_c: f64,
    /// Warm-idle oil pressure scale.
    pub oil_pressure_scale: f64,
    /// Idle speed offset, rpm.
    pub idle_rpm_offset: f64,
    /// Rested battery voltage offset, V.
    pub battery_offset_v: f64,
}

const fn variant(
    model: &'static str,
    thermostat_offset_c: f64,
    trans_offset_c: f64,
    oil_pressure_scale: f64,
    idle_rpm_offset: f64,
    battery_offset_v: f64,
) -> Variant {
    Variant {
        model,
        thermostat_offset_c,
        trans_offset_c,
        oil_pressure_scale,
        idle_rpm_offset,
        battery_offset_v,
    }
}

/// Truck models (a 13 L baseline, a bigger engine that runs warmer with more oil
/// pressure, a medium-duty one with a hotter automatic transmission).
pub const TRUCK_VARIANTS: [Variant; 3] = [
    variant("hd-13l", 0.0, 0.0, 1.0, 0.0, 0.0),
    variant("hd-15l", 2.5, 2.0, 1.1, -20.0, 0.0),
    variant("md-9l", -1.5, 6.0, 0.9, 40.0, -0.03),
];

/// Car models.
pub const CAR_VARIANTS: [Variant; 3] = [
    variant("sedan-2.0", 0.0, 0.0, 1.0, 0.0, 0.0),
    variant("suv-3.5", 3.0, 5.0, 1.06, -40.0, 0.02),
    variant("compact-1.5t", -2.0, -3.0, 0.88, 60.0, -0.04),
];

/// Extra heat of a healthy hot-running truck (scaled by load, capped below the
/// failure limits).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RunsHot {
    /// Coolant, °C at full load.
    pub coolant_c: f64,
    /// Transmission oil, °C at full load.
    pub trans_c: f64,
}

/// Highest healthy coolant a hot-running truck reaches, °C (the overheat limit is 110).
pub const RUNS_HOT_COOLANT_CAP_C: f64 = 106.0;
/// Highest healthy transmission oil a hot-running truck reaches, °C (limit 120).
pub const RUNS_HOT_TRANS_CAP_C: f64 = 114.0;

/// The vehicle's climate beyond its home base.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Climate {
    /// Scale of the home base's seasonal swing.
    pub season_scale: f64,
    /// Peak altitude of its routes, m (0: flat); the altitude follows distance
    /// driven with a 300 km period, and the air cools 6.5 °C per km of height.
    pub altitude_peak_m: f64,
    /// A heat wave (positive) or cold snap (negative).
    pub event: Option<WeatherEvent>,
}

/// Period of the altitude profile along the route, km.
pub const ALTITUDE_PERIOD_KM: f64 = 300.0;
/// Standard lapse rate, °C per m.
pub const LAPSE_C_PER_M: f64 = 0.0065;

/// A window of unusual weather.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WeatherEvent {
    /// Start, Unix seconds.
    pub from: i64,
    /// End, Unix seconds.
    pub to: i64,
    /// Ambient offset, °C.
    pub offset_c: f64,
}

impl Climate {
    /// Route altitude after `km` driven, m.
    pub fn altitude_m(&self, km: f64) -> f64 {
        let phase = std::f64::consts::TAU * km / ALTITUDE_PERIOD_KM;
        self.altitude_peak_m * 0.5 * (1.0 - phase.cos())
    }

    /// Ambient offset at `t` after `km` driven, °C.
    pub fn ambient_offset_c(&self, t: i64, km: f64) -> f64 {
        let event = self
            .event
            .filter(|e| (e.from..e.to).contains(&t))
            .map_or(0.0, |e| e.offset_c);
        event - LAPSE_C_PER_M * self.altitude_m(km)
    }
}
