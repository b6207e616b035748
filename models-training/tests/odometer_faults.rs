//! Odometer faults injected by fleetsim are each found by the health engine, with the
//! kind the ground truth says, and none moves a RUL: every component's RUL in days is
//! the same as without the fault, and the RUL in km stays within a few percent (ADR
//! 0009). Several profiles and seeds; the fault lands inside the distance window.

use fleetsim::odometer::{OdometerFault, OdometerFaultKind, SpikeValue, fault_truth};
use fleetsim::profile::DutyProfile;
use fleetsim::simulate::{SimConfig, VehicleSim};
use fleetsim::vehicle::Vehicle;
use models::health::counters::{AnomalyKind, Counter};
use models::health::{Assessment, CounterNews, Engine, VehicleState};

const DAYS: i64 = 21;
const END: i64 = 1_767_225_600; // 2026-01-01

fn config(seed: u64) -> SimConfig {
    SimConfig {
        start: END - DAYS * 86_400,
        end: END,
        interval_s: 120,
        seed,
    }
}

fn assess(vehicle: &Vehicle, cfg: SimConfig, engine: &Engine) -> Assessment {
    let mut state = VehicleState::new();
    for s in VehicleSim::new(vehicle.clone(), cfg) {
        state.apply(&s.to_reading(vehicle, cfg.seed));
    }
    engine.assess(&state).expect("an assessment")
}

fn expected(kind: OdometerFaultKind) -> AnomalyKind {
    match kind {
        OdometerFaultKind::Reset => AnomalyKind::Reset,
        OdometerFaultKind::UnitSwitch => AnomalyKind::UnitSwitch,
        OdometerFaultKind::Rollback => AnomalyKind::Rollback,
        OdometerFaultKind::Spike => AnomalyKind::Spike,
    }
}

/// The fault of `kind` four days before the end: inside the week the distance rate
/// is taken over, with readings after it to confirm it.
fn fault(kind: OdometerFaultKind, spike: SpikeValue) -> OdometerFault {
    OdometerFault {
        kind,
        at: END - 4 * 86_400 + 13 * 3600,
        reset_start_km: 17.0,
        rollback_share: 0.3,
        spike,
    }
}

#[test]
fn each_odometer_fault_is_found_and_moves_no_rul() {
    let engine = Engine::bundled().expect("the bundled model");
    let spikes = [
        SpikeValue::Times(0.0),
        SpikeValue::Times(3.0),
        SpikeValue::Times(0.1),
        SpikeValue::PlusKm(1_000_000.0),
    ];
    let profiles = [
        DutyProfile::LongHaul,
        DutyProfile::Regional,
        DutyProfile::CarCommuter,
    ];
    for (n, seed) in [3_u64, 17, 41].into_iter().enumerate() {
        let cfg = config(seed);
        let clean = Vehicle::generate(seed, n as u32, profiles[n], DAYS as f64);
        let reference = assess(&clean, cfg, &engine);
        assert!(reference.anomalies.is_empty(), "{:?}", reference.anomalies);
        let rate = reference.daily_km.expect("a distance rate");
        for (i, kind) in OdometerFaultKind::ALL.into_iter().enumerate() {
            let mut faulted = clean.clone();
            faulted.odometer_fault = Some(fault(kind, spikes[(i + n) % spikes.len()]));
            let truth = fault_truth(&faulted, cfg).expect("the fault shows in the run");
            let a = assess(&faulted, cfg, &engine);
            let label = format!("seed {seed} {:?} {kind:?}", profiles[n]);
            let odo: Vec<_> = a
                .anomalies
                .iter()
                .filter(|x| x.counter == Counter::Odometer)
                .collect();
            assert_eq!(odo.len(), 1, "{label}: {odo:?}");
            assert_eq!(odo[0].brk.kind, expected(kind), "{label}: {odo:?}");
            let at = truth.at.timestamp();
            assert!(
                (odo[0].brk.after.t - at).abs() <= 3600,
                "{label}: found at {} for a fault at {at}",
                odo[0].brk.after.t
            );
            assert!(a.erratic.is_empty(), "{label}");
            let faulted_rate = a.daily_km.expect("still a distance rate");
            assert!(
                (faulted_rate - rate).abs() <= 0.05 * rate,
                "{label}: {faulted_rate} km/day against {rate}"
            );
            for (c, r) in a.components.iter().zip(&reference.components) {
                assert_eq!(c.rul_days, r.rul_days, "{label} {:?}", c.component);
                if let (Some(x), Some(y)) = (c.rul_km, r.rul_km) {
                    assert!(
                        (x - y).abs() <= 0.05f64.mul_add(y, 1.0),
                        "{label} {:?}: {x} km vs {y}",
                        c.component
                    );
                }
            }
        }
    }
}

#[test]
fn a_second_run_of_the_same_vehicle_ids_is_erratic_not_58000_km_a_day() {
    let engine = Engine::bundled().expect("the bundled model");
    let cfg = config(5);
    let first = Vehicle::generate(5, 0, DutyProfile::Regional, DAYS as f64);
    // Another run of the same id: another vehicle's odometer, the same days.
    let second = Vehicle::generate(99, 0, DutyProfile::LongHaul, DAYS as f64);
    let mut state = VehicleState::new();
    for s in VehicleSim::new(first.clone(), cfg) {
        state.apply(&s.to_reading(&first, cfg.seed));
    }
    let mut news = engine
        .assess(&state)
        .expect("an assessment")
        .counter_news(&mut state.head.announced);
    assert!(news.is_empty(), "{news:?}");
    // The second run arrives as the service gets it: in batches, each assessed and its
    // news announced.
    let cfg2 = SimConfig { seed: 99, ..cfg };
    let readings: Vec<_> = VehicleSim::new(second.clone(), cfg2)
        .map(|s| {
            let mut r = s.to_reading(&second, cfg2.seed);
            r.vehicle_id.clone_from(&first.id);
            r
        })
        .collect();
    for batch in readings.chunks(500) {
        for r in batch {
            state.apply(r);
        }
        let a = engine.assess(&state).expect("an assessment");
        news.extend(a.counter_news(&mut state.head.announced));
    }
    // A handful of messages at most, the erratic one among them: not one per break.
    for counter in [Counter::Odometer, Counter::EngineHours] {
        let about: Vec<_> = news
            .iter()
            .filter(|n| match n {
                CounterNews::Anomaly(a) | CounterNews::Erratic(a) => a.counter == counter,
            })
            .collect();
        assert!(
            about.len() <= 4,
            "{counter:?}: {} announcements: {about:?}",
            about.len()
        );
        assert!(
            about.iter().any(|n| matches!(n, CounterNews::Erratic(_))),
            "{about:?}"
        );
    }
    let a = engine.assess(&state).expect("an assessment");
    assert!(a.daily_km.is_none(), "no credible rate: {:?}", a.daily_km);
    assert!(
        a.erratic.iter().any(|e| e.counter == Counter::Odometer),
        "{:?}",
        a.erratic
    );
    assert!(a.components.iter().all(|c| c.rul_km.is_none()));
}
