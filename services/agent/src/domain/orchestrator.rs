//! The master orchestrator: classifies a case (component, rule severity) and routes it
//! to a worker agent. A case whose trouble codes point at systems other than its
//! component (e.g. a cooling event with a transmission over-temperature code, or
//! network faults) goes to the generic cross-system worker.

use shared_schemas::events::{Component, Severity, WorkerAgent};

use super::case::Case;
use super::dtc;
use super::evidence::Evidence;
use super::severity::{self, RuleBand};

/// The orchestrator's classification of a case.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    /// The component concerned.
    pub component: Component,
    /// The rule band (the floor of any decision's severity).
    pub band: RuleBand,
    /// The worker that handles it.
    pub worker: WorkerAgent,
    /// Systems the case's codes point at besides its component.
    pub other_systems: Vec<String>,
}

/// The specialist worker of a component.
pub fn specialist(c: Component) -> WorkerAgent {
    match c {
        Component::EngineOil | Component::Cooling => WorkerAgent::Powertrain,
        Component::Dpf | Component::ScrDef => WorkerAgent::Aftertreatment,
        Component::Brakes => WorkerAgent::Brakes,
        Component::Battery => WorkerAgent::Electrical,
        Component::Transmission => WorkerAgent::Transmission,
        // Tires have no specialist: the cross-system worker handles chassis items.
        Component::Tires => WorkerAgent::Generic,
    }
}

/// The wire name of a worker.
pub fn worker_name(w: WorkerAgent) -> &'static str {
    match w {
        WorkerAgent::Powertrain => "powertrain",
        WorkerAgent::Aftertreatment => "aftertreatment",
        WorkerAgent::Brakes => "brakes",
        WorkerAgent::Electrical => "electrical",
        WorkerAgent::Transmission => "transmission",
        WorkerAgent::Generic => "generic",
    }
}

/// Parses a worker's wire name.
pub fn parse_worker(s: &str) -> Option<WorkerAgent> {
    [
        WorkerAgent::Powertrain,
        WorkerAgent::Aftertreatment,
        WorkerAgent::Brakes,
        WorkerAgent::Electrical,
        WorkerAgent::Transmission,
        WorkerAgent::Generic,
    ]
    .into_iter()
    .find(|w| worker_name(*w) == s)
}

/// Components whose codes count as "the same system" as `c`.
fn same_system(c: Component, code_component: &str) -> bool {
    code_component == c.as_str()
        || code_component == "unknown"
        // Engine-wide codes belong with the engine's own components.
        || (code_component == "engine" && matches!(c, Component::EngineOil | Component::Cooling))
        // Exhaust codes cover both aftertreatment components.
        || (matches!(c, Component::Dpf | Component::ScrDef)
            && matches!(code_component, "dpf" | "scr_def"))
}

/// Classifies `case` and picks its worker.
pub fn classify(case: &Case) -> Classification {
    let evidence = Evidence::read(&case.factors);
    let band = match case.rul_days {
        Some(rul) => severity::rule_band(rul, case.daily_km, evidence.max_damage()),
        // No RUL at all (manual request, health service down): medium until a human
        // looks; the decision's low confidence escalates it.
        None => RuleBand {
            severity: Severity::Medium,
            effective_days: f64::NAN,
            heavy_use: false,
            past_limit: false,
            unconfirmed: false,
        },
    };
    let mut other_systems: Vec<String> = case
        .dtcs
        .iter()
        .map(|d| dtc::explain(d).component)
        .filter(|c| !same_system(case.component, c))
        .collect();
    other_systems.sort();
    other_systems.dedup();
    let worker = if other_systems.is_empty() {
        specialist(case.component)
    } else {
        WorkerAgent::Generic
    };
    Classification {
        component: case.component,
        band,
        worker,
        other_systems,
    }
}
