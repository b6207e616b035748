//! Events produced by the agent service: diagnoses/decisions and escalations to humans.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::health::Component;
use crate::envelope::Event;

/// Severity of a diagnosed problem. Ordered from least to most severe.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
    ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Time to failure over 14 days.
    Low,
    /// Time to failure 8 to 14 days.
    Medium,
    /// Time to failure 3 to 7 days.
    High,
    /// Time to failure under 3 days.
    Critical,
}

impl Severity {
    /// The urgency band of a time to failure in days (docs/domain.md): under 3 days
    /// critical, 3 to under 8 high, 8 to under 15 medium, 15 or more low. Fractions count
    /// towards the lower band (7.9 days is "7 days"); an unknown time (NaN) is critical.
    /// The agent's rule severity, the alert severity of `component.critical` and the
    /// benchmarks' band scoring all read this one table.
    pub fn for_days_to_failure(days: f64) -> Self {
        if days.is_nan() || days < 3.0 {
            Self::Critical
        } else if days < 8.0 {
            Self::High
        } else if days < 15.0 {
            Self::Medium
        } else {
            Self::Low
        }
    }

    /// The wire name, e.g. `high`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

/// The worker agent that produced a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkerAgent {
    /// Powertrain and engine (oil, cooling).
    Powertrain,
    /// Aftertreatment (DPF, SCR/DEF).
    Aftertreatment,
    /// Brakes.
    Brakes,
    /// Electrical and battery.
    Electrical,
    /// Transmission.
    Transmission,
    /// Generic, cross-system.
    Generic,
}

/// How soon the recommended work should be done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, ToSchema)]
pub struct UrgencyWindow {
    /// Do the work within this many days of the decision (0 = immediately).
    pub within_days: u32,
}

/// An estimated cost range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, ToSchema)]
pub struct CostRange {
    /// Lower bound, in major units of `currency`.
    pub min: f64,
    /// Upper bound, in major units of `currency`.
    pub max: f64,
    /// ISO 4217 currency code, e.g. `USD`.
    pub currency: String,
}

/// A worker agent diagnosed a health event and decided what to do. `agent.decision.made`,
/// v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DecisionMade {
    /// The decision's id.
    pub decision_id: Uuid,
    /// Organization (fleet) the vehicle belongs to: the scope of the event.
    pub org_id: String,
    /// The vehicle.
    pub vehicle_id: String,
    /// The component concerned.
    pub component: Component,
    /// What is wrong, in a sentence or two.
    pub diagnosis: String,
    /// How severe it is.
    pub severity: Severity,
    /// What it calls for (ADR 0010): an alert to people, a maintenance-planning item,
    /// or nothing but the record. Absent in older events: `alert`.
    #[serde(default)]
    pub disposition: Disposition,
    /// How soon to act.
    pub urgency: UrgencyWindow,
    /// Recommended actions, most important first.
    pub recommended_actions: Vec<String>,
    /// Estimated repair cost.
    pub estimated_cost: CostRange,
    /// Confidence in the diagnosis, 0..1 (under 0.7 is escalated to a human).
    pub confidence: f64,
    /// Why the agent concluded this.
    pub reasoning: String,
    /// The worker agent that decided.
    pub agent: WorkerAgent,
    /// LLM provider name, or `rules` for the deterministic diagnoser.
    pub provider: String,
    /// Model name (or rule-set version).
    pub model: String,
    /// Whether the rule-based diagnoser answered because the provider was missing,
    /// failed, timed out or returned invalid output.
    pub fallback_used: bool,
    /// Time taken to decide, ms.
    pub latency_ms: u64,
    /// Prompt tokens (0 for rules).
    pub tokens_in: u64,
    /// Completion tokens (0 for rules).
    pub tokens_out: u64,
    /// Provider cost, USD.
    pub cost_usd: f64,
    /// When the decision was made.
    pub decided_at: DateTime<Utc>,
    /// The decision this one replaces as the vehicle component's current decision: a
    /// person's review overrode it (its severity, actions or diagnosis). Consumers
    /// treat this decision as current in its place, even when it is less severe.
    /// Absent for the agent's own decisions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<Uuid>,
}

impl Event for DecisionMade {
    const TYPE: &'static str = "agent.decision.made";
    const VERSION: u32 = 1;
    fn vehicle_id(&self) -> &str {
        &self.vehicle_id
    }
}

/// What a decision calls for, by the evidence behind it (ADR 0010).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// A fault with evidence (a degrading trend, a band of fair or worse, trouble
    /// codes): people are alerted by its severity.
    #[default]
    Alert,
    /// Routine wear at the vehicle's normal pace: a maintenance-planning item (the
    /// weekly digest, scheduling's plans), not an alert.
    Plan,
    /// Nothing to do (an improvement, a change within normal range): recorded and
    /// shown on the dashboard only.
    Monitor,
}

impl Disposition {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alert => "alert",
            Self::Plan => "plan",
            Self::Monitor => "monitor",
        }
    }
}

/// A decision needs human review (e.g. confidence under 0.7). `agent.escalation`, v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Escalation {
    /// The decision to review.
    pub decision_id: Uuid,
    /// Organization (fleet) the vehicle belongs to: the scope of the event.
    pub org_id: String,
    /// The vehicle.
    pub vehicle_id: String,
    /// The component concerned.
    pub component: Component,
    /// The decision's severity.
    pub severity: Severity,
    /// Why a human must look, e.g. `confidence 0.55 below 0.70`.
    pub reason: String,
    /// The decision's confidence, 0..1.
    pub confidence: f64,
    /// When it was escalated.
    pub escalated_at: DateTime<Utc>,
    /// The review is overdue: nobody reviewed the decision within its urgency window,
    /// and the escalation goes up the chain like an unacknowledged alert. Absent
    /// (false) on the first escalation of a decision.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub overdue: bool,
}

impl Event for Escalation {
    const TYPE: &'static str = "agent.escalation";
    const VERSION: u32 = 1;
    fn vehicle_id(&self) -> &str {
        &self.vehicle_id
    }
}
