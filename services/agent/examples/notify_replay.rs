//! `notify-replay`: every decision the agent would make about a simulated fleet, and
//! what each calls for (ADR 0010), without running the services: fleetsim → the health
//! engine and its transition tracker → the agent's rules, as the services chain them.
//! Lists the decisions that would alert people about anything but an injected fault,
//! and counts dispositions. A quick companion of `scripts/bench-notifications.sh`
//! (which runs the real services and counts what they sent).
//!
//!     cargo run --release -p agent --example notify_replay [-- vehicles days seed]

use agent::domain::case::{Case, change_is_covered, degraded_is_covered};
use agent::domain::decision::{Decision, Provenance};
use agent::domain::{orchestrator, rules};
use chrono::DateTime;
use models::health::{Assessment, Engine, Reported, Transition};
use models_training::decisions::ORG;
use models_training::fleet::{FleetSpec, replay, truth_component};
use shared_schemas::events::{Component, ComponentCritical, ComponentDegraded, Disposition};
use uuid::Uuid;

/// One decision, flattened for the report.
struct Row {
    vehicle: String,
    component: Component,
    at: i64,
    /// About the vehicle's injected fault.
    fault: bool,
    /// The vehicle has an injected fault (this may be another of its components).
    degraded: bool,
    decision: Decision,
}

fn main() -> anyhow::Result<()> {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let spec = FleetSpec {
        vehicles: args.first().copied().unwrap_or(200) as u32,
        days: args.get(1).copied().unwrap_or(90) as u32,
        seed: args.get(2).copied().unwrap_or(42),
        degrade_fraction: 0.3,
        assess_every_s: 900,
        interval_s: 60,
    };
    let engine = Engine::bundled()?;
    let fleet = spec.fleet();
    let chunk = fleet.len().div_ceil(2).max(1);
    let rows: Vec<Row> = std::thread::scope(|scope| {
        let handles: Vec<_> = fleet
            .chunks(chunk)
            .map(|vehicles| {
                let (engine, spec) = (&engine, &spec);
                scope.spawn(move || {
                    let mut rows = Vec::new();
                    for v in vehicles {
                        rows.extend(decide_vehicle(engine, spec, v.clone()));
                    }
                    rows
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    report(&rows, &spec);
    Ok(())
}

/// The decisions about one vehicle's announced transitions.
fn decide_vehicle(engine: &Engine, spec: &FleetSpec, v: fleetsim::vehicle::Vehicle) -> Vec<Row> {
    let fault = v.degradation.map(|d| truth_component(&d));
    let degraded = fault.is_some();
    let id = v.id.clone();
    let mut reported = Reported::default();
    let mut rows = Vec::new();
    replay(engine, v, spec, |t, a| {
        for tr in a.transitions(&mut reported) {
            if let Some(case) = case_of(&id, t, a, tr) {
                let class = orchestrator::classify(&case);
                let draft = rules::diagnose(&case, &class);
                let decision = Decision::new(&case, &class, draft, Provenance::default(), "USD");
                rows.push(Row {
                    vehicle: id.clone(),
                    component: case.component,
                    at: t,
                    fault: fault == Some(case.component),
                    degraded,
                    decision,
                });
            }
        }
    });
    rows
}

/// The case the agent decides for a transition (none for one another event covers).
fn case_of(id: &str, t: i64, a: &Assessment, tr: Transition) -> Option<Case> {
    let at = DateTime::from_timestamp(t, 0).unwrap_or_default();
    let condition = |c: Component| {
        a.component(c)
            .map(|h| ComponentDegraded::of(ORG, id, h, Vec::new(), None, at))
    };
    match tr {
        Transition::Degraded(c) => condition(c)
            .filter(|e| !degraded_is_covered(e.band))
            .map(|e| Case::degraded(Uuid::now_v7(), Uuid::nil(), e)),
        Transition::Critical(c) => condition(c)
            .map(|e| Case::critical(Uuid::now_v7(), Uuid::nil(), ComponentCritical::from(e))),
        Transition::Changed {
            component,
            previous,
            current,
            ..
        } => {
            if change_is_covered(previous.band, current.band) {
                return None;
            }
            let h = a.component(component)?;
            let changed = tr.changed_event(ORG, id, h.rul_days, at)?;
            let mut case = Case::changed(Uuid::now_v7(), Uuid::nil(), changed);
            // The agent fetches the component's health for a change.
            case.enrich(h, a.daily_km, None);
            Some(case)
        }
    }
}

fn report(rows: &[Row], spec: &FleetSpec) {
    // Alerts fold per vehicle and component: count those, and the worst severity.
    let mut pairs = std::collections::BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| !r.fault && r.decision.disposition == Disposition::Alert)
    {
        let worst = pairs
            .entry((r.vehicle.clone(), r.component, r.degraded))
            .or_insert(r.decision.severity);
        *worst = (*worst).max(r.decision.severity);
    }
    let healthy_vehicles = pairs.keys().filter(|(_, _, degraded)| !degraded).count();
    let count = |f: &dyn Fn(&Row) -> bool| rows.iter().filter(|r| f(r)).count();
    println!(
        "notify-replay: {} vehicles, {} days, seed {}: {} decisions",
        spec.vehicles,
        spec.days,
        spec.seed,
        rows.len()
    );
    for (label, fault) in [("injected faults", true), ("everything else", false)] {
        println!(
            "  about {label:<16} alert {:>5}  plan {:>5}  monitor {:>5}",
            count(&|r| r.fault == fault && r.decision.disposition == Disposition::Alert),
            count(&|r| r.fault == fault && r.decision.disposition == Disposition::Plan),
            count(&|r| r.fault == fault && r.decision.disposition == Disposition::Monitor),
        );
    }
    println!(
        "nonfault_alerts={} on_healthy_vehicles={healthy_vehicles} worst={:?}",
        pairs.len(),
        pairs.values().max()
    );
    println!("alert decisions about anything but an injected fault:");
    for r in rows
        .iter()
        .filter(|r| !r.fault && r.decision.disposition == Disposition::Alert)
    {
        let d = &r.decision;
        println!(
            "  {} {} {} {} {:?} band {:?} rul {:?}: {}",
            r.vehicle,
            r.component.as_str(),
            DateTime::from_timestamp(r.at, 0)
                .unwrap_or_default()
                .format("%m-%d %H:%M"),
            d.trigger.as_str(),
            d.severity,
            d.evidence.band,
            d.evidence.rul_days,
            d.diagnosis
        );
        if std::env::var_os("NOTIFY_FACTORS").is_some() {
            for f in &d.evidence.factors {
                println!("      {} = {} ({})", f.name, f.value, f.detail);
            }
        }
    }
}
