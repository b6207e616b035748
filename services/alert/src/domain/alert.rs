//! An alert as stored and served.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_schemas::events::{AckVia, AlertKind, AlertSeverity, Component, CostRange};
use utoipa::ToSchema;
use uuid::Uuid;

/// Where an alert is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Nobody has acknowledged it: escalation timers run.
    Open,
    /// Someone acknowledged it: no more escalation; repeats fold into it.
    Acknowledged,
    /// Closed; a new event for the same vehicle and subject opens a new alert.
    Resolved,
}

impl Status {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Resolved => "resolved",
        }
    }

    /// The status of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Acknowledged, Self::Resolved]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// What the agent said about it (from `agent.decision.made`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
pub struct Diagnosis {
    /// The decision.
    pub decision_id: Option<Uuid>,
    /// What is wrong.
    pub diagnosis: Option<String>,
    /// Recommended actions, most important first.
    pub actions: Vec<String>,
    /// Act within this many days.
    pub urgency_days: Option<u32>,
    /// Estimated cost.
    pub estimated_cost: Option<CostRange>,
    /// The agent's confidence, 0..1.
    pub confidence: Option<f64>,
}

/// An alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Alert {
    /// Id.
    pub alert_id: Uuid,
    /// Organization.
    pub org_id: String,
    /// Vehicle.
    pub vehicle_id: String,
    /// What it is about: a component name, or `staleness`. One unresolved alert per
    /// vehicle and subject: repeats fold into it.
    pub subject: String,
    /// The component, when about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<Component>,
    /// What raised it first.
    #[schema(value_type = String, example = "decision")]
    pub kind: AlertKind,
    /// Severity: the highest of the events folded into it.
    pub severity: AlertSeverity,
    /// Life-cycle status.
    pub status: Status,
    /// Short title.
    pub title: String,
    /// Summary.
    pub message: String,
    /// The agent's diagnosis and recommended actions, when known.
    pub diagnosis: Diagnosis,
    /// A decision behind it needs a human review (low confidence).
    pub needs_review: bool,
    /// Why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_reason: Option<String>,
    /// Events folded into it (1 = just the first).
    pub occurrences: i32,
    /// Escalation step reached: 0 first notice (owner), 1 fleet manager, 2 emergency
    /// contact, 3+ reminders to the whole chain.
    pub step: i32,
    /// When the next escalation step happens unless acknowledged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_escalation_at: Option<DateTime<Utc>>,
    /// Correlation id of the flow that last raised or upgraded it.
    pub correlation_id: Uuid,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Acknowledged at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// By whom (user id, or `contact:<id>` for a link).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged_by: Option<String>,
    /// How.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "link")]
    pub ack_via: Option<AckVia>,
    /// Resolved at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    /// By whom (absent when automatic).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<String>,
    /// Why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
}

/// The stored name of an alert kind.
pub fn kind_str(k: AlertKind) -> &'static str {
    match k {
        AlertKind::ComponentDegraded => "component_degraded",
        AlertKind::ComponentCritical => "component_critical",
        AlertKind::Decision => "decision",
        AlertKind::Escalation => "escalation",
        AlertKind::Staleness => "staleness",
        AlertKind::Appointment => "appointment",
        AlertKind::Warranty => "warranty",
    }
}

/// The kind of a stored name.
pub fn parse_kind(s: &str) -> Option<AlertKind> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

/// A component's display name, e.g. `DPF`.
pub fn component_name(c: Component) -> &'static str {
    match c {
        Component::EngineOil => "Engine oil",
        Component::Cooling => "Cooling system",
        Component::Dpf => "DPF (diesel particulate filter)",
        Component::ScrDef => "SCR/DEF (exhaust aftertreatment)",
        Component::Brakes => "Brakes",
        Component::Battery => "Battery",
        Component::Transmission => "Transmission",
        Component::Tires => "Tires",
    }
}
