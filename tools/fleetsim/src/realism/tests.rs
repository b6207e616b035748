//! The realistic profile end to end: determinism, switches that change only their
//! part, repairs, sensor faults, and a fleet that has every kind of trouble.

use super::*;
use crate::degradation::{FailureMode, GroundTruth};
use crate::profile::DutyProfile;
use crate::sample::{Sample, Sig};
use crate::simulate::{SimConfig, VehicleSim, build_realistic_fleet, ground_truth, write_jsonl};
use crate::vehicle::Vehicle;

/// 2024-07-08T00:00:00Z.
const SUMMER: i64 = 1_720_396_800;

fn cfg(days: i64, seed: u64, interval_s: u32) -> SimConfig {
    SimConfig {
        start: SUMMER,
        end: SUMMER + days * 86_400,
        interval_s,
        seed,
    }
}

fn only(list: &str) -> RealismConfig {
    RealismConfig {
        options: RealismOptions::parse_list(list).expect("features"),
        params: RealismParams::evaluation(),
    }
}

fn readings(v: &Vehicle, cfg: &SimConfig) -> Vec<Sample> {
    VehicleSim::new(v.clone(), *cfg).collect()
}

#[test]
fn a_seed_and_parameters_reproduce_the_fleet_and_its_truth() {
    let run = |seed| {
        let cfg = cfg(6, seed, 300);
        let fleet = build_realistic_fleet(6, &cfg, 0.5, &only("all"));
        let mut out = Vec::new();
        write_jsonl(&fleet, &cfg, &mut out, false).expect("write");
        let truth = serde_json::to_string(&ground_truth(&fleet, &cfg, 0.5)).expect("truth");
        (out, truth)
    };
    let (a, ta) = run(3);
    let (b, tb) = run(3);
    let (c, tc) = run(4);
    assert!(a == b && ta == tb, "same seed, different output");
    assert!(a != c && ta != tc, "another seed, same output");
}

#[test]
fn no_switch_leaves_the_default_fleet_and_truth_untouched() {
    let cfg = cfg(3, 5, 300);
    let plain = crate::simulate::build_fleet(6, &cfg, 0.5);
    let none = build_realistic_fleet(6, &cfg, 0.5, &RealismConfig::default());
    assert_eq!(plain, none);
    let truth = serde_json::to_string(&ground_truth(&none, &cfg, 0.5)).expect("truth");
    assert!(
        !truth.contains("realism"),
        "no new keys on the default profile"
    );
}

#[test]
fn repairs_alone_change_nothing_before_the_first_service() {
    let cfg = cfg(40, 11, 300);
    let plain = crate::simulate::build_fleet(8, &cfg, 1.0);
    let repaired = build_realistic_fleet(8, &cfg, 1.0, &only("repairs"));
    let truth = ground_truth(&repaired, &cfg, 1.0);
    let mut changed_after = 0;
    for ((a, b), t) in plain.iter().zip(&repaired).zip(&truth.vehicles) {
        let services = &t.realism.as_ref().expect("realism").services;
        let first = services.first().map_or(cfg.end, |s| s.at.timestamp());
        let (ra, rb) = (readings(a, &cfg), readings(b, &cfg));
        assert_eq!(ra.len(), rb.len());
        for (x, y) in ra.iter().zip(&rb).filter(|(x, _)| x.t < first) {
            assert_eq!(x, y, "{}: changed before the first service", a.id);
        }
        changed_after += usize::from(ra != rb);
    }
    assert!(changed_after > 0, "services changed something");
}

#[test]
fn sensor_faults_change_only_their_signal_and_are_not_component_faults() {
    let cfg = cfg(30, 21, 300);
    let mut config = only("sensor_faults");
    config.params.sensor_fault_fraction = 1.0;
    let plain = crate::simulate::build_fleet(10, &cfg, 0.3);
    let faulted = build_realistic_fleet(10, &cfg, 0.3, &config);
    let truth: GroundTruth = ground_truth(&faulted, &cfg, 0.3);
    let plain_truth = ground_truth(&plain, &cfg, 0.3);
    let mut shown = 0;
    for ((a, b), t) in plain.iter().zip(&faulted).zip(&truth.vehicles) {
        let f = b.realism.as_deref().expect("realism").sensor_faults[0];
        let (ra, rb) = (readings(a, &cfg), readings(b, &cfg));
        for (x, y) in ra.iter().zip(&rb) {
            for &sig in Sig::ALL {
                let may_differ = (f.from..f.to).contains(&x.t)
                    && (sig == f.signal
                        || (sig == Sig::CanDrop && f.kind == SensorFaultKind::NoisyCan));
                if !may_differ {
                    assert_eq!(x.get(sig), y.get(sig), "{} {sig:?} changed", a.id);
                }
            }
        }
        shown += usize::from(ra != rb);
        let rt = t.realism.as_ref().expect("realism truth");
        assert_eq!(rt.sensor_faults.len(), 1);
        assert!(rt.faults.is_empty(), "a sensor fault is no component fault");
    }
    assert!(shown >= 7, "sensor faults show in the readings: {shown}/10");
    let json = |t: &GroundTruth| {
        serde_json::to_value(&t.vehicles)
            .expect("json")
            .as_array()
            .expect("vehicles")
            .iter()
            .map(|v| v["degradation"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        json(&truth),
        json(&plain_truth),
        "component truth unchanged"
    );
}

#[test]
fn a_failed_component_is_repaired_and_reset() {
    let cfg = cfg(60, 7, 300);
    let mut v = Vehicle::generate(7, 0, DutyProfile::UrbanDelivery, 60.0);
    let mut f = Fault::draw(
        &mut rand::SeedableRng::seed_from_u64(1),
        FailureMode::BrakeWear,
        &RealismParams::evaluation(),
        (cfg.start, cfg.end),
    );
    f.onset = cfg.start + 86_400;
    f.span_days = 10.0;
    f.law = Law::Linear;
    f.repair_delay_days = 1.0;
    let mut r = Realism::empty();
    r.faults.push(f);
    r.usage = true;
    r.repairs = true;
    v.realism = Some(Box::new(r));
    let rs = readings(&v, &cfg);
    let truth = ground_truth(std::slice::from_ref(&v), &cfg, 1.0);
    let rt = truth.vehicles[0].realism.as_ref().expect("truth");
    let failed = rt.faults[0].failure_at.expect("fails").timestamp();
    let repaired = rt.faults[0].repaired_at.expect("repaired").timestamp();
    assert!(repaired >= failed + 86_400, "repair after the delay");
    assert!(rt.services.iter().any(|s| s.kind == "corrective_repair"));
    let pad_at = |t: i64| {
        rs.iter()
            .rev()
            .find(|s| s.t <= t)
            .and_then(|s| s.get(Sig::BrakePad))
            .expect("pad")
    };
    assert!(pad_at(failed) < 3.5, "worn at failure: {}", pad_at(failed));
    assert!(pad_at(repaired + 3600) > 10.0, "new pads after repair");
    assert!(truth.vehicles[0].degraded);
}

#[test]
fn parked_vehicles_barely_wear() {
    let weights = usage_weights(FailureMode::CoolantOverheat);
    let day = typical_day_usage(DutyProfile::Regional, &weights);
    assert!(
        weights.parked_day < 0.01 * day,
        "parked: {} of {day}",
        weights.parked_day
    );
    let brakes = usage_weights(FailureMode::BrakeWear);
    assert_eq!(brakes.parked_day, 0.0);
}

#[test]
fn a_realistic_fleet_has_every_kind_of_trouble() {
    let cfg = cfg(60, 42, 300);
    let fleet = build_realistic_fleet(50, &cfg, 0.4, &only("all"));
    let truth = ground_truth(&fleet, &cfg, 0.4);
    let rt: Vec<_> = truth
        .vehicles
        .iter()
        .map(|v| v.realism.as_ref().expect("realism"))
        .collect();
    let concurrent = rt.iter().filter(|r| r.faults.len() >= 2).count();
    let pre = rt
        .iter()
        .flat_map(|r| &r.faults)
        .filter(|f| f.degraded_at_entry)
        .count();
    let failed = rt
        .iter()
        .flat_map(|r| &r.faults)
        .filter(|f| f.fails_within_run)
        .count();
    let repairs = rt
        .iter()
        .flat_map(|r| &r.services)
        .filter(|s| s.kind != "routine_service")
        .count();
    let services = rt.iter().flat_map(|r| &r.services).count();
    let hot_healthy = rt
        .iter()
        .filter(|r| r.runs_hot.is_some() && r.faults.is_empty())
        .count();
    let sensors = rt.iter().filter(|r| !r.sensor_faults.is_empty()).count();
    let families: std::collections::HashSet<_> = rt
        .iter()
        .flat_map(|r| &r.faults)
        .map(|f| f.law.family())
        .collect();
    let models: std::collections::HashSet<_> = rt.iter().filter_map(|r| r.model).collect();
    let counts = format!(
        "concurrent {concurrent} pre {pre} failed {failed} repairs {repairs} services {services} \
         hot {hot_healthy} sensors {sensors} families {families:?} models {models:?}"
    );
    assert!(concurrent >= 1 && pre >= 1 && failed >= 3, "{counts}");
    assert!(
        repairs >= 1 && services > repairs && hot_healthy >= 1,
        "{counts}"
    );
    assert!(
        sensors >= 2 && families.len() >= 4 && models.len() >= 5,
        "{counts}"
    );
    let header = crate::simulate::realism_run_truth(&only("all")).expect("header");
    assert_eq!(header.features.len(), FEATURES.len());
}
