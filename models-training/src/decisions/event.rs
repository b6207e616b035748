//! The health events of a replay as the health service announces them: what the agent
//! receives, so that a benchmark can hand the same instants to the agent itself.

use chrono::{DateTime, Utc};
use models::health::Transition;
use serde::{Deserialize, Serialize};
use shared_schemas::events::{
    ComponentCritical, ComponentDegraded, ComponentHealth, HealthChanged,
};
use shared_schemas::telemetry::Dtc;

/// The organization of replayed fleets.
pub const ORG: &str = "bench";

/// One health event, as published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload")]
pub enum HealthEvent {
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

impl HealthEvent {
    /// The event of transition `t` of vehicle `vehicle_id`, whose component health is
    /// `h` at `at` (Unix seconds) with the active codes `dtcs` (no odometer).
    pub fn of(
        t: &Transition,
        vehicle_id: &str,
        h: &ComponentHealth,
        dtcs: Vec<Dtc>,
        at: i64,
    ) -> Self {
        let at: DateTime<Utc> = DateTime::from_timestamp(at, 0).unwrap_or_default();
        if let Some(e) = t.changed_event(ORG, vehicle_id, h.rul_days, at) {
            return Self::Changed(e);
        }
        let condition = ComponentDegraded::of(ORG, vehicle_id, h, dtcs, None, at);
        match t {
            Transition::Critical(_) => Self::Critical(ComponentCritical::from(condition)),
            _ => Self::Degraded(condition),
        }
    }

    /// The wire name of the event type.
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::Degraded(_) => "component.degraded",
            Self::Critical(_) => "component.critical",
            Self::Changed(_) => "vehicle.health.changed",
        }
    }
}

/// An event a decision was taken on, with what the health service would answer about
/// the component then (the agent's `get_component_health` tool).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecidedEvent {
    /// The event.
    pub event: HealthEvent,
    /// The component's health at the event.
    pub health: ComponentHealth,
    /// The vehicle's recent distance per day, km.
    pub daily_km: Option<f64>,
}
