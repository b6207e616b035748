//! The human in the loop: a person reviews an escalated decision and confirms it or
//! overrides its severity, actions or diagnosis. An override is a new decision that
//! supersedes the agent's; both outcomes are kept as labelled cases (what the agent
//! said, what the reviewer says is right) for measuring agreement.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use shared_schemas::events::{CostRange, Severity};
use utoipa::ToSchema;
use uuid::Uuid;

use super::actions::{self, Action};
use super::case::Trigger;
use super::decision::Decision;
use super::severity;

/// Provider name recorded on a reviewer's decision.
pub const PROVIDER: &str = "human";
/// Model name recorded on a reviewer's decision.
pub const MODEL: &str = "review";

/// Where a review stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// Waiting for a person.
    Open,
    /// A person agreed with the agent.
    Confirmed,
    /// A person replaced the decision.
    Overridden,
}

impl ReviewStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Confirmed => "confirmed",
            Self::Overridden => "overridden",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Confirmed, Self::Overridden]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// When a review of a decision escalated at `at` with an urgency window of
/// `urgency_days` is overdue: at the end of the window (the work was to be done by
/// then), and never sooner than `floor` (a decision to act "now" still gives a person
/// that long to look).
pub fn due_at(at: DateTime<Utc>, urgency_days: u32, floor: std::time::Duration) -> DateTime<Utc> {
    let window = Duration::days(i64::from(urgency_days));
    let floor = Duration::from_std(floor).unwrap_or(Duration::MAX);
    at + window.max(floor)
}

/// What a reviewer changes; at least one of the three, and a note saying why.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// The severity the reviewer judges right (any of the four: a person is not bound
    /// by the rule band, the agent is).
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Catalog action ids, most important first (1 to 6).
    #[serde(default)]
    pub actions: Option<Vec<String>>,
    /// What is wrong, in the reviewer's words (10 to 1000 characters).
    #[serde(default)]
    pub diagnosis: Option<String>,
    /// Why (1 to 2000 characters): kept with the labelled case.
    pub note: String,
}

/// Why an override is refused; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// A field's value is not allowed.
    #[error("`{0}` {1}")]
    Field(&'static str, String),
    /// Nothing would change.
    #[error("an override changes `severity`, `actions` or `diagnosis`; use confirm to agree")]
    NothingChanged,
}

/// Checks a reviewer's note (required for overrides, optional for confirmations).
pub fn check_note(note: &str) -> Result<String, Refused> {
    let note = note.trim();
    let n = note.chars().count();
    if n == 0 || n > 2_000 {
        return Err(Refused::Field(
            "note",
            "must be 1 to 2000 characters".to_owned(),
        ));
    }
    Ok(note.to_owned())
}

impl Override {
    /// The decision replacing `original`, made at `now`; refused when a field
    /// is invalid or nothing changes.
    pub fn apply(&self, original: &Decision, now: DateTime<Utc>) -> Result<Decision, Refused> {
        let note = check_note(&self.note)?;
        let acts = match &self.actions {
            Some(ids) => Some(catalog_actions(ids)?),
            None => None,
        };
        let diagnosis = match &self.diagnosis {
            Some(d) => {
                let d = d.trim();
                if !(10..=1_000).contains(&d.chars().count()) {
                    return Err(Refused::Field(
                        "diagnosis",
                        "must be 10 to 1000 characters".to_owned(),
                    ));
                }
                Some(d.to_owned())
            }
            None => None,
        };
        let mut d = original.clone();
        if let Some(s) = self.severity {
            d.severity = s;
        }
        if let Some(a) = acts {
            d.actions = a;
        }
        if let Some(text) = diagnosis {
            d.diagnosis = text;
        }
        let same_actions = ids(&d.actions) == ids(&original.actions);
        if d.severity == original.severity && same_actions && d.diagnosis == original.diagnosis {
            return Err(Refused::NothingChanged);
        }
        Ok(superseding(original, d, &note, now))
    }
}

fn ids(acts: &[Action]) -> Vec<&str> {
    acts.iter().map(|a| a.id.as_str()).collect()
}

/// The catalog actions of `ids` (1 to 6, each in the catalog; repeats dropped).
fn catalog_actions(ids: &[String]) -> Result<Vec<Action>, Refused> {
    if ids.is_empty() || ids.len() > 6 {
        return Err(Refused::Field(
            "actions",
            "must list 1 to 6 actions".to_owned(),
        ));
    }
    let mut out: Vec<Action> = Vec::new();
    for id in ids {
        let spec = actions::get(id)
            .ok_or_else(|| Refused::Field("actions", format!("{id:?} is not a catalog action")))?;
        if !out.iter().any(|a| a.id == spec.id) {
            out.push(Action::from_spec(spec, None));
        }
    }
    Ok(out)
}

/// The trigger id of the override of `decision_id`: one override per decision.
pub fn override_trigger(decision_id: Uuid) -> Uuid {
    const NAMESPACE: Uuid = Uuid::from_u128(0x9a41_2c77_0b5e_4d1f_8e60_3f2a_71c4_d05b);
    Uuid::new_v5(&NAMESPACE, decision_id.as_bytes())
}

/// `d` (the original with the reviewer's changes) made the decision that supersedes
/// `original`: new id and trigger, the cost of its actions, the urgency of its
/// severity on the same remaining life, full confidence, not escalated, the person as
/// provider.
fn superseding(original: &Decision, mut d: Decision, note: &str, now: DateTime<Utc>) -> Decision {
    let (min, max) = actions::total(&d.actions);
    d.estimated_cost = CostRange {
        min,
        max,
        currency: original.estimated_cost.currency.clone(),
    };
    if d.severity != original.severity {
        let days = original.evidence.rul_days.unwrap_or(f64::INFINITY);
        d.urgency_days = severity::urgency_days(d.severity, days);
    }
    d.decision_id = Uuid::now_v7();
    d.trigger_event_id = override_trigger(original.decision_id);
    d.trigger = Trigger::Review;
    d.supersedes = Some(original.decision_id);
    d.confidence = 1.0;
    d.escalated = false;
    d.escalation_reason = None;
    d.reasoning = format!(
        "A person reviewed decision {} and overrode it: {note}",
        original.decision_id
    );
    d.provenance = super::decision::Provenance {
        provider: PROVIDER.to_owned(),
        model: MODEL.to_owned(),
        ..super::decision::Provenance::default()
    };
    d.decided_at = now;
    d
}

/// Whether a reviewer's outcome agrees with the agent on severity and on the key
/// (first) action: a confirmation always does; an override that only rewords the
/// diagnosis does too.
pub fn agrees(original: &Decision, replacement: Option<&Decision>) -> (bool, bool) {
    match replacement {
        None => (true, true),
        Some(r) => {
            let severity = r.severity == original.severity;
            let first = |d: &Decision| d.actions.first().map(|a| a.id.clone());
            (severity, severity && first(r) == first(original))
        }
    }
}

/// A review task, as served.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Review {
    /// The escalated decision.
    pub decision_id: Uuid,
    /// Organization.
    pub org_id: String,
    /// Vehicle.
    pub vehicle_id: String,
    /// Component.
    pub component: String,
    /// The agent's severity.
    pub severity: Severity,
    /// The agent's confidence.
    pub confidence: f64,
    /// Why it was escalated.
    pub reason: String,
    /// Where it stands.
    pub status: ReviewStatus,
    /// When it was escalated.
    pub created_at: DateTime<Utc>,
    /// Unreviewed past this instant, it escalates through the alert service.
    pub due_at: DateTime<Utc>,
    /// When the overdue escalation went out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdue_at: Option<DateTime<Utc>>,
    /// When a person reviewed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Who.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewed_by: Option<String>,
    /// Their note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The labelled case, once reviewed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<Label>,
    /// The decision that replaced it, when overridden.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<Uuid>,
}

/// What the reviewer says is right, beside the agent's decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Label {
    /// The right severity.
    pub severity: Severity,
    /// The right actions (catalog ids).
    pub actions: Vec<String>,
    /// The right diagnosis.
    pub diagnosis: String,
    /// The agent's severity was right.
    pub severity_agrees: bool,
    /// The agent's severity and key (first) action were right.
    pub agrees: bool,
}

impl Label {
    /// The label of a review of `original`: the replacement's values on an override,
    /// the agent's own on a confirmation.
    pub fn of(original: &Decision, replacement: Option<&Decision>) -> Self {
        let (severity_agrees, agrees) = agrees(original, replacement);
        let d = replacement.unwrap_or(original);
        Self {
            severity: d.severity,
            actions: d.actions.iter().map(|a| a.id.clone()).collect(),
            diagnosis: d.diagnosis.clone(),
            severity_agrees,
            agrees,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_review_is_due_at_the_end_of_the_urgency_window_and_never_sooner_than_the_floor() {
        let at = Utc::now();
        let hour = std::time::Duration::from_secs(3_600);
        assert_eq!(due_at(at, 3, hour), at + Duration::days(3));
        assert_eq!(
            due_at(at, 0, hour),
            at + Duration::hours(1),
            "act now: the floor"
        );
    }

    #[test]
    fn notes_are_required_and_bounded() {
        assert!(check_note("  ").is_err());
        assert!(check_note(&"x".repeat(2_001)).is_err());
        assert_eq!(check_note(" seen it ").unwrap(), "seen it");
    }

    #[test]
    fn override_actions_must_be_catalog_ids_one_to_six() {
        assert!(catalog_actions(&[]).is_err());
        assert!(catalog_actions(&["fix_everything".to_owned()]).is_err());
        let seven: Vec<String> = actions::CATALOG[..7]
            .iter()
            .map(|a| a.id.to_owned())
            .collect();
        assert!(catalog_actions(&seven).is_err());
        let twice = vec![
            "replace_thermostat".to_owned(),
            "replace_thermostat".to_owned(),
        ];
        assert_eq!(catalog_actions(&twice).unwrap().len(), 1, "repeats dropped");
    }

    #[test]
    fn one_override_per_decision() {
        let d = Uuid::now_v7();
        assert_eq!(override_trigger(d), override_trigger(d));
        assert_ne!(override_trigger(d), override_trigger(Uuid::now_v7()));
    }
}
