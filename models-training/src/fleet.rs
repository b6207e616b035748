//! Replaying a simulated fleet (`fleetsim`) through the health engine, exactly as the
//! health service would see it, and scoring its alarms against the ground truth.
//!
//! Each vehicle's readings are applied in time order and the vehicle is assessed at a
//! fixed cadence of simulated time (the service assesses on every batch; the cadence
//! only bounds the work). Vehicles are independent, so they run on several threads
//! with identical results.

use std::collections::BTreeMap;

use fleetsim::degradation::Degradation;
use fleetsim::simulate::{SimConfig, VehicleSim, build_fleet};
use fleetsim::vehicle::Vehicle;
use shared_schemas::events::{Component, HealthBand, Severity};
use shared_schemas::parts::Part;

use models::health::{Assessment, Engine, Reported, Transition, VehicleState};

/// A simulated fleet to replay.
#[derive(Debug, Clone, Copy)]
pub struct FleetSpec {
    /// Vehicles.
    pub vehicles: u32,
    /// Simulated days.
    pub days: u32,
    /// Simulation seed.
    pub seed: u64,
    /// Share of vehicles given a degradation.
    pub degrade_fraction: f64,
    /// Seconds of simulated time between assessments.
    pub assess_every_s: i64,
    /// Reporting interval while driving, seconds.
    pub interval_s: u32,
}

impl FleetSpec {
    /// The simulation settings: the run ends at a fixed instant so a seed always
    /// produces the same fleet.
    pub fn sim_config(&self) -> SimConfig {
        let end = 1_767_225_600; // 2026-01-01T00:00:00Z
        SimConfig {
            start: end - i64::from(self.days) * 86_400,
            end,
            interval_s: self.interval_s,
            seed: self.seed,
        }
    }

    /// The vehicles, with their injected degradations.
    pub fn fleet(&self) -> Vec<Vehicle> {
        build_fleet(self.vehicles, &self.sim_config(), self.degrade_fraction)
    }
}

/// What the engine made of one vehicle.
#[derive(Debug, Clone)]
pub struct VehicleRun {
    /// The vehicle (its degradation is the truth).
    pub vehicle: Vehicle,
    /// First `component.degraded` per component, Unix seconds.
    pub first_degraded: BTreeMap<Component, i64>,
    /// First `component.critical` per component, Unix seconds.
    pub first_critical: BTreeMap<Component, i64>,
    /// First transition per component whose RUL was under 8 days: the first decision
    /// the agent's rules rate high or critical, which pages (SMS, push).
    pub first_urgent: BTreeMap<Component, i64>,
    /// `component.degraded` raised, per component (more than one per fault is noise
    /// downstream: repeated alerts).
    pub degraded_events: BTreeMap<Component, u32>,
    /// Readings applied.
    pub readings: u64,
    /// For a degrading vehicle, `(predicted, true)` days to failure of the faulty
    /// component whenever it was reported poor or critical (every 6 h at most) between
    /// onset and failure: what a decision's severity is based on.
    pub rul_checks: Vec<(f64, f64)>,
    /// The same pairs whenever the faulty component was found degrading (an abnormal
    /// trend, a RUL short of the horizon), whatever its band: what RUL intervals are
    /// calibrated and scored on, with the interval the engine gave, if any.
    pub degrading_checks: Vec<DegradingCheck>,
}

/// A RUL of a truly failing part, its interval and the truth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DegradingCheck {
    /// Predicted days to failure.
    pub predicted: f64,
    /// True days to failure.
    pub truth: f64,
    /// The engine's 80 % interval, if it gave one.
    pub interval: Option<[f64; 2]>,
}

/// Simulated seconds between two RUL checks of one vehicle.
const RUL_CHECK_EVERY_S: i64 = 6 * 3600;

/// Replays one vehicle, calling `observe(t, &assessment)` after each assessment.
pub fn replay(
    engine: &Engine,
    vehicle: Vehicle,
    spec: &FleetSpec,
    mut observe: impl FnMut(i64, &Assessment),
) -> VehicleRun {
    let seed = spec.seed;
    let sim = VehicleSim::new(vehicle.clone(), spec.sim_config());
    let mut state = VehicleState::new();
    let mut reported = Reported::default();
    let mut run = VehicleRun {
        vehicle,
        first_degraded: BTreeMap::new(),
        first_critical: BTreeMap::new(),
        first_urgent: BTreeMap::new(),
        degraded_events: BTreeMap::new(),
        readings: 0,
        rul_checks: Vec::new(),
        degrading_checks: Vec::new(),
    };
    let truth = run
        .vehicle
        .degradation
        .map(|d| (truth_component(&d), d.onset, d.failure));
    let mut next_check = i64::MIN;
    let mut next_degrading_check = i64::MIN;
    let mut next_assessment = i64::MIN;
    for sample in sim {
        state.apply(&sample.to_reading(&run.vehicle, seed));
        run.readings += 1;
        if sample.t < next_assessment {
            continue;
        }
        next_assessment = sample.t + spec.assess_every_s;
        let Some(assessment) = engine.assess(&state) else {
            continue;
        };
        observe(sample.t, &assessment);
        if let Some((c, onset, failure)) = truth
            && (onset..failure).contains(&sample.t)
            && sample.t >= next_degrading_check
            && let Some(h) = assessment.component(c)
            && h.rul_days < models::health::rul::RUL_CAP_DAYS
            && h.factors.iter().any(|f| f.abnormal == Some(true))
        {
            next_degrading_check = sample.t + RUL_CHECK_EVERY_S;
            run.degrading_checks.push(DegradingCheck {
                predicted: h.rul_days,
                truth: (failure - sample.t) as f64 / 86_400.0,
                interval: h.rul_interval_days,
            });
        }
        if let Some((c, onset, failure)) = truth
            && (onset..failure).contains(&sample.t)
            && sample.t >= next_check
            && let Some(h) = assessment.component(c)
            && h.band >= HealthBand::Poor
        {
            next_check = sample.t + RUL_CHECK_EVERY_S;
            run.rul_checks
                .push((h.rul_days, (failure - sample.t) as f64 / 86_400.0));
        }
        for t in assessment.transitions(&mut reported) {
            // Every transition of a component leads to one decision on its current RUL.
            let c = match t {
                Transition::Degraded(c) | Transition::Critical(c) => c,
                Transition::Changed { component, .. } => component,
            };
            if let Some(h) = assessment.component(c)
                && Severity::for_days_to_failure(h.rul_days) >= Severity::High
            {
                run.first_urgent.entry(c).or_insert(sample.t);
            }
            match t {
                Transition::Degraded(c) => {
                    run.first_degraded.entry(c).or_insert(sample.t);
                    *run.degraded_events.entry(c).or_default() += 1;
                }
                Transition::Critical(c) => {
                    run.first_critical.entry(c).or_insert(sample.t);
                }
                Transition::Changed { .. } => {}
            }
        }
    }
    run
}

/// Replays every vehicle on `threads` threads; results in vehicle order.
pub fn replay_fleet(engine: &Engine, spec: &FleetSpec, threads: usize) -> Vec<VehicleRun> {
    let fleet = spec.fleet();
    let threads = threads.clamp(1, fleet.len().max(1));
    let mut runs: Vec<Option<VehicleRun>> = vec![None; fleet.len()];
    std::thread::scope(|scope| {
        let chunks: Vec<_> = runs
            .chunks_mut(fleet.len().div_ceil(threads))
            .zip(fleet.chunks(fleet.len().div_ceil(threads)))
            .map(|(out, vehicles)| {
                scope.spawn(move || {
                    for (slot, v) in out.iter_mut().zip(vehicles) {
                        *slot = Some(replay(engine, v.clone(), spec, |_, _| {}));
                    }
                })
            })
            .collect();
        for c in chunks {
            // A panicking replay is a bug in the engine: surface it.
            if let Err(e) = c.join() {
                std::panic::resume_unwind(e);
            }
        }
    });
    runs.into_iter().flatten().collect()
}

/// The component a fleetsim degradation hits (fleetsim speaks the platform's
/// vocabulary).
pub fn truth_component(d: &Degradation) -> Component {
    d.mode.component()
}

/// The failure part (see `health::damage::parts`) a fleetsim degradation moves.
pub fn truth_part(d: &Degradation) -> &'static str {
    use fleetsim::degradation::FailureMode as Mode;
    let part = match d.mode {
        Mode::DpfClogging => Part::DpfRestriction,
        Mode::ScrEfficiencyLoss => Part::ScrConversion,
        Mode::DefDilution => Part::DefQuality,
        Mode::OilLeak => Part::OilPressure,
        Mode::CoolantOverheat => Part::CoolantHot,
        Mode::ThermostatStuckOpen => Part::CoolantCold,
        Mode::BrakeWear => Part::PadWear,
        Mode::BatteryAgeing => Part::BatteryRest,
        Mode::TransmissionOverheat => Part::TransHot,
        // The tire parts are in wheel order (fleetsim's `WHEELS`).
        Mode::TireSlowLeak => Part::of(Component::Tires)
            .nth(d.wheel)
            .unwrap_or(Part::TireFl),
    };
    part.name()
}

/// Detection quality of a replayed fleet.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// Alarms (vehicle, component) that named a real degradation after its onset.
    pub true_alarms: usize,
    /// All alarms.
    pub alarms: usize,
    /// Degraded vehicles failing within the run.
    pub failures: usize,
    /// Of those, warned for the right component before failing.
    pub detected: usize,
    /// Healthy vehicles.
    pub healthy: usize,
    /// Healthy vehicles with any alarm.
    pub false_alarmed: usize,
    /// `component.degraded` events beyond the first per vehicle and component.
    pub repeated_alarms: usize,
    /// Days of warning before each detected failure.
    pub leads_days: Vec<f64>,
    /// Per failure mode: (vehicles failing in the run, detected, median lead days).
    pub by_mode: BTreeMap<&'static str, (usize, usize, Option<f64>)>,
    /// Every RUL check of every vehicle, `(predicted, true)` days.
    pub rul_checks: Vec<(f64, f64)>,
    /// Every degrading check of every vehicle.
    pub degrading_checks: Vec<DegradingCheck>,
}

/// The urgency band of docs/domain.md for a time to failure: under 3 days critical (3), 3–7
/// high (2), 8–14 medium (1), over 14 low (0).
pub fn urgency_band(days: f64) -> u8 {
    band_index(Severity::for_days_to_failure(days))
}

/// The index of a severity among the urgency bands: low 0 to critical 3.
pub fn band_index(s: Severity) -> u8 {
    match s {
        Severity::Critical => 3,
        Severity::High => 2,
        Severity::Medium => 1,
        Severity::Low => 0,
    }
}

impl Score {
    /// Alarms that were right.
    pub fn precision(&self) -> f64 {
        ratio(self.true_alarms, self.alarms)
    }
    /// Failures warned of in time.
    pub fn recall(&self) -> f64 {
        ratio(self.detected, self.failures)
    }
    /// Healthy vehicles alarmed.
    pub fn fpr(&self) -> f64 {
        ratio(self.false_alarmed, self.healthy)
    }
    /// Median warning, days.
    pub fn lead_p50(&self) -> f64 {
        median(&self.leads_days).unwrap_or(0.0)
    }
    /// Median of |ln(predicted / true)| over the RUL checks (half a day added to both,
    /// so a failure due now does not divide by zero).
    pub fn rul_log_error_p50(&self) -> f64 {
        let errors: Vec<f64> = self
            .rul_checks
            .iter()
            .map(|(p, t)| ((p + 0.5) / (t + 0.5)).ln().abs())
            .collect();
        median(&errors).unwrap_or(0.0)
    }
    /// Share of degrading checks whose truth lies in the engine's interval, and how
    /// many checks had one (`None` without any).
    pub fn interval_coverage(&self) -> Option<(f64, usize)> {
        let with: Vec<(f64, [f64; 2])> = self
            .degrading_checks
            .iter()
            .filter_map(|c| c.interval.map(|i| (c.truth, i)))
            .collect();
        let inside = with
            .iter()
            .filter(|(t, [lo, hi])| (*lo..=*hi).contains(t))
            .count();
        (!with.is_empty()).then(|| (ratio(inside, with.len()), with.len()))
    }

    /// Median width of the engine's intervals relative to the predicted RUL (half a
    /// day added to it), over the degrading checks with one.
    pub fn interval_width_p50(&self) -> f64 {
        let widths: Vec<f64> = self
            .degrading_checks
            .iter()
            .filter_map(|c| c.interval.map(|[lo, hi]| (hi - lo) / (c.predicted + 0.5)))
            .collect();
        median(&widths).unwrap_or(0.0)
    }

    /// Urgency bands of the RUL checks: `[true][predicted]` counts, bands 0 (low) to 3
    /// (critical). Below the diagonal the decision would be less urgent than the truth.
    pub fn band_confusion(&self) -> [[usize; 4]; 4] {
        let mut m = [[0; 4]; 4];
        for (p, t) in &self.rul_checks {
            m[usize::from(urgency_band(*t))][usize::from(urgency_band(*p))] += 1;
        }
        m
    }

    /// Shares of RUL checks whose predicted band is one, and two or more, bands less
    /// urgent than the truth's.
    pub fn bands_too_low(&self) -> (f64, f64) {
        let m = self.band_confusion();
        let n: usize = m.iter().flatten().sum();
        let (mut one, mut two) = (0, 0);
        for (truth, row) in m.iter().enumerate() {
            for (predicted, count) in row.iter().enumerate() {
                match truth.saturating_sub(predicted) {
                    1 => one += count,
                    d if d >= 2 => two += count,
                    _ => {}
                }
            }
        }
        if n == 0 {
            return (0.0, 0.0);
        }
        (one as f64 / n as f64, two as f64 / n as f64)
    }

    /// Share of RUL checks whose predicted urgency band is the true one.
    pub fn urgency_band_accuracy(&self) -> f64 {
        let right = self
            .rul_checks
            .iter()
            .filter(|(p, t)| urgency_band(*p) == urgency_band(*t))
            .count();
        ratio(right, self.rul_checks.len())
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// The median of `values` (`None` when empty).
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    })
}

/// Scores `runs` of a fleet simulated until `end` (Unix seconds).
pub fn score(runs: &[VehicleRun], end: i64) -> Score {
    let mut s = Score {
        true_alarms: 0,
        alarms: 0,
        failures: 0,
        detected: 0,
        healthy: 0,
        false_alarmed: 0,
        repeated_alarms: 0,
        leads_days: Vec::new(),
        by_mode: BTreeMap::new(),
        rul_checks: runs
            .iter()
            .flat_map(|r| r.rul_checks.iter().copied())
            .collect(),
        degrading_checks: runs
            .iter()
            .flat_map(|r| r.degrading_checks.iter().copied())
            .collect(),
    };
    let mut mode_leads: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    for run in runs {
        s.alarms += run.first_degraded.len();
        s.repeated_alarms += run
            .degraded_events
            .values()
            .map(|n| *n as usize - 1)
            .sum::<usize>();
        let Some(d) = run.vehicle.degradation else {
            s.healthy += 1;
            if !run.first_degraded.is_empty() {
                s.false_alarmed += 1;
            }
            continue;
        };
        let component = truth_component(&d);
        let alarm = run.first_degraded.get(&component).copied();
        if alarm.is_some_and(|t| t >= d.onset) {
            s.true_alarms += 1;
        }
        if d.failure >= end {
            continue;
        }
        s.failures += 1;
        let entry = s.by_mode.entry(d.mode.as_str()).or_insert((0, 0, None));
        entry.0 += 1;
        if let Some(t) = alarm.filter(|t| *t >= d.onset && *t <= d.failure) {
            s.detected += 1;
            entry.1 += 1;
            let lead = (d.failure - t) as f64 / 86_400.0;
            s.leads_days.push(lead);
            mode_leads.entry(d.mode.as_str()).or_default().push(lead);
        }
    }
    for (mode, leads) in mode_leads {
        if let Some(e) = s.by_mode.get_mut(mode) {
            e.2 = median(&leads);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_too_low_count_the_distance_below_the_truth() {
        let mut s = score(&[], 0);
        // (predicted, true) days: right, one band low, two bands low, one band high.
        s.rul_checks = vec![(20.0, 30.0), (10.0, 5.0), (20.0, 2.0), (2.0, 5.0)];
        let m = s.band_confusion();
        assert_eq!(m[0][0], 1);
        assert_eq!(m[2][1], 1);
        assert_eq!(m[3][0], 1);
        assert_eq!(m[2][3], 1);
        assert_eq!(s.bands_too_low(), (0.25, 0.25));
    }

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn a_small_fleet_replays_deterministically() {
        let engine = Engine::bundled().expect("model");
        let spec = FleetSpec {
            vehicles: 4,
            days: 6,
            seed: 9,
            degrade_fraction: 0.5,
            assess_every_s: 3600,
            interval_s: 300,
        };
        let a = replay_fleet(&engine, &spec, 2);
        let b = replay_fleet(&engine, &spec, 1);
        assert_eq!(a.len(), 4);
        assert!(a.iter().all(|r| r.readings > 100));
        let key = |runs: &[VehicleRun]| -> Vec<_> {
            runs.iter()
                .map(|r| (r.readings, r.first_degraded.clone()))
                .collect()
        };
        assert_eq!(key(&a), key(&b));
        let s = score(&a, spec.sim_config().end);
        assert_eq!(
            s.healthy + a.iter().filter(|r| r.vehicle.degradation.is_some()).count(),
            4
        );
    }
}
