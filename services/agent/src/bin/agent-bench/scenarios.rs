//! The agent benchmark's scenario file (`scenarios/scenarios.json`): labelled events
//! written by `examples/make-scenarios.rs` (which includes this file) and read by
//! `agent-bench`.

use serde::{Deserialize, Serialize};
use shared_schemas::events::{
    Component, ComponentCritical, ComponentDegraded, ComponentHealth, HealthChanged, Severity,
};

use agent::domain::modes::FailureMode;

/// The committed scenario file.
pub(crate) const DEFAULT_PATH: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/scenarios.json");

/// The scenario file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ScenarioSet {
    /// How it was made.
    pub(crate) generator: String,
    /// Fleet seeds replayed.
    pub(crate) seeds: Vec<u64>,
    /// The scenarios.
    pub(crate) scenarios: Vec<Scenario>,
}

/// The triggering event of a scenario, as the agent would receive it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload")]
pub(crate) enum ScenarioEvent {
    /// `component.degraded`.
    #[serde(rename = "component.degraded")]
    Degraded(ComponentDegraded),
    /// `component.critical`.
    #[serde(rename = "component.critical")]
    Critical(ComponentCritical),
    /// `vehicle.health.changed`.
    #[serde(rename = "vehicle.health.changed")]
    Changed(HealthChanged),
}

/// What the scenario should be decided as.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Truth {
    /// The component of the injected mode.
    pub(crate) component: Component,
    /// The injected mode (agent vocabulary).
    pub(crate) failure_mode: FailureMode,
    /// Severity from the true time to failure at the event (urgency guide).
    pub(crate) severity: Severity,
    /// The action that repairs the mode.
    pub(crate) key_action: String,
    /// True time to failure at the event, days (negative: already failed).
    pub(crate) ttf_days: f64,
    /// The leaking wheel, for tires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) wheel: Option<String>,
}

/// One labelled scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Scenario {
    /// Stable id.
    pub(crate) id: String,
    /// Fleet seed.
    pub(crate) seed: u64,
    /// Simulator mode name.
    pub(crate) sim_mode: String,
    /// The event.
    pub(crate) event: ScenarioEvent,
    /// What the health service answers for the component at the event (the
    /// `get_component_health` tool), with the vehicle's daily distance.
    pub(crate) component_health: ComponentHealth,
    /// Recent distance per day, km.
    #[serde(default)]
    pub(crate) daily_km: Option<f64>,
    /// The labels.
    pub(crate) truth: Truth,
}
