//! `make-scenarios`: generates the agent benchmark's labelled scenario set.
//!
//! Replays simulated fleets with injected degradations (fleetsim, seeds other than the
//! health benchmarks' 42 and 7) through the health engine exactly as the health
//! service would, tracks the transitions it would announce, and keeps every event the
//! agent would decide on for the degraded component after the fault's onset:
//! `component.degraded`, `component.critical`, and `vehicle.health.changed` when no
//! condition event covers it and the band went down. Labels come from the ground
//! truth: the component and failure mode injected, the severity of the TRUE time to
//! failure at the event on the urgency guide, and the mode's key action.
//!
//!     cargo run --release -p agent --example make-scenarios [-- --out PATH]

use std::collections::BTreeMap;

use agent::domain::case::{change_is_covered, degraded_is_covered};
use agent::domain::modes::FailureMode;
use agent::domain::severity;
use chrono::{DateTime, Utc};
use fleetsim::degradation::{Degradation, FailureMode as SimMode};
use fleetsim::sample::DTC_TABLE;
use fleetsim::vehicle::Vehicle;
use models::health::{Engine, Reported, Transition};
use models_training::fleet::{FleetSpec, replay, truth_component};
use shared_schemas::events::{Component, ComponentCritical, ComponentHealth};
use shared_schemas::telemetry::Dtc;

mod announce;
// The scenario file's format belongs to the `agent-bench` binary, which reads it.
#[path = "../src/bin/agent-bench/scenarios.rs"]
mod scenarios;

use scenarios::{Scenario, ScenarioEvent, ScenarioSet, Truth};

const SEEDS: [u64; 5] = [11, 23, 57, 101, 2024];

fn agent_mode(m: SimMode) -> FailureMode {
    match m {
        SimMode::DpfClogging => FailureMode::DpfClogging,
        SimMode::ScrEfficiencyLoss => FailureMode::ScrCatalystAgeing,
        SimMode::DefDilution => FailureMode::DefDilution,
        SimMode::OilLeak => FailureMode::OilLeak,
        SimMode::CoolantOverheat => FailureMode::CoolantOverheat,
        SimMode::ThermostatStuckOpen => FailureMode::ThermostatStuckOpen,
        SimMode::BrakeWear => FailureMode::AbnormalBrakeWear,
        SimMode::BatteryAgeing => FailureMode::BatterySulphation,
        SimMode::TransmissionOverheat => FailureMode::TransmissionOverheat,
        SimMode::TireSlowLeak => FailureMode::TireSlowLeak,
    }
}

fn main() -> anyhow::Result<()> {
    let out = std::env::args()
        .skip_while(|a| a != "--out")
        .nth(1)
        .unwrap_or_else(|| scenarios::DEFAULT_PATH.to_owned());
    let engine = Engine::bundled()?;
    let mut scenarios = Vec::new();
    for seed in SEEDS {
        let spec = FleetSpec {
            vehicles: 50,
            days: 60,
            seed,
            degrade_fraction: 0.5,
            assess_every_s: 3_600,
            interval_s: 300,
        };
        for vehicle in spec.fleet() {
            scenarios.extend(vehicle_scenarios(&engine, &spec, vehicle));
        }
        eprintln!("seed {seed}: {} scenarios so far", scenarios.len());
    }
    let mut by_mode: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &scenarios {
        *by_mode.entry(s.sim_mode.as_str()).or_default() += 1;
    }
    eprintln!("by mode: {by_mode:?}");
    let set = ScenarioSet {
        generator: format!(
            "make-scenarios: fleetsim 50 vehicles x 60 days, 50 % degraded, hourly assessment, health model {}",
            engine.model_version()
        ),
        seeds: SEEDS.to_vec(),
        scenarios,
    };
    let mut json = serde_json::to_string_pretty(&set)?;
    json.push('\n');
    std::fs::write(&out, json)?;
    eprintln!("wrote {} scenarios to {out}", set.scenarios.len());
    Ok(())
}

/// The scenarios of one vehicle of fleet `spec`: every event about its degraded
/// component after the fault's onset (none for a healthy vehicle).
fn vehicle_scenarios(engine: &Engine, spec: &FleetSpec, vehicle: Vehicle) -> Vec<Scenario> {
    let Some(d) = vehicle.degradation else {
        return Vec::new();
    };
    let component = truth_component(&d);
    let kind = vehicle.kind;
    let id = vehicle.id.clone();
    let mut reported = Reported::default();
    let mut found: Vec<Scenario> = Vec::new();
    replay(engine, vehicle, spec, |t, a| {
        let transitions = a.transitions(&mut reported);
        if t < d.onset {
            return;
        }
        let Some(h) = a.component(component) else {
            return;
        };
        let mask = d.dtc_mask(t, kind);
        let dtcs: Vec<Dtc> = (0..DTC_TABLE.len())
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| DTC_TABLE[i].to_dtc())
            .collect();
        let at = DateTime::from_timestamp(t, 0).unwrap_or_default();
        for tr in transitions {
            let Some(event) = event_of(tr, component, &id, h, &dtcs, at) else {
                continue;
            };
            let kind_name = match &event {
                ScenarioEvent::Degraded(_) => "degraded",
                ScenarioEvent::Critical(_) => "critical",
                ScenarioEvent::Changed(_) => "changed",
            };
            found.push(Scenario {
                id: format!("s{}-{id}-{kind_name}-{t}", spec.seed),
                seed: spec.seed,
                sim_mode: d.mode.as_str().to_owned(),
                event,
                component_health: h.clone(),
                daily_km: a.daily_km,
                truth: truth(&d, component, t),
            });
        }
    });
    found
}

/// The event the agent would decide on for transition `tr` of vehicle `id`, when it
/// is about the degraded `component` (component health `h`, active codes `dtcs`) and
/// no other event of the transition covers it; changes only when the band went down.
fn event_of(
    tr: Transition,
    component: Component,
    id: &str,
    h: &ComponentHealth,
    dtcs: &[Dtc],
    at: DateTime<Utc>,
) -> Option<ScenarioEvent> {
    match tr {
        Transition::Degraded(c) if c == component && !degraded_is_covered(h.band) => Some(
            ScenarioEvent::Degraded(announce::degraded(id, h, dtcs.to_vec(), at)),
        ),
        Transition::Critical(c) if c == component => Some(ScenarioEvent::Critical(
            ComponentCritical::from(announce::degraded(id, h, dtcs.to_vec(), at)),
        )),
        Transition::Changed {
            component: c,
            previous,
            current,
            reason,
        } if c == component
            && current.band > previous.band
            && !change_is_covered(previous.band, current.band) =>
        {
            Some(ScenarioEvent::Changed(announce::changed(
                id, component, previous, current, reason, h.rul_days, at,
            )))
        }
        _ => None,
    }
}

/// The labels of an event at `t` about degradation `d` of `component`: its mode, the
/// severity of the true time to failure, the mode's key action.
fn truth(d: &Degradation, component: Component, t: i64) -> Truth {
    let mode = agent_mode(d.mode);
    let ttf_days = (d.failure - t) as f64 / 86_400.0;
    Truth {
        component,
        failure_mode: mode,
        severity: severity::band_for_days(ttf_days),
        key_action: mode.key_action().to_owned(),
        ttf_days: (ttf_days * 10.0).round() / 10.0,
        wheel: (d.mode == SimMode::TireSlowLeak)
            .then(|| fleetsim::degradation::WHEELS[d.wheel].to_owned()),
    }
}
