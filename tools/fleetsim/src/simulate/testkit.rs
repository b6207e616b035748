//! Test fixtures of the simulator: fixed spans, and vehicles with and without their
//! odometer fault.

use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::{SimConfig, VehicleSim};
use crate::odometer::{OdometerFault, OdometerFaultKind};
use crate::profile::DutyProfile;
use crate::sample::Sample;
use crate::vehicle::Vehicle;

/// 2024-01-08T00:00:00Z, a Monday in winter.
pub(crate) const WINTER: i64 = 1_704_672_000;
/// 2024-07-08T00:00:00Z, a Monday in summer.
pub(crate) const SUMMER: i64 = 1_720_396_800;

/// `days` days from `start`, a reading a minute while running.
pub(crate) fn cfg(start: i64, days: i64, seed: u64) -> SimConfig {
    SimConfig {
        start,
        end: start + days * 86_400,
        interval_s: 60,
        seed,
    }
}

/// `v` without its odometer fault: the readings with the physical odometer.
pub(crate) fn physical(v: &Vehicle) -> Vehicle {
    Vehicle {
        odometer_fault: None,
        ..v.clone()
    }
}

/// One vehicle with a fault of `kind` (drawn as a run would), its readings with
/// the physical and the reported odometer, and the index of the switch reading.
pub(crate) fn faulted_run(
    kind: OdometerFaultKind,
    seed: u64,
) -> (Vehicle, SimConfig, Vec<Sample>, Vec<Sample>, usize) {
    let cfg = cfg(SUMMER, 6, seed);
    let mut v = Vehicle::generate(seed, 0, DutyProfile::Regional, 6.0);
    let mut rng = SmallRng::seed_from_u64(seed);
    v.odometer_fault = Some(OdometerFault::draw(&mut rng, kind, cfg.start, cfg.end));
    let at = v.odometer_fault.expect("fault").at;
    let physical: Vec<Sample> = VehicleSim::new(physical(&v), cfg).collect();
    let reported: Vec<Sample> = VehicleSim::new(v.clone(), cfg).collect();
    assert_eq!(physical.len(), reported.len());
    let switch = reported.iter().position(|s| s.t >= at).expect("a switch");
    assert!(switch > 0, "history before the switch");
    for (p, r) in physical.iter().zip(&reported).take(switch) {
        assert_eq!(p, r, "{kind:?}: a reading before the switch changed");
    }
    (v, cfg, physical, reported, switch)
}
