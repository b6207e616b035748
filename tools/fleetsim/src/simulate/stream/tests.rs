//! The simulator's readings: invariants, independence of the rest of the fleet, the
//! injected degradations and odometer faults showing as intended, healthy vehicles
//! staying healthy.

use shared_schemas::signals;
use shared_schemas::telemetry::TelemetryReading;

use super::*;
use crate::degradation::{Condition, Criterion, Degradation, FailureMode, SCR_CONVERSION};
use crate::odometer::{MILES_PER_KM, OdometerFaultKind, assign_odometer_faults};
use crate::physics::dpf_flow;
use crate::profile::DutyProfile;
use crate::sample::{Sig, TIRES};
use crate::simulate::fmt_time;
use crate::simulate::testkit::{SUMMER, WINTER, cfg, faulted_run, physical};
use crate::simulate::{SimConfig, build_fleet};

fn sig_by_name(name: &str) -> Option<Sig> {
    Sig::ALL.iter().copied().find(|s| s.name() == name)
}

/// Tracks how long the engine has been running, to evaluate warm-up conditions.
#[derive(Default)]
struct RunClock {
    prev: Option<(i64, bool)>,
    run_start: i64,
}

impl RunClock {
    /// Seconds the engine has been running at `s` (0 when parked).
    fn observe(&mut self, s: &Sample, interval: i64) -> i64 {
        if !s.running {
            self.prev = Some((s.t, false));
            return 0;
        }
        let continues = matches!(self.prev, Some((t, true)) if s.t - t <= interval + 1);
        if !continues {
            self.run_start = s.t - interval;
        }
        self.prev = Some((s.t, true));
        s.t - self.run_start
    }
}

/// The key value of `c` in `s`, when `s` meets the criterion's condition.
fn key_value(c: &Criterion, s: &Sample, running_s: i64, v: &Vehicle) -> Option<f64> {
    let get = |sig| s.get(sig);
    let applies = match c.condition {
        Condition::Any => true,
        Condition::WarmRunning => s.running && running_s >= 1800,
        Condition::WarmIdle => s.running && get(Sig::Speed)? == 0.0 && get(Sig::OilTemp)? >= 85.0,
        Condition::Parked => !s.running,
        Condition::ScrWarm => {
            s.running && get(Sig::ScrInlet)? >= 260.0 && get(Sig::NoxUp)? >= 100.0
        }
        Condition::HighwayFlow => {
            let flow = dpf_flow(
                get(Sig::EngineRpm)?,
                get(Sig::EngineLoad)?,
                v.params.rated_rpm,
            );
            s.running && (0.6..=0.8).contains(&flow)
        }
    };
    if !applies {
        return None;
    }
    if c.signal == SCR_CONVERSION {
        return Some(1.0 - get(Sig::NoxDown)? / get(Sig::NoxUp)?);
    }
    if c.signal == "tire_pressure_kpa" {
        let w = v.degradation.map_or(0, |d| d.wheel);
        return Some(get(TIRES[w])? / v.params.tire_nominal_kpa[w]);
    }
    get(sig_by_name(c.signal).expect("criterion names a slot"))
}

/// The physical invariants between consecutive readings `p` and `s` of `v`.
fn check_physical_step(v: &Vehicle, p: &Sample, s: &Sample) {
    assert!(s.t > p.t, "{}: time goes back", v.id);
    assert!(
        s.odometer_km >= p.odometer_km,
        "{}: odometer goes back",
        v.id
    );
    assert!(s.engine_hours >= p.engine_hours, "{}: hours go back", v.id);
    if !s.running && !p.running {
        assert_eq!(
            s.engine_hours, p.engine_hours,
            "{}: hours while parked",
            v.id
        );
        assert_eq!(s.odometer_km, p.odometer_km, "{}: km while parked", v.id);
    }
    if !s.running {
        // Only the tail of the last trip (under one interval) may
        // separate a parked reading from the last running one.
        let tail_h = s.engine_hours - p.engine_hours;
        assert!(
            tail_h <= 60.0 / 3600.0 + 1e-3,
            "{}: hours while parked",
            v.id
        );
    }
}

#[test]
fn readings_are_monotonic_in_range_and_canonical() {
    let cfg = cfg(WINTER, 10, 11);
    let mut fleet = build_fleet(8, &cfg, 0.5);
    assign_odometer_faults(&mut fleet, &cfg, 0.5);
    for v in &fleet {
        let mut sim = VehicleSim::new(v.clone(), cfg);
        // The invariants hold for the physical odometer; the reported one is the
        // physical one unless the vehicle has an odometer fault.
        let mut physical_sim = VehicleSim::new(physical(v), cfg);
        let mut prev: Option<Sample> = None;
        let mut count = 0;
        for reported in sim.by_ref() {
            let s = physical_sim.next().expect("as many physical readings");
            assert_eq!(
                Sample {
                    odometer_km: s.odometer_km,
                    ..reported.clone()
                },
                s,
                "{}: a fault changes only the odometer",
                v.id
            );
            if v.odometer_fault.is_none() {
                assert_eq!(reported.odometer_km, s.odometer_km);
            }
            count += 1;
            assert!(s.t >= cfg.start && s.t < cfg.end);
            if let Some(p) = &prev {
                check_physical_step(v, p, &s);
            }
            for &sig in Sig::ALL {
                if let Some(x) = s.get(sig) {
                    let spec = signals::spec(sig.name()).expect("catalog signal");
                    assert!(
                        x >= spec.min && x <= spec.max,
                        "{} {}={x}",
                        v.id,
                        sig.name()
                    );
                }
            }
            if !v.kind.is_diesel() {
                assert!(
                    !s.has(Sig::DpfSoot) && !s.has(Sig::NoxUp),
                    "a petrol car has no DPF/SCR"
                );
            }
            let mut json = Vec::new();
            reported.write_json(&mut json, v, cfg.seed);
            let parsed: TelemetryReading = serde_json::from_slice(&json).expect("canonical JSON");
            assert_eq!(parsed, reported.to_reading(v, cfg.seed));
            assert_eq!(parsed.odometer_km, Some(reported.odometer_km));
            prev = Some(s);
        }
        assert!(physical_sim.next().is_none());
        assert!(count > 50, "{} produced only {count} readings", v.id);
        assert_eq!(sim.clamped(), 0, "{}: a model left the catalog range", v.id);
    }
}

#[test]
fn a_vehicle_does_not_depend_on_the_rest_of_the_fleet() {
    // The HTTP sink splits vehicles over shards; each vehicle must come out the
    // same whatever it is merged with.
    let cfg = cfg(SUMMER, 2, 3);
    let large = build_fleet(12, &cfg, 0.5);
    let small: Vec<Vehicle> = large.iter().skip(4).step_by(3).cloned().collect();
    let of = |fleet: &[Vehicle], index: u32| -> Vec<Sample> {
        Merged::new(fleet.to_vec(), cfg)
            .filter(|s| s.vehicle == index)
            .collect()
    };
    for v in &small {
        let alone = of(&small, v.index);
        assert!(!alone.is_empty());
        assert_eq!(alone, of(&large, v.index), "{}", v.id);
    }
}

/// Runs one vehicle with a forced degradation and returns the first time its
/// criterion is met, and whether trouble codes were active before 70 % progress
/// and after failure.
fn first_crossing(
    profile: DutyProfile,
    mode: FailureMode,
    seed: u64,
) -> (Vehicle, Option<i64>, bool, bool) {
    let cfg = cfg(WINTER + 14 * 86_400, 24, seed);
    let mut v = Vehicle::generate(seed, 0, profile, 24.0);
    let d = Degradation {
        mode,
        onset: cfg.start + 4 * 86_400,
        failure: cfg.start + 16 * 86_400,
        wheel: 1,
    };
    v.degradation = Some(d);
    let c = mode.criterion();
    let mut clock = RunClock::default();
    let (mut first, mut early_dtc, mut late_dtc) = (None, false, false);
    for s in VehicleSim::new(v.clone(), cfg) {
        let running_s = clock.observe(&s, 60);
        if let Some(x) = key_value(&c, &s, running_s, &v)
            && first.is_none()
            && c.failed(x)
        {
            first = Some(s.t);
        }
        early_dtc |= s.dtcs != 0 && d.progress(s.t) < 0.7;
        late_dtc |= s.dtcs != 0 && s.t > d.failure;
    }
    (v, first, early_dtc, late_dtc)
}

#[test]
fn degraded_key_signals_cross_their_threshold_near_failure_not_before_onset() {
    let cases = [
        (DutyProfile::LongHaul, FailureMode::DpfClogging),
        (DutyProfile::Regional, FailureMode::ScrEfficiencyLoss),
        (DutyProfile::UrbanDelivery, FailureMode::DefDilution),
        (DutyProfile::Regional, FailureMode::OilLeak),
        (DutyProfile::CarCommuter, FailureMode::CoolantOverheat),
        (DutyProfile::LongHaul, FailureMode::ThermostatStuckOpen),
        (DutyProfile::CarCommuter, FailureMode::BrakeWear),
        (DutyProfile::CarCommuter, FailureMode::BatteryAgeing),
        (
            DutyProfile::UrbanDelivery,
            FailureMode::TransmissionOverheat,
        ),
        (DutyProfile::Regional, FailureMode::TireSlowLeak),
    ];
    for (seed, (profile, mode)) in cases.into_iter().enumerate() {
        let (v, first, early_dtc, late_dtc) = first_crossing(profile, mode, 100 + seed as u64);
        let d = v.degradation.expect("forced");
        let span = (d.failure - d.onset) as f64;
        let first =
            first.unwrap_or_else(|| panic!("{mode:?} on {profile:?}: threshold never crossed"));
        let p = (first - d.onset) as f64 / span;
        assert!(
            p >= 0.7,
            "{mode:?} on {profile:?}: crossed at progress {p:.3}, too early"
        );
        assert!(
            first <= d.failure + 3 * 86_400,
            "{mode:?} on {profile:?}: crossed at progress {p:.3}, too late"
        );
        assert!(!early_dtc, "{mode:?}: trouble code long before failure");
        let expects_dtc = !mode.dtc_names(v.kind).is_empty();
        assert_eq!(
            late_dtc, expects_dtc,
            "{mode:?}: trouble codes after failure"
        );
    }
}

/// Healthy operating bands: a healthy vehicle never leaves them.
fn check_healthy(v: &Vehicle, cfg: SimConfig) {
    let mut clock = RunClock::default();
    let mut first_failed_regens = None;
    let criteria: Vec<Criterion> = FailureMode::ALL
        .iter()
        .filter(|m| m.applies_to(v.kind))
        .map(|m| m.criterion())
        .collect();
    let mut sim = VehicleSim::new(v.clone(), cfg);
    for s in sim.by_ref() {
        let running_s = clock.observe(&s, 60);
        let id = &v.id;
        let at = fmt_time(s.t);
        let get = |sig| s.get(sig);
        assert_eq!(s.dtcs, 0, "{id} {at}: trouble code on a healthy vehicle");
        for c in &criteria {
            if c.signal == "tire_pressure_kpa" {
                continue;
            }
            if let Some(x) = key_value(c, &s, running_s, v) {
                assert!(
                    !c.failed(x),
                    "{id} {at}: healthy vehicle fails {c:?} with {x}"
                );
            }
        }
        let coolant = get(Sig::Coolant).expect("coolant");
        assert!(coolant <= 105.0, "{id} {at}: coolant {coolant}");
        if s.running {
            if running_s >= 1800 {
                assert!(coolant >= 75.0, "{id} {at}: warm coolant {coolant}");
            }
            let trans = get(Sig::TransTemp).expect("trans");
            assert!(trans <= 110.0, "{id} {at}: trans {trans}");
            let volts = get(Sig::Battery).expect("volts");
            assert!(
                (13.5..=14.7).contains(&volts),
                "{id} {at}: charging {volts}"
            );
            if get(Sig::Speed) == Some(0.0) && get(Sig::OilTemp).is_some_and(|t| t >= 85.0) {
                let p = get(Sig::OilPressure).expect("oil pressure");
                assert!(p >= 140.0, "{id} {at}: warm idle oil pressure {p}");
            }
        } else {
            let volts = get(Sig::Battery).expect("volts");
            assert!(volts >= 12.2, "{id} {at}: rested battery {volts}");
        }
        assert!(
            get(Sig::OilLevel).expect("oil level") >= 60.0,
            "{id} {at}: oil level"
        );
        assert!(get(Sig::BrakePad).expect("pad") >= 5.0, "{id} {at}: pads");
        for (w, sig) in TIRES.into_iter().enumerate() {
            let ratio = get(sig).expect("tire") / v.params.tire_nominal_kpa[w];
            assert!(ratio >= 0.8, "{id} {at}: tire {w} at {ratio:.2} of placard");
        }
        if v.kind.is_diesel() {
            let soot = get(Sig::DpfSoot).expect("soot");
            assert!(soot <= 130.0, "{id} {at}: soot {soot}");
            let regens = get(Sig::DpfFailedRegens).expect("failed regens");
            assert_eq!(
                *first_failed_regens.get_or_insert(regens),
                regens,
                "{id} {at}: failed regen"
            );
            let def = get(Sig::DefQuality).expect("def");
            assert!((31.5..=33.5).contains(&def), "{id} {at}: DEF {def}");
            if let Some(dp) = get(Sig::DpfDiff) {
                assert!(dp <= 18.0, "{id} {at}: DPF dp {dp}");
            }
            let scr = Criterion {
                threshold: 0.85,
                ..FailureMode::ScrEfficiencyLoss.criterion()
            };
            if let Some(x) = key_value(&scr, &s, running_s, v) {
                assert!(!scr.failed(x), "{id} {at}: healthy SCR conversion {x}");
            }
        }
    }
    assert_eq!(sim.clamped(), 0);
}

#[test]
fn healthy_vehicles_stay_within_healthy_bands_in_winter_and_summer() {
    for (start, seed) in [(WINTER, 21), (SUMMER, 22)] {
        let cfg = cfg(start, 21, seed);
        for v in build_fleet(10, &cfg, 0.0) {
            check_healthy(&v, cfg);
        }
    }
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn each_odometer_fault_reports_as_its_kind_says() {
    for (seed, kind) in (40..).zip(OdometerFaultKind::ALL) {
        let (v, _, physical, reported, k) = faulted_run(kind, seed);
        let (p0, r0) = (physical[k].odometer_km, reported[k].odometer_km);
        let after = physical.iter().zip(&reported).skip(k);
        match kind {
            OdometerFaultKind::Reset => {
                assert!((0.0..=50.0).contains(&r0) && p0 > 1000.0, "{r0}");
                for (p, r) in after {
                    let (dp, dr) = (p.odometer_km - p0, r.odometer_km - r0);
                    assert!(close(dp, dr, 0.011), "grows with distance: {dp} {dr}");
                }
            }
            OdometerFaultKind::UnitSwitch => {
                for (p, r) in after {
                    let miles = p.odometer_km * MILES_PER_KM;
                    assert!(close(r.odometer_km, miles, 0.006), "{r:?}");
                }
            }
            OdometerFaultKind::Rollback => {
                let back = p0 - r0;
                assert!(back >= 0.25 * p0 - 0.01 && back <= 0.6 * p0 + 0.01);
                for (p, r) in after {
                    assert!(close(p.odometer_km - r.odometer_km, back, 0.011));
                }
            }
            OdometerFaultKind::Spike => {
                let spike = v.odometer_fault.expect("fault").spike;
                assert_eq!(r0, (spike.apply(p0) * 100.0).round() / 100.0);
                assert_ne!(r0, p0);
                let off = physical.iter().zip(&reported).filter(|(p, r)| p != r);
                assert_eq!(off.count(), 1, "exactly one reading off");
            }
        }
    }
}

#[test]
fn an_off_road_vehicle_sends_only_heartbeats_and_then_drives_again() {
    let cfg = cfg(SUMMER, 14, 21);
    let mut v = Vehicle::generate(21, 0, DutyProfile::Regional, 14.0);
    let (from, to) = (cfg.start + 2 * 86_400 + 13 * 3600, cfg.start + 5 * 86_400);
    v.off_road = Some((from, to));
    let samples: Vec<Sample> = VehicleSim::new(v.clone(), cfg).collect();
    let km_at = |t: i64| {
        samples
            .iter()
            .take_while(|s| s.t <= t)
            .last()
            .map_or(0.0, |s| s.odometer_km)
    };
    let off: Vec<&Sample> = samples.iter().filter(|s| s.t >= from && s.t < to).collect();
    assert!(!off.is_empty(), "parked heartbeats go on");
    assert!(off.iter().all(|s| !s.running), "no trip while off the road");
    let parked_km = off[off.len() - 1].odometer_km - off[0].odometer_km;
    assert!(parked_km.abs() < 1e-6, "{parked_km} km driven off the road");
    assert!(
        km_at(cfg.end) > km_at(to) + 50.0,
        "it drives again after: {} then {} km",
        km_at(to),
        km_at(cfg.end)
    );
    let free: Vec<Sample> = VehicleSim::new(
        Vehicle {
            off_road: None,
            ..v
        },
        cfg,
    )
    .collect();
    assert!(
        free.iter()
            .any(|s| s.running && s.t >= from + 86_400 && s.t < to),
        "the same days are driven without the breakdown"
    );
}
