//! A decision: what a diagnoser drafts, how a model's answer is validated into a draft,
//! and the final record with its provenance (provider, model, latency, tokens, cost).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_schemas::events::{
    Component, CostRange, DecisionMade, Disposition, Escalation, Severity, UrgencyWindow,
    WorkerAgent,
};
use utoipa::ToSchema;
use uuid::Uuid;

use super::actions::{self, Action};
use super::case::{Case, Trigger};
use super::disposition;
use super::evidence::Evidence;
use super::modes::FailureMode;
use super::orchestrator::Classification;
use super::{rules, severity};

/// Decisions under this confidence go to a human (`agent.escalation`).
pub const ESCALATION_THRESHOLD: f64 = 0.7;

/// What a diagnoser (rules or model) concludes, before provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// The failure mode.
    pub mode: FailureMode,
    /// The affected wheel (`fl`, `fr`, `rl`, `rr`) for tires and brakes, when known.
    pub wheel: Option<String>,
    /// What is wrong.
    pub diagnosis: String,
    /// Severity (within the rule bounds).
    pub severity: Severity,
    /// Action ids, most important first.
    pub actions: Vec<String>,
    /// Confidence, 0..1.
    pub confidence: f64,
    /// Why.
    pub reasoning: String,
}

/// How the decision was made.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
pub struct Provenance {
    /// Provider name (`rules` for the deterministic diagnoser).
    pub provider: String,
    /// Model name (or rule-set version).
    pub model: String,
    /// Whether the rules answered for a configured provider that failed.
    pub fallback_used: bool,
    /// Why the provider's answer was not used (`timeout`, `rate_limited`,
    /// `invalid_output: …`), when it was not.
    pub fallback_reason: Option<String>,
    /// Time to decide, ms (tools and model calls included).
    pub latency_ms: u64,
    /// Prompt tokens over every model call.
    pub tokens_in: u64,
    /// Completion tokens over every model call.
    pub tokens_out: u64,
    /// Provider cost, USD.
    pub cost_usd: f64,
    /// HTTP calls to the provider, retries included.
    pub llm_calls: u32,
    /// Tool calls made (by the model, or by the worker to complete the case).
    pub tool_calls: Vec<ToolCall>,
}

/// One tool call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ToolCall {
    /// Tool name.
    pub tool: String,
    /// Arguments as given.
    pub arguments: serde_json::Value,
    /// Whether the tool answered (a down service degrades the answer).
    pub ok: bool,
    /// Why it did not, when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Time taken, ms.
    pub latency_ms: u64,
}

/// A decision, as stored and served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Decision {
    /// The decision's id.
    pub decision_id: Uuid,
    /// The triggering event (or manual request) id.
    pub trigger_event_id: Uuid,
    /// What triggered it.
    pub trigger: Trigger,
    /// Correlation id of the flow.
    pub correlation_id: Uuid,
    /// Organization.
    pub org_id: String,
    /// Vehicle.
    pub vehicle_id: String,
    /// Component.
    pub component: Component,
    /// The worker agent that decided.
    #[schema(value_type = String, example = "powertrain")]
    pub agent: WorkerAgent,
    /// The failure mode named.
    pub failure_mode: FailureMode,
    /// The affected wheel, for tires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wheel: Option<String>,
    /// What is wrong.
    pub diagnosis: String,
    /// Severity.
    pub severity: Severity,
    /// The rule band: the floor of `severity` (a model may answer one level above).
    pub rule_severity: Severity,
    /// What it calls for: an alert, a planning item, or only this record (ADR 0010).
    #[serde(default)]
    #[schema(value_type = String, example = "alert")]
    pub disposition: Disposition,
    /// Act within this many days (0 = now).
    pub urgency_days: u32,
    /// Recommended actions, most important first, each with its cost range.
    pub actions: Vec<Action>,
    /// Sum of the actions' cost ranges.
    pub estimated_cost: CostRange,
    /// Confidence, 0..1.
    pub confidence: f64,
    /// Why.
    pub reasoning: String,
    /// Whether it went to a human (confidence under 0.7).
    pub escalated: bool,
    /// Why it was escalated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalation_reason: Option<String>,
    /// How it was made.
    #[serde(flatten)]
    pub provenance: Provenance,
    /// The health figures it was based on.
    pub evidence: Case,
    /// When the condition was detected.
    pub detected_at: DateTime<Utc>,
    /// When it was decided.
    pub decided_at: DateTime<Utc>,
    /// The decision this one replaced: a person's review overrode it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<Uuid>,
}

impl Decision {
    /// The final decision of `case` from `draft`, with provenance. Cost comes from the
    /// action catalog; urgency from the severity and the remaining life.
    pub fn new(
        case: &Case,
        class: &Classification,
        draft: Draft,
        provenance: Provenance,
        currency: &str,
    ) -> Self {
        let acts: Vec<Action> = draft
            .actions
            .iter()
            .filter_map(|id| actions::get(id))
            .map(|spec| {
                let detail = draft
                    .wheel
                    .as_deref()
                    .filter(|_| spec.id == "repair_tire_leak" || spec.id == "replace_brake_pads")
                    .map(wheel_name);
                Action::from_spec(spec, detail)
            })
            .collect();
        let (min, max) = actions::total(&acts);
        let ev = Evidence::read(&case.factors);
        let disposition = disposition::of(
            case,
            &ev,
            draft.mode,
            draft.severity,
            rules::has_supporting_codes(case, draft.mode),
        );
        // A person reviews what people are alerted about; a planning item or a record
        // is not worth their time.
        let escalated =
            draft.confidence < ESCALATION_THRESHOLD && disposition == Disposition::Alert;
        let escalation_reason = escalated.then(|| {
            format!(
                "confidence {:.2} below {ESCALATION_THRESHOLD:.2}",
                draft.confidence
            )
        });
        let days = if class.band.effective_days.is_finite() {
            class.band.effective_days
        } else {
            0.0
        };
        Self {
            decision_id: Uuid::now_v7(),
            trigger_event_id: case.trigger_event_id,
            trigger: case.trigger,
            correlation_id: case.correlation_id,
            org_id: case.org_id.clone(),
            vehicle_id: case.vehicle_id.clone(),
            component: case.component,
            agent: class.worker,
            failure_mode: draft.mode,
            wheel: draft.wheel,
            diagnosis: draft.diagnosis,
            severity: draft.severity,
            rule_severity: class.band.severity,
            disposition,
            urgency_days: match (disposition, case.rul_days) {
                (Disposition::Plan, Some(rul)) => disposition::planning_window_days(rul),
                _ => severity::urgency_days(draft.severity, days),
            },
            actions: acts,
            estimated_cost: CostRange {
                min,
                max,
                currency: currency.to_owned(),
            },
            confidence: round3(draft.confidence),
            reasoning: draft.reasoning,
            escalated,
            escalation_reason,
            provenance,
            evidence: case.clone(),
            detected_at: case.detected_at,
            decided_at: Utc::now(),
            supersedes: None,
        }
    }

    /// The `agent.decision.made` payload.
    pub fn event(&self) -> DecisionMade {
        DecisionMade {
            decision_id: self.decision_id,
            org_id: self.org_id.clone(),
            vehicle_id: self.vehicle_id.clone(),
            component: self.component,
            diagnosis: self.diagnosis.clone(),
            severity: self.severity,
            disposition: self.disposition,
            urgency: UrgencyWindow {
                within_days: self.urgency_days,
            },
            recommended_actions: self.actions.iter().map(|a| a.description.clone()).collect(),
            estimated_cost: self.estimated_cost.clone(),
            confidence: self.confidence,
            reasoning: self.reasoning.clone(),
            agent: self.agent,
            provider: self.provenance.provider.clone(),
            model: self.provenance.model.clone(),
            fallback_used: self.provenance.fallback_used,
            latency_ms: self.provenance.latency_ms,
            tokens_in: self.provenance.tokens_in,
            tokens_out: self.provenance.tokens_out,
            cost_usd: self.provenance.cost_usd,
            decided_at: self.decided_at,
            supersedes: self.supersedes,
        }
    }

    /// The `agent.escalation` payload, when escalated.
    pub fn escalation(&self) -> Option<Escalation> {
        self.escalated.then(|| Escalation {
            decision_id: self.decision_id,
            org_id: self.org_id.clone(),
            vehicle_id: self.vehicle_id.clone(),
            component: self.component,
            severity: self.severity,
            reason: self
                .escalation_reason
                .clone()
                .unwrap_or_else(|| "needs review".to_owned()),
            confidence: self.confidence,
            escalated_at: self.decided_at,
            overdue: false,
        })
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// `rl` → `rear left tire`.
pub fn wheel_name(w: &str) -> &'static str {
    match w {
        "fl" => "front left wheel",
        "fr" => "front right wheel",
        "rl" => "rear left wheel",
        "rr" => "rear right wheel",
        _ => "wheel not identified",
    }
}

/// A model's final answer, exactly as the schema of [`answer_schema`] requires.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelAnswer {
    /// Must equal the case's component.
    pub component: String,
    /// A mode of the component.
    pub failure_mode: String,
    /// What is wrong.
    pub diagnosis: String,
    /// Within the rule bounds.
    pub severity: String,
    /// Catalog action ids.
    pub recommended_actions: Vec<String>,
    /// 0..1.
    pub confidence: f64,
    /// Why.
    pub reasoning: String,
}

/// Why a model's answer was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Invalid {
    /// Not JSON, or not the schema's shape.
    #[error("not the decision schema: {0}")]
    Schema(String),
    /// A field's value is not allowed.
    #[error("{field}: {reason}")]
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The severity is outside the rule bounds.
    #[error("severity {answer} outside the allowed {lo}..={hi} (rule band {lo})")]
    SeverityOutOfBounds {
        /// What the model said.
        answer: &'static str,
        /// Lowest allowed.
        lo: &'static str,
        /// Highest allowed.
        hi: &'static str,
    },
}

impl Invalid {
    /// A short machine-readable kind for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Schema(_) => "schema",
            Self::Field { .. } => "field",
            Self::SeverityOutOfBounds { .. } => "severity_out_of_bounds",
        }
    }
}

fn field(field: &'static str, reason: impl Into<String>) -> Invalid {
    Invalid::Field {
        field,
        reason: reason.into(),
    }
}

/// Extracts the JSON object of a model's message: the whole text, or the content of a
/// single ```json fence (some local models wrap their answer). Anything else is not
/// accepted.
pub fn extract_json(text: &str) -> &str {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix("```") {
        let rest = rest.strip_prefix("json").unwrap_or(rest);
        if let Some(inner) = rest.trim_end().strip_suffix("```") {
            return inner.trim();
        }
    }
    t
}

/// Validates a model's final message against the schema and the case's bounds.
pub fn validate(text: &str, case: &Case, class: &Classification) -> Result<Draft, Invalid> {
    let answer: ModelAnswer =
        serde_json::from_str(extract_json(text)).map_err(|e| Invalid::Schema(e.to_string()))?;
    if answer.component != case.component.as_str() {
        return Err(field(
            "component",
            format!(
                "{:?} is not the case's {}",
                answer.component,
                case.component.as_str()
            ),
        ));
    }
    let mode = FailureMode::parse(&answer.failure_mode)
        .filter(|m| m.component().is_none_or(|c| c == case.component))
        .ok_or_else(|| {
            field(
                "failure_mode",
                format!(
                    "{:?} is not a mode of {}",
                    answer.failure_mode,
                    case.component.as_str()
                ),
            )
        })?;
    let diagnosis = answer.diagnosis.trim();
    if diagnosis.len() < 10 || diagnosis.len() > 1_000 {
        return Err(field("diagnosis", "must be 10 to 1000 characters"));
    }
    let reasoning = answer.reasoning.trim();
    if reasoning.len() < 10 || reasoning.len() > 4_000 {
        return Err(field("reasoning", "must be 10 to 4000 characters"));
    }
    if !(answer.confidence.is_finite() && (0.0..=1.0).contains(&answer.confidence)) {
        return Err(field("confidence", "must be a number from 0 to 1"));
    }
    let sev = severity::parse(&answer.severity).ok_or_else(|| {
        field(
            "severity",
            format!("{:?} is not low, medium, high or critical", answer.severity),
        )
    })?;
    let floor = class.band.severity;
    if !severity::within_bounds(sev, floor) {
        let (lo, hi) = severity::allowed(floor);
        return Err(Invalid::SeverityOutOfBounds {
            answer: sev.as_str(),
            lo: lo.as_str(),
            hi: hi.as_str(),
        });
    }
    if answer.recommended_actions.is_empty() || answer.recommended_actions.len() > 6 {
        return Err(field("recommended_actions", "must list 1 to 6 actions"));
    }
    let mut acts: Vec<String> = Vec::new();
    for id in &answer.recommended_actions {
        if actions::get(id).is_none() {
            return Err(field(
                "recommended_actions",
                format!("{id:?} is not a catalog action"),
            ));
        }
        if !acts.contains(id) {
            acts.push(id.clone());
        }
    }
    Ok(Draft {
        mode,
        wheel: None,
        diagnosis: diagnosis.to_owned(),
        severity: sev,
        actions: acts,
        confidence: answer.confidence,
        reasoning: reasoning.to_owned(),
    })
}

/// The JSON Schema of the model's final answer for `case` (strict: every field
/// required, no others; enums narrowed to the case's component, its modes, the
/// allowed severities and the action catalog).
pub fn answer_schema(case: &Case, class: &Classification) -> serde_json::Value {
    let (lo, hi) = severity::allowed(class.band.severity);
    let mut severities = vec![lo.as_str()];
    if hi != lo {
        severities.push(hi.as_str());
    }
    let modes: Vec<&str> = FailureMode::for_component(case.component)
        .into_iter()
        .map(FailureMode::as_str)
        .collect();
    serde_json::json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["component", "failure_mode", "diagnosis", "severity", "recommended_actions", "confidence", "reasoning"],
        "properties": {
            "component": {"type": "string", "enum": [case.component.as_str()]},
            "failure_mode": {"type": "string", "enum": modes},
            "diagnosis": {"type": "string", "description": "What is wrong, with the figures that show it (10 to 1000 characters)"},
            "severity": {"type": "string", "enum": severities},
            "recommended_actions": {"type": "array", "items": {"type": "string", "enum": actions::ids()}, "minItems": 1, "maxItems": 6},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "reasoning": {"type": "string", "description": "The evidence and how it leads to the diagnosis (10 to 4000 characters)"}
        }
    })
}
