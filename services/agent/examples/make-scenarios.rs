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

use agent::bench::{Scenario, ScenarioEvent, ScenarioSet, Truth};
use agent::domain::case::{change_is_covered, degraded_is_covered};
use agent::domain::modes::FailureMode;
use agent::domain::severity;
use chrono::DateTime;
use fleetsim::degradation::FailureMode as SimMode;
use fleetsim::sample::DTC_TABLE;
use models::fleet::{FleetSpec, replay, truth_component};
use models::health::{Engine, Reported, Transition};
use shared_schemas::events::{
    ComponentCritical, ComponentDegraded, ComponentHealth, HealthChanged,
};
use shared_schemas::telemetry::Dtc;

const SEEDS: [u64; 5] = [11, 23, 57, 101, 2024];
const ORG: &str = "bench";

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
        .unwrap_or_else(|| agent::bench::DEFAULT_PATH.to_owned());
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
            let Some(d) = vehicle.degradation else {
                continue;
            };
            let component = truth_component(&d);
            let mode = agent_mode(d.mode);
            let kind = vehicle.kind;
            let id = vehicle.id.clone();
            let mut reported = Reported::default();
            let mut found: Vec<Scenario> = Vec::new();
            replay(&engine, vehicle, &spec, |t, a| {
                let transitions = a.transitions(&mut reported);
                if t < d.onset {
                    return;
                }
                let Some(h) = a.component(component) else {
                    return;
                };
                let ttf_days = (d.failure - t) as f64 / 86_400.0;
                let mask = d.dtc_mask(t, kind);
                let dtcs: Vec<Dtc> = (0..DTC_TABLE.len())
                    .filter(|i| mask & (1 << i) != 0)
                    .map(|i| DTC_TABLE[i].to_dtc())
                    .collect();
                let at = DateTime::from_timestamp(t, 0).unwrap_or_default();
                for tr in transitions {
                    let event = match tr {
                        Transition::Degraded(c)
                            if c == component && !degraded_is_covered(h.band) =>
                        {
                            ScenarioEvent::Degraded(condition(&id, h, &dtcs, at))
                        }
                        Transition::Critical(c) if c == component => {
                            let e = condition(&id, h, &dtcs, at);
                            ScenarioEvent::Critical(ComponentCritical {
                                org_id: e.org_id,
                                vehicle_id: e.vehicle_id,
                                component: e.component,
                                score: e.score,
                                band: e.band,
                                rul_days: e.rul_days,
                                rul_km: e.rul_km,
                                confidence: e.confidence,
                                factors: e.factors,
                                dtcs: e.dtcs,
                                odometer_km: e.odometer_km,
                                detected_at: e.detected_at,
                            })
                        }
                        Transition::Changed {
                            component: c,
                            previous,
                            current,
                            reason,
                        } if c == component
                            && current.band > previous.band
                            && !change_is_covered(previous.band, current.band) =>
                        {
                            ScenarioEvent::Changed(HealthChanged {
                                org_id: ORG.to_owned(),
                                vehicle_id: id.clone(),
                                component,
                                previous_score: previous.score,
                                previous_band: previous.band,
                                current_score: current.score,
                                current_band: current.band,
                                rul_days: h.rul_days,
                                reason,
                                detected_at: at,
                            })
                        }
                        _ => continue,
                    };
                    let kind_name = match &event {
                        ScenarioEvent::Degraded(_) => "degraded",
                        ScenarioEvent::Critical(_) => "critical",
                        ScenarioEvent::Changed(_) => "changed",
                    };
                    found.push(Scenario {
                        id: format!("s{seed}-{id}-{kind_name}-{t}"),
                        seed,
                        sim_mode: d.mode.as_str().to_owned(),
                        event,
                        component_health: h.clone(),
                        daily_km: a.daily_km,
                        truth: Truth {
                            component,
                            failure_mode: mode,
                            severity: severity::band_for_days(ttf_days),
                            key_action: mode.key_action().to_owned(),
                            ttf_days: (ttf_days * 10.0).round() / 10.0,
                            wheel: (d.mode == SimMode::TireSlowLeak)
                                .then(|| fleetsim::degradation::WHEELS[d.wheel].to_owned()),
                        },
                    });
                }
            });
            scenarios.extend(found);
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

fn condition(
    vehicle_id: &str,
    h: &ComponentHealth,
    dtcs: &[Dtc],
    at: chrono::DateTime<chrono::Utc>,
) -> ComponentDegraded {
    ComponentDegraded {
        org_id: ORG.to_owned(),
        vehicle_id: vehicle_id.to_owned(),
        component: h.component,
        score: h.score,
        band: h.band,
        rul_days: h.rul_days,
        rul_km: h.rul_km,
        confidence: h.confidence,
        factors: h.factors.clone(),
        dtcs: dtcs.to_vec(),
        odometer_km: None,
        detected_at: at,
    }
}
