//! Condition indicators: what one reading says about each component, taken only under
//! the operating conditions where the reading is informative (oil pressure at warm
//! idle, battery voltage at rest, SCR conversion with a warm catalyst…).
//!
//! Extraction is per reading and order-free, so readings can arrive late, out of order
//! or in any batch split and still produce the same daily aggregates.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shared_schemas::signals::names;
use shared_schemas::telemetry::TelemetryReading;

use super::operating::{State, Warmth};

/// A condition indicator; each has one daily series in the vehicle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[repr(u8)]
pub enum Indicator {
    /// DPF differential pressure scaled to highway exhaust flow, kPa (regeneration off,
    /// enough flow to be meaningful).
    DpfDpRef,
    /// DPF soot load of the same readings, % (to correct `DpfDpRef` for soot).
    DpfSoot,
    /// Failed DPF regenerations, count.
    DpfFailedRegens,
    /// SCR NOx conversion, 0..1, with a warm catalyst and enough NOx to measure.
    ScrConversion,
    /// DEF urea concentration, %.
    DefQuality,
    /// Oil pressure at warm idle, kPa.
    OilPressureIdle,
    /// Oil level, %.
    OilLevel,
    /// Coolant temperature while driving with a warm engine, °C.
    CoolantDriving,
    /// Rested battery voltage corrected to 20 °C, V.
    BatteryRest,
    /// Charging voltage with the engine running, V.
    ChargeVoltage,
    /// Transmission oil temperature while driving with a warm engine, °C.
    TransTemp,
    /// Engine load of the same readings, %: a covariate of the temperatures.
    LoadWarm,
    /// Ambient temperature of the same readings, °C: a covariate of the temperatures.
    AmbientWarm,
    /// Ambient heat above 25 °C of the same readings, °C: radiators lose their margin
    /// in the heat, so temperatures follow it more steeply.
    HeatWarm,
    /// Front-left tire pressure of a parked vehicle, corrected to 20 °C, kPa.
    TireFl,
    /// Front-right, likewise.
    TireFr,
    /// Rear-left, likewise.
    TireRl,
    /// Rear-right, likewise.
    TireRr,
    /// Thinnest brake pad lining, mm.
    BrakePad,
    /// Brake pad wear, % (100 = worn out).
    BrakeWear,
    /// Odometer, km (its daily spread is the daily distance).
    Odometer,
    /// Ambient temperature, °C.
    Ambient,
}

/// Number of indicators.
pub const N_INDICATORS: usize = 22;

impl Indicator {
    /// Every indicator, in index order.
    pub const ALL: [Self; N_INDICATORS] = [
        Self::DpfDpRef,
        Self::DpfSoot,
        Self::DpfFailedRegens,
        Self::ScrConversion,
        Self::DefQuality,
        Self::OilPressureIdle,
        Self::OilLevel,
        Self::CoolantDriving,
        Self::BatteryRest,
        Self::ChargeVoltage,
        Self::TransTemp,
        Self::LoadWarm,
        Self::AmbientWarm,
        Self::HeatWarm,
        Self::TireFl,
        Self::TireFr,
        Self::TireRl,
        Self::TireRr,
        Self::BrakePad,
        Self::BrakeWear,
        Self::Odometer,
        Self::Ambient,
    ];

    /// The four tire ratios, in wheel order (FL, FR, RL, RR).
    pub const TIRES: [Self; 4] = [Self::TireFl, Self::TireFr, Self::TireRl, Self::TireRr];

    /// Position in [`Self::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Short name used in factors, e.g. `oil_pressure_idle_kpa`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::DpfDpRef => "dpf_dp_at_highway_flow_kpa",
            Self::DpfSoot => "dpf_soot_load_pct",
            Self::DpfFailedRegens => "dpf_failed_regen_count",
            Self::ScrConversion => "scr_nox_conversion",
            Self::DefQuality => "def_quality_pct",
            Self::OilPressureIdle => "oil_pressure_warm_idle_kpa",
            Self::OilLevel => "oil_level_pct",
            Self::CoolantDriving => "coolant_temp_warm_c",
            Self::BatteryRest => "battery_rest_voltage_20c_v",
            Self::ChargeVoltage => "charging_voltage_v",
            Self::TransTemp => "trans_oil_temp_warm_c",
            Self::LoadWarm => "engine_load_warm_pct",
            Self::AmbientWarm => "ambient_temp_warm_c",
            Self::HeatWarm => "ambient_heat_above_25c_warm_c",
            Self::TireFl => "tire_pressure_fl_20c_kpa",
            Self::TireFr => "tire_pressure_fr_20c_kpa",
            Self::TireRl => "tire_pressure_rl_20c_kpa",
            Self::TireRr => "tire_pressure_rr_20c_kpa",
            Self::BrakePad => "brake_pad_mm",
            Self::BrakeWear => "brake_pad_wear_pct",
            Self::Odometer => "odometer_km",
            Self::Ambient => "ambient_temp_c",
        }
    }
}

/// Rated speed assumed for heavy-duty diesels when scaling DPF pressure to a reference
/// exhaust flow, rpm. A per-vehicle error in it scales the indicator and its baseline
/// alike, so it cancels in the damage.
const RATED_RPM: f64 = 1800.0;
/// Exhaust flow factor of highway cruise, where the DPF limit is defined.
const HIGHWAY_FLOW: f64 = 0.65;
/// Below this flow factor the differential pressure is too small to read reliably.
const MIN_FLOW: f64 = 0.35;
/// Atmospheric pressure, kPa (tire pressures are gauge).
const ATM_KPA: f64 = 101.325;
/// 0 °C in kelvin.
const KELVIN: f64 = 273.15;
/// Ambient temperature above which cooling systems lose margin, °C.
const HEAT_FROM_C: f64 = 25.0;

impl Indicator {
    /// Whether the indicator is read at rest (engine stopped for hours, see
    /// [`super::rest`]): [`observe`] gives its stopped-engine values, and the state keeps
    /// those whose rest the hours around them confirm.
    pub const fn at_rest(self) -> bool {
        matches!(
            self,
            Self::BatteryRest | Self::TireFl | Self::TireFr | Self::TireRl | Self::TireRr
        )
    }
}

/// What every indicator of one reading depends on: its signals and the operating
/// state they imply.
struct Conditions<'a> {
    signals: &'a BTreeMap<String, f64>,
    state: State,
    rpm: Option<f64>,
    running: bool,
    /// Engine stopped (or not reported) and standing: a rest candidate.
    stopped: bool,
    ambient: Option<f64>,
}

impl<'a> Conditions<'a> {
    fn of(reading: &'a TelemetryReading) -> Self {
        let signals = &reading.signals;
        let state = State::of(reading);
        Self {
            signals,
            state,
            rpm: finite(signals, names::ENGINE_RPM),
            running: state.running(),
            stopped: state.stopped_standing(),
            ambient: finite(signals, names::AMBIENT_TEMP_C),
        }
    }

    /// A signal's value, when reported and finite.
    fn get(&self, name: &str) -> Option<f64> {
        finite(self.signals, name)
    }
}

fn finite(signals: &BTreeMap<String, f64>, name: &str) -> Option<f64> {
    signals.get(name).copied().filter(|v| v.is_finite())
}

/// Calls `emit(indicator, value)` for every indicator `reading` informs. Indicators
/// read [`Indicator::at_rest`] are emitted whenever the engine is stopped: whether the
/// reading is at rest depends on the hours around it, which the state knows.
pub fn observe(reading: &TelemetryReading, mut emit: impl FnMut(Indicator, f64)) {
    let c = Conditions::of(reading);
    if let Some(odo) = reading.odometer_km.filter(|v| v.is_finite()) {
        emit(Indicator::Odometer, odo);
    }
    if let Some(a) = c.ambient {
        emit(Indicator::Ambient, a);
    }
    observe_dpf(&c, &mut emit);
    observe_scr(&c, &mut emit);
    observe_oil(&c, &mut emit);
    observe_engine_temperatures(&c, &mut emit);
    observe_battery(&c, &mut emit);
    observe_tires(&c, &mut emit);
    if let Some(pad) = c.get(names::BRAKE_PAD_MM) {
        emit(Indicator::BrakePad, pad);
    }
    if let Some(w) = c.get(names::BRAKE_PAD_WEAR_PCT) {
        emit(Indicator::BrakeWear, w);
    }
}

/// DPF: pressure drop over the filter scales with exhaust flow, estimated from engine
/// speed and load; regenerations change it for reasons of their own.
fn observe_dpf(c: &Conditions<'_>, emit: &mut impl FnMut(Indicator, f64)) {
    let regen = c.get(names::DPF_REGEN_ACTIVE).is_some_and(|f| f >= 0.5);
    if let (Some(dp), Some(soot), Some(r), Some(load), false) = (
        c.get(names::DPF_DIFF_PRESSURE_KPA),
        c.get(names::DPF_SOOT_LOAD_PCT),
        c.rpm,
        c.get(names::ENGINE_LOAD_PCT),
        regen,
    ) {
        let flow = (r / RATED_RPM * (0.35 + 0.65 * load / 100.0)).min(1.0);
        if c.running && flow >= MIN_FLOW {
            emit(Indicator::DpfDpRef, dp * HIGHWAY_FLOW / flow);
            emit(Indicator::DpfSoot, soot);
        }
    }
    if let Some(n) = c.get(names::DPF_FAILED_REGEN_COUNT) {
        emit(Indicator::DpfFailedRegens, n);
    }
}

/// SCR: conversion is only meaningful once the catalyst is warm.
fn observe_scr(c: &Conditions<'_>, emit: &mut impl FnMut(Indicator, f64)) {
    if let (Some(up), Some(down), Some(inlet)) = (
        c.get(names::SCR_NOX_UPSTREAM_PPM),
        c.get(names::SCR_NOX_DOWNSTREAM_PPM),
        c.get(names::SCR_INLET_TEMP_C),
    ) && inlet >= 260.0
        && up >= 100.0
    {
        emit(Indicator::ScrConversion, (1.0 - down / up).clamp(0.0, 1.0));
    }
    if let Some(q) = c.get(names::DEF_QUALITY_PCT) {
        emit(Indicator::DefQuality, q);
    }
}

/// Oil pressure depends on speed and viscosity: compare it at warm idle only.
fn observe_oil(c: &Conditions<'_>, emit: &mut impl FnMut(Indicator, f64)) {
    if let (Some(p), Some(oil_t), Some(r)) = (
        c.get(names::OIL_PRESSURE_KPA),
        c.get(names::OIL_TEMP_C),
        c.rpm,
    ) && c.running
        && r < 1000.0
        && oil_t >= 85.0
        && c.state.speed.is_some_and(|v| v < 1.0)
    {
        emit(Indicator::OilPressureIdle, p);
    }
    if let Some(level) = c.get(names::OIL_LEVEL_PCT) {
        emit(Indicator::OilLevel, level);
    }
}

/// Engine temperatures, with the load and weather they depend on (see
/// `crate::health::rul::Normalization`), only with a warm engine (see
/// [`Warmth`]): coolant while an engine warms up is not a stuck-open thermostat, so a
/// healthy engine on a short winter trip is not mistaken for one. Warmth is judged
/// from the reading itself (oil against coolant, or the run time since start), so the
/// order readings arrive in does not matter; a reading with neither is not counted.
fn observe_engine_temperatures(c: &Conditions<'_>, emit: &mut impl FnMut(Indicator, f64)) {
    let coolant = c.get(names::COOLANT_TEMP_C);
    let warm_driving =
        c.running && c.state.warmth == Warmth::Warm && c.state.speed.is_some_and(|v| v > 5.0);
    if !warm_driving {
        return;
    }
    if let Some(t) = coolant {
        emit(Indicator::CoolantDriving, t);
    }
    if let Some(t) = c.get(names::TRANS_OIL_TEMP_C) {
        emit(Indicator::TransTemp, t);
    }
    if let Some(l) = c.get(names::ENGINE_LOAD_PCT) {
        emit(Indicator::LoadWarm, l);
    }
    if let Some(a) = c.ambient {
        emit(Indicator::AmbientWarm, a);
        emit(Indicator::HeatWarm, (a - HEAT_FROM_C).max(0.0));
    }
}

/// Battery voltage with the engine stopped (at rest if the state confirms it) or while
/// charging (running on its own; cranking is neither).
fn observe_battery(c: &Conditions<'_>, emit: &mut impl FnMut(Indicator, f64)) {
    let Some(v) = c.get(names::BATTERY_VOLTAGE_V) else {
        return;
    };
    if c.stopped {
        // A resting lead-acid battery reads lower in the cold (~4 mV/°C below 20 °C).
        let cold = c.ambient.map_or(0.0, |a| (20.0 - a).max(0.0));
        emit(Indicator::BatteryRest, v + 0.004 * cold);
    } else if c.running {
        emit(Indicator::ChargeVoltage, v);
    }
}

/// Tires: a tire parked for hours is at ambient temperature, so the gas law brings its
/// pressure to 20 °C and weather cancels out; driving heat would not.
fn observe_tires(c: &Conditions<'_>, emit: &mut impl FnMut(Indicator, f64)) {
    let Some(a) = c.ambient.filter(|_| c.stopped) else {
        return;
    };
    let wheels = [
        (names::TIRE_PRESSURE_FL_KPA, Indicator::TireFl),
        (names::TIRE_PRESSURE_FR_KPA, Indicator::TireFr),
        (names::TIRE_PRESSURE_RL_KPA, Indicator::TireRl),
        (names::TIRE_PRESSURE_RR_KPA, Indicator::TireRr),
    ];
    for (name, indicator) in wheels {
        if let Some(p) = c.get(name).filter(|p| *p > 20.0) {
            emit(
                indicator,
                (p + ATM_KPA) * (20.0 + KELVIN) / (a + KELVIN) - ATM_KPA,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::Utc;

    use super::*;

    fn reading(signals: &[(&str, f64)]) -> TelemetryReading {
        TelemetryReading {
            reading_id: None,
            vehicle_id: "V1".to_owned(),
            vin: None,
            recorded_at: Utc::now(),
            odometer_km: Some(1000.0),
            engine_hours: None,
            location: None,
            signals: signals
                .iter()
                .map(|(k, v)| ((*k).to_owned(), *v))
                .collect::<BTreeMap<_, _>>(),
            dtcs: Vec::new(),
        }
    }

    fn collect(r: &TelemetryReading) -> BTreeMap<Indicator, f64> {
        let mut out = BTreeMap::new();
        observe(r, |i, v| {
            out.insert(i, v);
        });
        out
    }

    #[test]
    fn indices_match_all() {
        for (i, ind) in Indicator::ALL.iter().enumerate() {
            assert_eq!(ind.index(), i);
        }
    }

    #[test]
    fn warm_idle_oil_pressure_only_at_warm_idle() {
        let warm_idle = reading(&[
            (names::ENGINE_RPM, 650.0),
            (names::VEHICLE_SPEED_KPH, 0.0),
            (names::OIL_TEMP_C, 95.0),
            (names::OIL_PRESSURE_KPA, 210.0),
        ]);
        assert_eq!(collect(&warm_idle)[&Indicator::OilPressureIdle], 210.0);
        let driving = reading(&[
            (names::ENGINE_RPM, 1500.0),
            (names::VEHICLE_SPEED_KPH, 80.0),
            (names::OIL_TEMP_C, 95.0),
            (names::OIL_PRESSURE_KPA, 380.0),
        ]);
        assert!(!collect(&driving).contains_key(&Indicator::OilPressureIdle));
        let cold_idle = reading(&[
            (names::ENGINE_RPM, 750.0),
            (names::VEHICLE_SPEED_KPH, 0.0),
            (names::OIL_TEMP_C, 40.0),
            (names::OIL_PRESSURE_KPA, 300.0),
        ]);
        assert!(!collect(&cold_idle).contains_key(&Indicator::OilPressureIdle));
    }

    #[test]
    fn battery_rest_when_parked_charge_when_running_and_cold_corrected() {
        let parked = reading(&[
            (names::ENGINE_RPM, 0.0),
            (names::VEHICLE_SPEED_KPH, 0.0),
            (names::AMBIENT_TEMP_C, -5.0),
            (names::BATTERY_VOLTAGE_V, 12.5),
        ]);
        let got = collect(&parked);
        assert!((got[&Indicator::BatteryRest] - 12.6).abs() < 1e-9);
        assert!(!got.contains_key(&Indicator::ChargeVoltage));
        let running = reading(&[
            (names::ENGINE_RPM, 1200.0),
            (names::VEHICLE_SPEED_KPH, 50.0),
            (names::BATTERY_VOLTAGE_V, 14.1),
        ]);
        let got = collect(&running);
        assert_eq!(got[&Indicator::ChargeVoltage], 14.1);
        assert!(!got.contains_key(&Indicator::BatteryRest));
    }

    #[test]
    fn dpf_pressure_is_scaled_to_highway_flow_and_skipped_in_regeneration() {
        let dpf = |rpm: f64, load: f64, dp: f64, regen: f64| {
            collect(&reading(&[
                (names::ENGINE_RPM, rpm),
                (names::ENGINE_LOAD_PCT, load),
                (names::DPF_DIFF_PRESSURE_KPA, dp),
                (names::DPF_SOOT_LOAD_PCT, 50.0),
                (names::DPF_REGEN_ACTIVE, regen),
            ]))
        };
        // rpm 1800 at 100 % load is flow 1.0: 10 kPa scales to 6.5 kPa at flow 0.65.
        let full = dpf(1800.0, 100.0, 10.0, 0.0);
        assert!((full[&Indicator::DpfDpRef] - 6.5).abs() < 1e-9);
        assert_eq!(full[&Indicator::DpfSoot], 50.0);
        let regen = dpf(1800.0, 100.0, 10.0, 1.0);
        assert!(!regen.contains_key(&Indicator::DpfDpRef));
        let idle = dpf(650.0, 10.0, 1.0, 0.0);
        assert!(!idle.contains_key(&Indicator::DpfDpRef));
    }

    #[test]
    fn engine_temperatures_count_once_oil_has_caught_up() {
        let at = |oil: f64| {
            collect(&reading(&[
                (names::ENGINE_RPM, 1500.0),
                (names::VEHICLE_SPEED_KPH, 60.0),
                (names::COOLANT_TEMP_C, 75.0),
                (names::OIL_TEMP_C, oil),
                (names::TRANS_OIL_TEMP_C, 60.0),
                (names::ENGINE_LOAD_PCT, 40.0),
            ]))
        };
        let warming_up = at(55.0);
        let cold_start = at(75.5);
        assert!(
            !cold_start.contains_key(&Indicator::CoolantDriving),
            "both at ambient"
        );
        assert!(!warming_up.contains_key(&Indicator::CoolantDriving));
        assert!(!warming_up.contains_key(&Indicator::TransTemp));
        let warm = at(80.0);
        assert_eq!(warm[&Indicator::CoolantDriving], 75.0);
        assert_eq!(warm[&Indicator::TransTemp], 60.0);
        assert_eq!(warm[&Indicator::LoadWarm], 40.0);
    }

    #[test]
    fn without_oil_temperature_the_run_time_says_when_the_engine_is_warm() {
        let after = |run_s: Option<f64>| {
            let mut signals = vec![
                (names::ENGINE_RPM, 1500.0),
                (names::VEHICLE_SPEED_KPH, 60.0),
                (names::COOLANT_TEMP_C, 62.0),
            ];
            signals.extend(run_s.map(|s| (names::ENGINE_RUN_TIME_S, s)));
            collect(&reading(&signals))
        };
        assert!(
            !after(None).contains_key(&Indicator::CoolantDriving),
            "unknown"
        );
        assert!(!after(Some(240.0)).contains_key(&Indicator::CoolantDriving));
        assert_eq!(after(Some(1200.0))[&Indicator::CoolantDriving], 62.0);
    }

    #[test]
    fn cranking_is_neither_rest_nor_charging() {
        let cranking = collect(&reading(&[
            (names::ENGINE_RPM, 220.0),
            (names::VEHICLE_SPEED_KPH, 0.0),
            (names::BATTERY_VOLTAGE_V, 9.4),
        ]));
        assert!(!cranking.contains_key(&Indicator::BatteryRest));
        assert!(!cranking.contains_key(&Indicator::ChargeVoltage));
    }

    #[test]
    fn scr_conversion_needs_a_warm_catalyst() {
        let warm = reading(&[
            (names::SCR_NOX_UPSTREAM_PPM, 800.0),
            (names::SCR_NOX_DOWNSTREAM_PPM, 40.0),
            (names::SCR_INLET_TEMP_C, 320.0),
        ]);
        assert!((collect(&warm)[&Indicator::ScrConversion] - 0.95).abs() < 1e-9);
        let cold = reading(&[
            (names::SCR_NOX_UPSTREAM_PPM, 800.0),
            (names::SCR_NOX_DOWNSTREAM_PPM, 700.0),
            (names::SCR_INLET_TEMP_C, 150.0),
        ]);
        assert!(!collect(&cold).contains_key(&Indicator::ScrConversion));
    }

    #[test]
    fn parked_tire_pressures_are_corrected_to_20c() {
        let cold_night = reading(&[
            (names::ENGINE_RPM, 0.0),
            (names::AMBIENT_TEMP_C, -6.85),
            (names::TIRE_PRESSURE_FL_KPA, 600.0),
        ]);
        let got = collect(&cold_night);
        // 701.325 kPa absolute at 266.3 K is 772.0 kPa absolute at 293.15 K.
        let expected = 701.325 * 293.15 / 266.3 - 101.325;
        assert!((got[&Indicator::TireFl] - expected).abs() < 1e-9);
        assert!(!got.contains_key(&Indicator::TireFr));
        let driving = reading(&[
            (names::ENGINE_RPM, 1500.0),
            (names::VEHICLE_SPEED_KPH, 80.0),
            (names::AMBIENT_TEMP_C, 10.0),
            (names::TIRE_PRESSURE_FL_KPA, 780.0),
        ]);
        assert!(!collect(&driving).contains_key(&Indicator::TireFl));
    }
}
