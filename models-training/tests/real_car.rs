//! A healthy real car raises no alarm: a month of the carOBD logs (a 2014 Toyota
//! Etios, see `tools/fleetsim/data/carobd/SOURCE.md`) replayed through the health
//! engine, at the logs' own rate (about 2 Hz) and thinned to one reading per 10 s,
//! raises no `component.degraded` or `component.critical`. The car's gateway reports
//! the battery voltage only with the key on (key-on, cranking, charging), so its
//! battery is unknown rather than judged; its coolant counts once the run time since
//! start says the engine is warm, so short cold trips are not a stuck-open thermostat.

use chrono::{TimeZone, Utc};
use fleetsim::carobd::{self, Sample};
use models::health::{Engine, Reported, Transition, VehicleState};
use shared_schemas::events::{Component, HealthBand};

const VEHICLE: &str = "ETIOS-2014";

/// What a replay ended with, and every condition event it raised.
struct Outcome {
    alarms: Vec<(String, Component)>,
    final_assessment: models::health::Assessment,
}

/// Applies the samples, assessing after each engine run as the service does after a
/// batch of readings.
fn replay(samples: &[Sample], engine: &Engine) -> Outcome {
    let mut state = VehicleState::new();
    let mut reported = Reported::default();
    let mut alarms = Vec::new();
    let mut last = None;
    for (k, s) in samples.iter().enumerate() {
        state.apply(&s.reading(VEHICLE));
        let run_ends = samples.get(k + 1).is_none_or(|n| n.trip != s.trip);
        if !run_ends {
            continue;
        }
        let a = engine.assess(&state).expect("assessed");
        for t in a.transitions(&mut reported) {
            match t {
                Transition::Degraded(c) | Transition::Critical(c) => {
                    alarms.push((format!("{} {}", s.at, s.trip), c));
                }
                Transition::Changed { .. } => {}
            }
        }
        last = Some(a);
    }
    Outcome {
        alarms,
        final_assessment: last.expect("at least one run"),
    }
}

fn month(every_s: Option<f64>) -> Vec<Sample> {
    let trips = carobd::load_dir(&carobd::bundled_dir()).expect("bundled carOBD logs");
    let start = Utc.with_ymd_and_hms(2024, 3, 4, 0, 0, 0).unwrap();
    carobd::month(&trips, start, 30, every_s)
}

fn check(every_s: Option<f64>) {
    let engine = Engine::bundled().expect("model");
    let out = replay(&month(every_s), &engine);
    assert!(
        out.alarms.is_empty(),
        "alarms on a healthy car: {:?}",
        out.alarms
    );
    let a = &out.final_assessment;
    let unknown: Vec<Component> = a.unknown.iter().map(|u| u.component).collect();
    assert_eq!(unknown, [Component::Battery], "{a:?}");
    assert!(a.unknown[0].needs.contains("stopped"), "{:?}", a.unknown);
    let cooling = a.component(Component::Cooling).expect("cooling judged");
    assert!(cooling.band <= HealthBand::Good, "{cooling:?}");
    assert!(cooling.confidence > 0.5, "baseline learned: {cooling:?}");
    // Its coolant sensor reads whole degrees: the plausibility stage (ADR 0028) must
    // not take a steady thermostat for a frozen sensor.
    assert!(
        cooling
            .factors
            .iter()
            .all(|f| !f.name.ends_with("_set_aside_days")),
        "a live sensor set aside: {cooling:?}"
    );
    let names: Vec<Component> = a.components.iter().map(|c| c.component).collect();
    assert_eq!(
        names,
        [Component::Cooling],
        "a petrol car without DPF or SCR"
    );
}

#[test]
fn a_healthy_real_car_at_its_own_rate_raises_no_alarm() {
    check(None);
}

#[test]
fn a_healthy_real_car_every_10_s_raises_no_alarm() {
    check(Some(10.0));
}
