//! The fleet of a run: the simulated span, the vehicles with their injected
//! degradations, and the ground truth of what was injected.

use chrono::DateTime;
use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::VehicleSim;
use crate::degradation::{Degradation, DegradationTruth, GroundTruth, VehicleTruth};
use crate::odometer::fault_truth;
use crate::realism::{
    RealismConfig, RealismRunTruth, VehicleRealismTruth, assign_realism, legacy_degradation,
    vehicle_truth,
};
use crate::vehicle::{Vehicle, mix, profiles_for};

/// The simulated span and reporting cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimConfig {
    /// First instant, Unix seconds.
    pub start: i64,
    /// End (exclusive), Unix seconds.
    pub end: i64,
    /// Seconds between readings while running.
    pub interval_s: u32,
    /// The run's seed.
    pub seed: u64,
}

/// Builds a fleet of `n` vehicles; `round(n × degrade_fraction)` of them, chosen at
/// random, get a degradation.
pub fn build_fleet(n: u32, cfg: &SimConfig, degrade_fraction: f64) -> Vec<Vehicle> {
    let days = (cfg.end - cfg.start) as f64 / 86_400.0;
    let profiles = profiles_for(n, cfg.seed);
    let mut fleet: Vec<Vehicle> = profiles
        .iter()
        .enumerate()
        .map(|(i, p)| Vehicle::generate(cfg.seed, i as u32, *p, days))
        .collect();
    let mut rng = SmallRng::seed_from_u64(mix(cfg.seed, 0x6465_6772, 0));
    let k = (f64::from(n) * degrade_fraction.clamp(0.0, 1.0)).round() as usize;
    let mut order: Vec<usize> = (0..fleet.len()).collect();
    rand::seq::SliceRandom::shuffle(order.as_mut_slice(), &mut rng);
    for &i in order.iter().take(k) {
        let v = &mut fleet[i];
        v.degradation = Some(Degradation::draw(&mut rng, v.kind, cfg.start, cfg.end));
    }
    fleet
}

/// Builds a fleet as [`build_fleet`] does, then gives it the realistic extras
/// `realism` turns on (none: the same fleet).
pub fn build_realistic_fleet(
    n: u32,
    cfg: &SimConfig,
    degrade_fraction: f64,
    realism: &RealismConfig,
) -> Vec<Vehicle> {
    let mut fleet = build_fleet(n, cfg, degrade_fraction);
    assign_realism(&mut fleet, cfg, realism);
    fleet
}

/// The realistic truth of `v`, from a run of it to the end (faults fail, and
/// services happen, as the use of the run decides), and the default-profile view of
/// its first fault.
fn realistic_truth(
    v: &Vehicle,
    cfg: &SimConfig,
) -> Option<(VehicleRealismTruth, Option<Degradation>)> {
    let r = v.realism.as_deref()?;
    let mut sim = VehicleSim::new(v.clone(), *cfg);
    sim.by_ref().for_each(drop);
    let state = sim.real_state();
    let legacy = state.and_then(|s| legacy_degradation(s, cfg.start, cfg.end));
    Some((vehicle_truth(r, state, v.kind, cfg.end), legacy))
}

/// The header of a realistic run's truth.
pub fn realism_run_truth(realism: &RealismConfig) -> Option<RealismRunTruth> {
    realism.options.any().then(|| RealismRunTruth {
        features: realism.options.names(),
        params: realism.params.clone(),
    })
}

/// The ground truth of a fleet.
///
/// Odometer faults are recorded from the readings their vehicles emit (each faulted
/// vehicle is simulated up to its switch reading); `odometer_fault_fraction` is left
/// at 0 for the caller that assigned the faults to fill in.
pub fn ground_truth(fleet: &[Vehicle], cfg: &SimConfig, degrade_fraction: f64) -> GroundTruth {
    let ts = |t: i64| DateTime::from_timestamp(t, 0).unwrap_or_default();
    GroundTruth {
        generator: format!("fleetsim {}", env!("CARGO_PKG_VERSION")),
        seed: cfg.seed,
        start: ts(cfg.start),
        end: ts(cfg.end),
        interval_s: cfg.interval_s,
        degrade_fraction,
        odometer_fault_fraction: 0.0,
        after_failure: "keeps_running_degraded",
        realism: None,
        vehicles: fleet.iter().map(|v| vehicle_truth_of(v, cfg)).collect(),
    }
}

fn vehicle_truth_of(v: &Vehicle, cfg: &SimConfig) -> VehicleTruth {
    let (realism, legacy) = match realistic_truth(v, cfg) {
        Some((truth, legacy)) => (Some(truth), legacy.or(v.degradation)),
        None => (None, v.degradation),
    };
    VehicleTruth {
        vehicle_id: v.id.clone(),
        vin: v.vin.clone(),
        kind: v.kind,
        profile: v.profile,
        make: v.make,
        model_year: v.model_year,
        home_base: v.home.name,
        degraded: legacy.is_some(),
        degradation: legacy
            .as_ref()
            .map(|d| DegradationTruth::new(d, v.kind, cfg.end)),
        odometer_fault: fault_truth(v, *cfg),
        realism,
    }
}

#[cfg(test)]
mod tests {
    use shared_schemas::telemetry::TelemetryReading;

    use super::*;
    use crate::odometer::{OdometerFaultKind, assign_odometer_faults};
    use crate::simulate::testkit::{SUMMER, cfg, faulted_run, physical};
    use crate::simulate::write_jsonl;

    #[test]
    fn same_seed_gives_the_same_output_and_another_seed_does_not() {
        let run = |seed| {
            let cfg = cfg(SUMMER, 2, seed);
            let fleet = build_fleet(4, &cfg, 0.5);
            let mut out = Vec::new();
            write_jsonl(&fleet, &cfg, &mut out, false).expect("write");
            (
                out,
                serde_json::to_string(&ground_truth(&fleet, &cfg, 0.5)).expect("truth"),
            )
        };
        let (a, truth_a) = run(7);
        let (b, truth_b) = run(7);
        let (c, _) = run(8);
        assert!(!a.is_empty());
        assert!(a == b, "same seed, different readings");
        assert_eq!(truth_a, truth_b);
        assert!(a != c, "different seeds, same readings");
    }

    #[test]
    fn odometer_truth_matches_the_emitted_readings() {
        for (seed, kind) in (60..).zip(OdometerFaultKind::ALL) {
            let (v, cfg, physical, reported, k) = faulted_run(kind, seed);
            let truth = ground_truth(std::slice::from_ref(&v), &cfg, 0.0);
            let t = truth.vehicles[0].odometer_fault.clone().expect("truth");
            assert_eq!(t.kind, kind);
            assert_eq!(t.at, reported[k].recorded_at());
            assert_eq!(t.true_km_at, physical[k].odometer_km);
            assert_eq!(t.reported_at_km, reported[k].odometer_km);
            assert_eq!(t.reported_before_km, Some(reported[k - 1].odometer_km));
            assert!(!t.note.is_empty());
            // What the file carries is what the truth says.
            let mut out = Vec::new();
            write_jsonl(std::slice::from_ref(&v), &cfg, &mut out, false).expect("write");
            let line = std::str::from_utf8(&out)
                .expect("utf8")
                .lines()
                .nth(k)
                .expect("switch line");
            let r: TelemetryReading = serde_json::from_str(line).expect("reading");
            assert_eq!(r.recorded_at, t.at);
            assert_eq!(r.odometer_km, Some(t.reported_at_km));
            let json = serde_json::to_value(&truth).expect("json");
            assert_eq!(json["vehicles"][0]["odometer_fault"]["kind"], kind.as_str());
        }
    }

    #[test]
    fn a_zero_fraction_leaves_fleet_readings_and_truth_as_build_fleet_makes_them() {
        let cfg = cfg(SUMMER, 3, 5);
        let fleet = build_fleet(6, &cfg, 0.3);
        let mut assigned = fleet.clone();
        assign_odometer_faults(&mut assigned, &cfg, 0.0);
        assert_eq!(assigned, fleet);
        assert!(assigned.iter().all(|v| v.odometer_fault.is_none()));
        let jsonl = |f: &[Vehicle]| {
            let mut out = Vec::new();
            write_jsonl(f, &cfg, &mut out, false).expect("write");
            out
        };
        assert!(jsonl(&assigned) == jsonl(&fleet));
        let truth = serde_json::to_string(&ground_truth(&assigned, &cfg, 0.3)).expect("truth");
        assert!(
            !truth.contains("odometer_fault"),
            "no new keys without faults"
        );
        let vehicle = serde_json::to_string(&assigned[0]).expect("vehicle");
        assert!(!vehicle.contains("odometer_fault"));
    }

    #[test]
    fn assigned_faults_cycle_kinds_and_leave_degradations_alone() {
        let cfg = cfg(SUMMER, 10, 8);
        let fleet = build_fleet(10, &cfg, 0.5);
        let mut faulted = fleet.clone();
        assign_odometer_faults(&mut faulted, &cfg, 0.4);
        let kinds: std::collections::HashSet<_> = faulted
            .iter()
            .filter_map(|v| v.odometer_fault.map(|f| f.kind))
            .collect();
        assert_eq!(kinds.len(), 4, "4 faulted vehicles have every kind");
        for (a, b) in fleet.iter().zip(&faulted) {
            assert_eq!(a, &physical(b), "only the odometer fault is new");
            if let Some(f) = b.odometer_fault {
                let share = (f.at - cfg.start) as f64 / (cfg.end - cfg.start) as f64;
                assert!((0.3..=0.8).contains(&share), "{share}");
            }
        }
        let mut all = fleet.clone();
        assign_odometer_faults(&mut all, &cfg, 1.0);
        let resets = all
            .iter()
            .filter(|v| v.odometer_fault.map(|f| f.kind) == Some(OdometerFaultKind::Reset))
            .count();
        assert_eq!(resets, 3, "10 faults cycle through 4 kinds");
        assert!(all.iter().filter(|v| v.degradation.is_some()).count() == 5);
    }
}
