//! Injected component degradations and the ground truth the health service is scored
//! against.
//!
//! A degradation has an onset and a failure instant. Between them its *progress*
//! `p = (t − onset) / (failure − onset)` runs from 0 to 1 and a mode-specific
//! *severity* curve (exponential or power law, see [`FailureMode::severity`]) maps it
//! to how far the physics has moved from healthy towards the failure threshold:
//! severity 1 puts the mode's key signal exactly on its [`Criterion`] threshold under
//! the criterion's reference conditions. So `failure_at` in the truth file is the
//! instant the physical threshold is crossed; measurement noise and operating
//! conditions make the first observed crossing scatter a little around it.
//!
//! After failure the vehicle is **not** repaired: it keeps running degraded, the
//! severity keeps growing for a while and then saturates at [`MAX_SEVERITY`], and the
//! trouble codes stay active until the end of the run. That keeps the truth simple
//! (one onset, one failure per vehicle) and gives detectors a sustained failed state.

use chrono::{DateTime, Utc};
use rand::Rng;
use rand::rngs::SmallRng;
use serde::Serialize;
use shared_schemas::signals::names;

use crate::odometer::OdometerFaultTruth;
use crate::profile::VehicleKind;
use crate::sample::DTC_TABLE;

/// Severity never grows past this: a failed component limps on instead of producing
/// values outside the physical ranges.
pub const MAX_SEVERITY: f64 = 1.3;

/// The components the health service scores (docs/domain.md, "Health and RUL"): the
/// platform's own vocabulary, so the truth file names them as the services do.
pub use shared_schemas::events::health::Component;

/// How a signal must compare to its threshold to count as failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Failed when above the threshold.
    Above,
    /// Failed when below the threshold.
    Below,
}

/// Under which operating conditions the threshold applies. Several signals depend
/// strongly on the operating point (a cold engine is below 70 °C whatever its
/// thermostat does), so the failure is defined at a reference condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Any reading.
    Any,
    /// Engine running for at least 30 minutes (warmed up).
    WarmRunning,
    /// Warm engine at idle: vehicle standing, oil at least 85 °C.
    WarmIdle,
    /// Engine parked (heartbeat readings): the battery's rested voltage.
    Parked,
    /// SCR catalyst warm: inlet at least 260 °C, NOx upstream at least 100 ppm.
    ScrWarm,
    /// Highway exhaust flow: DPF flow factor (see [`crate::physics::dpf_flow`])
    /// between 0.6 and 0.8.
    HighwayFlow,
}

/// The physical failure definition of a mode.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Criterion {
    /// Key signal (catalog name), or `scr_nox_conversion`, derived as
    /// `1 − scr_nox_downstream_ppm / scr_nox_upstream_ppm`.
    pub signal: &'static str,
    /// Threshold value in the signal's unit.
    pub threshold: f64,
    /// Which side of the threshold is failed.
    pub direction: Direction,
    /// When the threshold applies.
    pub condition: Condition,
}

impl Criterion {
    /// Whether `value` is on the failed side.
    pub fn failed(&self, value: f64) -> bool {
        match self.direction {
            Direction::Above => value > self.threshold,
            Direction::Below => value < self.threshold,
        }
    }
}

/// The derived key signal of SCR efficiency.
pub const SCR_CONVERSION: &str = "scr_nox_conversion";

/// A failure mode the simulator can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureMode {
    /// DPF clogging: regenerations start failing, soot and differential pressure
    /// rise, exhaust back-pressure follows.
    DpfClogging,
    /// SCR catalyst ageing/poisoning: downstream NOx approaches upstream.
    ScrEfficiencyLoss,
    /// Diluted or contaminated DEF: urea concentration drops, conversion follows.
    DefDilution,
    /// Oil leak: oil level and oil pressure fall.
    OilLeak,
    /// Failing water pump / clogged radiator: coolant runs hot.
    CoolantOverheat,
    /// Thermostat stuck open: the engine runs cold.
    ThermostatStuckOpen,
    /// Abnormal brake wear (sticking caliper): pads thin fast.
    BrakeWear,
    /// Sulphating battery: rested and charging voltage drop.
    BatteryAgeing,
    /// Transmission cooler fault / slipping clutch packs: trans oil runs hot.
    TransmissionOverheat,
    /// Puncture with a slow leak on one wheel.
    TireSlowLeak,
}

/// A trouble code rule: code `DTC_TABLE[dtc]` becomes active at `from_progress`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct DtcRule {
    dtc: usize,
    from_progress: f64,
    trucks_only: bool,
}

const fn rule(dtc: usize, from_progress: f64) -> DtcRule {
    DtcRule {
        dtc,
        from_progress,
        trucks_only: false,
    }
}

impl FailureMode {
    /// Every mode.
    pub const ALL: [Self; 10] = [
        Self::DpfClogging,
        Self::ScrEfficiencyLoss,
        Self::DefDilution,
        Self::OilLeak,
        Self::CoolantOverheat,
        Self::ThermostatStuckOpen,
        Self::BrakeWear,
        Self::BatteryAgeing,
        Self::TransmissionOverheat,
        Self::TireSlowLeak,
    ];

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::DpfClogging => "dpf_clogging",
            Self::ScrEfficiencyLoss => "scr_efficiency_loss",
            Self::DefDilution => "def_dilution",
            Self::OilLeak => "oil_leak",
            Self::CoolantOverheat => "coolant_overheat",
            Self::ThermostatStuckOpen => "thermostat_stuck_open",
            Self::BrakeWear => "brake_wear",
            Self::BatteryAgeing => "battery_ageing",
            Self::TransmissionOverheat => "transmission_overheat",
            Self::TireSlowLeak => "tire_slow_leak",
        }
    }

    /// The component that degrades.
    pub const fn component(self) -> Component {
        match self {
            Self::DpfClogging => Component::Dpf,
            Self::ScrEfficiencyLoss | Self::DefDilution => Component::ScrDef,
            Self::OilLeak => Component::EngineOil,
            Self::CoolantOverheat | Self::ThermostatStuckOpen => Component::Cooling,
            Self::BrakeWear => Component::Brakes,
            Self::BatteryAgeing => Component::Battery,
            Self::TransmissionOverheat => Component::Transmission,
            Self::TireSlowLeak => Component::Tires,
        }
    }

    /// Whether a vehicle of `kind` has the component.
    pub const fn applies_to(self, kind: VehicleKind) -> bool {
        match self {
            Self::DpfClogging | Self::ScrEfficiencyLoss | Self::DefDilution => kind.is_diesel(),
            _ => true,
        }
    }

    /// Realistic onset-to-failure span, days.
    pub const fn duration_days(self) -> (f64, f64) {
        match self {
            Self::DpfClogging => (10.0, 45.0),
            Self::ScrEfficiencyLoss => (20.0, 60.0),
            Self::DefDilution => (5.0, 20.0),
            Self::OilLeak => (5.0, 30.0),
            Self::CoolantOverheat => (7.0, 40.0),
            Self::ThermostatStuckOpen => (10.0, 45.0),
            Self::BrakeWear => (15.0, 60.0),
            Self::BatteryAgeing => (20.0, 90.0),
            Self::TransmissionOverheat => (10.0, 45.0),
            Self::TireSlowLeak => (3.0, 20.0),
        }
    }

    /// Severity at progress `p` (0 at onset, 1 at failure, capped at
    /// [`MAX_SEVERITY`]). Blockages and overheating accelerate (exponential);
    /// wear-like modes follow power laws.
    pub fn severity(self, p: f64) -> f64 {
        if p <= 0.0 {
            return 0.0;
        }
        let s = match self {
            Self::DpfClogging | Self::CoolantOverheat | Self::TransmissionOverheat => {
                (3.0 * p).exp_m1() / 3.0_f64.exp_m1()
            }
            Self::ScrEfficiencyLoss | Self::ThermostatStuckOpen | Self::BatteryAgeing => p * p,
            Self::DefDilution => p.powf(1.5),
            Self::OilLeak => p.powf(1.7),
            Self::BrakeWear => p.powf(1.3),
            Self::TireSlowLeak => p.powf(1.2),
        };
        s.min(MAX_SEVERITY)
    }

    /// The physical failure definition.
    pub const fn criterion(self) -> Criterion {
        let (signal, threshold, direction, condition) = match self {
            Self::DpfClogging => (
                names::DPF_DIFF_PRESSURE_KPA,
                25.0,
                Direction::Above,
                Condition::HighwayFlow,
            ),
            Self::ScrEfficiencyLoss => (SCR_CONVERSION, 0.6, Direction::Below, Condition::ScrWarm),
            Self::DefDilution => (
                names::DEF_QUALITY_PCT,
                26.0,
                Direction::Below,
                Condition::Any,
            ),
            Self::OilLeak => (
                names::OIL_PRESSURE_KPA,
                100.0,
                Direction::Below,
                Condition::WarmIdle,
            ),
            Self::CoolantOverheat => (
                names::COOLANT_TEMP_C,
                110.0,
                Direction::Above,
                Condition::Any,
            ),
            Self::ThermostatStuckOpen => (
                names::COOLANT_TEMP_C,
                70.0,
                Direction::Below,
                Condition::WarmRunning,
            ),
            Self::BrakeWear => (names::BRAKE_PAD_MM, 3.0, Direction::Below, Condition::Any),
            Self::BatteryAgeing => (
                names::BATTERY_VOLTAGE_V,
                12.0,
                Direction::Below,
                Condition::Parked,
            ),
            Self::TransmissionOverheat => (
                names::TRANS_OIL_TEMP_C,
                120.0,
                Direction::Above,
                Condition::Any,
            ),
            // 25 % below placard is the FMVSS 138 TPMS warning level; the signal is
            // the leaking wheel's pressure (see `wheel` in the truth).
            Self::TireSlowLeak => ("tire_pressure_kpa", 0.75, Direction::Below, Condition::Any),
        };
        Criterion {
            signal,
            threshold,
            direction,
            condition,
        }
    }

    fn dtc_rules(self) -> &'static [DtcRule] {
        const DPF: &[DtcRule] = &[rule(0, 0.9)];
        const SCR: &[DtcRule] = &[rule(1, 0.9)];
        const DEF: &[DtcRule] = &[rule(2, 0.85), rule(1, 1.0)];
        const OIL: &[DtcRule] = &[rule(4, 0.75), rule(3, 0.92)];
        const HOT: &[DtcRule] = &[rule(5, 0.92)];
        const COLD: &[DtcRule] = &[rule(6, 0.9)];
        const BATTERY: &[DtcRule] = &[rule(7, 0.9)];
        const TRANS: &[DtcRule] = &[rule(8, 0.9)];
        const BRAKES: &[DtcRule] = &[DtcRule {
            dtc: 9,
            from_progress: 0.9,
            trucks_only: true,
        }];
        match self {
            Self::DpfClogging => DPF,
            Self::ScrEfficiencyLoss => SCR,
            Self::DefDilution => DEF,
            Self::OilLeak => OIL,
            Self::CoolantOverheat => HOT,
            Self::ThermostatStuckOpen => COLD,
            Self::BatteryAgeing => BATTERY,
            Self::TransmissionOverheat => TRANS,
            Self::BrakeWear => BRAKES,
            // A TPMS warning is a dashboard lamp, not a powertrain code.
            Self::TireSlowLeak => &[],
        }
    }

    /// The trouble codes the mode can raise on a vehicle of `kind`, in display form.
    pub fn dtc_names(self, kind: VehicleKind) -> Vec<String> {
        self.dtc_rules()
            .iter()
            .filter(|r| !r.trucks_only || kind.is_diesel())
            .map(|r| DTC_TABLE[r.dtc].to_string())
            .collect()
    }
}

/// One injected fault of one vehicle.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Degradation {
    /// The mode.
    pub mode: FailureMode,
    /// Onset, Unix seconds.
    pub onset: i64,
    /// Failure (threshold crossed at reference conditions), Unix seconds.
    pub failure: i64,
    /// Leaking wheel for [`FailureMode::TireSlowLeak`] (0 FL, 1 FR, 2 RL, 3 RR).
    pub wheel: usize,
}

/// Wheel names by index.
pub const WHEELS: [&str; 4] = ["fl", "fr", "rl", "rr"];

impl Degradation {
    /// Draws a degradation for a vehicle of `kind` in a run from `start` to `end`
    /// (Unix seconds).
    ///
    /// Onsets fall between 10 % and 55 % of the run, so detectors see a healthy
    /// baseline first. The span to failure is drawn from the mode's realistic range
    /// but compressed to the time left in the run (times 0.6–1.3), so most degraded
    /// vehicles fail inside the run and some shortly after it; short runs therefore
    /// show accelerated failures.
    pub fn draw(rng: &mut SmallRng, kind: VehicleKind, start: i64, end: i64) -> Self {
        let modes: Vec<FailureMode> = FailureMode::ALL
            .into_iter()
            .filter(|m| m.applies_to(kind))
            .collect();
        let mode = modes[rng.random_range(0..modes.len())];
        let span = (end - start) as f64;
        let onset = start + (span * rng.random_range(0.1..0.55)) as i64;
        let (lo, hi) = mode.duration_days();
        let realistic = rng.random_range(lo..hi) * 86_400.0;
        let fitted = (end - onset) as f64 * rng.random_range(0.6..1.3);
        let duration = realistic.min(fitted).max(3600.0);
        Self {
            mode,
            onset,
            failure: onset + duration as i64,
            wheel: rng.random_range(0..4),
        }
    }

    /// Progress at `t`: 0 before onset, 1 at failure, growing after.
    pub fn progress(&self, t: i64) -> f64 {
        if t <= self.onset {
            return 0.0;
        }
        (t - self.onset) as f64 / (self.failure - self.onset).max(1) as f64
    }

    /// Severity at `t` (see [`FailureMode::severity`]).
    pub fn severity(&self, t: i64) -> f64 {
        self.mode.severity(self.progress(t))
    }

    /// Active trouble codes at `t` as a [`DTC_TABLE`] bit mask.
    pub fn dtc_mask(&self, t: i64, kind: VehicleKind) -> u16 {
        self.mode.dtc_mask_at(self.progress(t), kind)
    }
}

impl FailureMode {
    /// Active trouble codes at progress (or wear) `p` as a [`DTC_TABLE`] bit mask.
    pub fn dtc_mask_at(self, p: f64, kind: VehicleKind) -> u16 {
        self.dtc_rules()
            .iter()
            .filter(|r| p >= r.from_progress && (!r.trucks_only || kind.is_diesel()))
            .fold(0, |m, r| m | (1 << r.dtc))
    }
}

/// Per-mode severities at one instant, as the physics consumes them (all 0 for a
/// healthy vehicle).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Effects {
    /// [`FailureMode::DpfClogging`].
    pub dpf_clog: f64,
    /// [`FailureMode::ScrEfficiencyLoss`].
    pub scr_loss: f64,
    /// [`FailureMode::DefDilution`].
    pub def_dilution: f64,
    /// [`FailureMode::OilLeak`].
    pub oil_leak: f64,
    /// [`FailureMode::CoolantOverheat`].
    pub coolant_hot: f64,
    /// [`FailureMode::ThermostatStuckOpen`].
    pub coolant_cold: f64,
    /// [`FailureMode::BrakeWear`].
    pub brake_wear: f64,
    /// [`FailureMode::BatteryAgeing`].
    pub battery: f64,
    /// [`FailureMode::TransmissionOverheat`].
    pub trans_hot: f64,
    /// [`FailureMode::TireSlowLeak`].
    pub tire_leak: f64,
}

impl Effects {
    /// The effects of `deg` at `t`.
    pub fn at(deg: Option<&Degradation>, t: i64) -> Self {
        let mut e = Self::default();
        let Some(d) = deg else { return e };
        *e.slot(d.mode) = d.severity(t);
        e
    }

    /// The severity slot of `mode`.
    pub fn slot(&mut self, mode: FailureMode) -> &mut f64 {
        match mode {
            FailureMode::DpfClogging => &mut self.dpf_clog,
            FailureMode::ScrEfficiencyLoss => &mut self.scr_loss,
            FailureMode::DefDilution => &mut self.def_dilution,
            FailureMode::OilLeak => &mut self.oil_leak,
            FailureMode::CoolantOverheat => &mut self.coolant_hot,
            FailureMode::ThermostatStuckOpen => &mut self.coolant_cold,
            FailureMode::BrakeWear => &mut self.brake_wear,
            FailureMode::BatteryAgeing => &mut self.battery,
            FailureMode::TransmissionOverheat => &mut self.trans_hot,
            FailureMode::TireSlowLeak => &mut self.tire_leak,
        }
    }
}

/// The ground-truth file: what was injected where, for scoring detectors.
#[derive(Debug, Clone, Serialize)]
pub struct GroundTruth {
    /// `fleetsim <version>`.
    pub generator: String,
    /// The run's seed.
    pub seed: u64,
    /// First simulated instant.
    pub start: DateTime<Utc>,
    /// End of the simulated span (exclusive).
    pub end: DateTime<Utc>,
    /// Reporting interval while the engine runs, seconds.
    pub interval_s: u32,
    /// Fraction of vehicles asked to degrade.
    pub degrade_fraction: f64,
    /// Fraction of vehicles given an odometer fault (absent when 0, so truth files
    /// of runs without odometer faults are unchanged).
    #[serde(skip_serializing_if = "is_zero")]
    pub odometer_fault_fraction: f64,
    /// What happens after a failure.
    pub after_failure: &'static str,
    /// The realistic profile's switches and parameters (absent on the default
    /// profile, so its truth files are unchanged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realism: Option<crate::realism::RealismRunTruth>,
    /// Every vehicle, in id order.
    pub vehicles: Vec<VehicleTruth>,
}

/// Truth for one vehicle.
#[derive(Debug, Clone, Serialize)]
pub struct VehicleTruth {
    /// Fleet id.
    pub vehicle_id: String,
    /// VIN.
    pub vin: String,
    /// Truck or car.
    pub kind: VehicleKind,
    /// Duty profile.
    pub profile: crate::profile::DutyProfile,
    /// Manufacturer.
    pub make: &'static str,
    /// Model year.
    pub model_year: i32,
    /// Home base city.
    pub home_base: &'static str,
    /// Whether a degradation was injected.
    pub degraded: bool,
    /// The degradation, when injected.
    pub degradation: Option<DegradationTruth>,
    /// The odometer fault, when injected and shown by a reading (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub odometer_fault: Option<OdometerFaultTruth>,
    /// The realistic profile's record of the vehicle: model, faults (several, with
    /// law and failure as it happened), services and repairs, sensor faults, running
    /// hot, climate. Absent on the default profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realism: Option<crate::realism::VehicleRealismTruth>,
}

/// Serde's `skip_serializing_if` (which passes a reference) for a fraction that was
/// not asked for.
fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// Truth of one injected degradation.
#[derive(Debug, Clone, Serialize)]
pub struct DegradationTruth {
    /// Component (docs/domain.md component list).
    pub component: Component,
    /// Failure mode.
    pub mode: FailureMode,
    /// Onset of degradation.
    pub onset_at: DateTime<Utc>,
    /// Instant the physical failure threshold is crossed.
    pub failure_at: DateTime<Utc>,
    /// Whether `failure_at` falls inside the simulated span.
    pub fails_within_run: bool,
    /// The physical failure definition.
    pub criterion: Criterion,
    /// Trouble codes that appear near failure (and stay active after it).
    pub dtcs: Vec<String>,
    /// The leaking wheel, for tire leaks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wheel: Option<&'static str>,
}

impl DegradationTruth {
    /// The truth record of `d` on a vehicle of `kind`, in a run ending at `end`.
    pub fn new(d: &Degradation, kind: VehicleKind, end: i64) -> Self {
        let ts = |t: i64| DateTime::from_timestamp(t, 0).unwrap_or_default();
        Self {
            component: d.mode.component(),
            mode: d.mode,
            onset_at: ts(d.onset),
            failure_at: ts(d.failure),
            fails_within_run: d.failure < end,
            criterion: d.mode.criterion(),
            dtcs: d.mode.dtc_names(kind),
            wheel: (d.mode == FailureMode::TireSlowLeak).then(|| WHEELS[d.wheel]),
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn severity_is_zero_before_onset_one_at_failure_and_monotonic() {
        for m in FailureMode::ALL {
            assert_eq!(m.severity(0.0), 0.0);
            assert!((m.severity(1.0) - 1.0).abs() < 1e-12, "{m:?}");
            let mut prev = 0.0;
            for i in 1..=150 {
                let s = m.severity(f64::from(i) / 100.0);
                assert!(s >= prev, "{m:?} not monotonic");
                prev = s;
            }
            assert!(prev <= MAX_SEVERITY);
        }
    }

    #[test]
    fn cars_get_no_aftertreatment_faults_and_onsets_fit_the_run() {
        let mut rng = SmallRng::seed_from_u64(5);
        let (start, end) = (1_700_000_000, 1_700_000_000 + 90 * 86_400);
        for _ in 0..500 {
            let d = Degradation::draw(&mut rng, VehicleKind::Car, start, end);
            assert!(d.mode.applies_to(VehicleKind::Car));
            assert!(!matches!(
                d.mode.component(),
                Component::Dpf | Component::ScrDef
            ));
            assert!(d.onset > start && d.onset < end && d.failure > d.onset);
            assert!(d.failure < end + 90 * 86_400 / 3);
        }
    }

    #[test]
    fn dtcs_appear_only_near_failure() {
        let d = Degradation {
            mode: FailureMode::DpfClogging,
            onset: 0,
            failure: 1000,
            wheel: 0,
        };
        assert_eq!(d.dtc_mask(500, VehicleKind::DieselTruck), 0);
        assert_eq!(d.dtc_mask(950, VehicleKind::DieselTruck), 1);
        let brakes = Degradation {
            mode: FailureMode::BrakeWear,
            ..d
        };
        assert_eq!(brakes.dtc_mask(1000, VehicleKind::Car), 0);
        assert_ne!(brakes.dtc_mask(1000, VehicleKind::DieselTruck), 0);
    }
}
