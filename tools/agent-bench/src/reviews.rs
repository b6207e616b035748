//! Scoring on the reviewers' labelled cases: a file of `GET /v1/reviews/cases`
//! (`agent-bench --reviews PATH`), each case decided again by the configured diagnoser
//! and compared with what the reviewer said is right.

use serde::Deserialize;
use shared_schemas::events::Severity;

use agent::domain::case::Case;
use agent::domain::review::Label;
use agent::pipeline::Agent;

/// The export of `GET /v1/reviews/cases` (pages concatenated into one `cases` list).
#[derive(Debug, Clone, Deserialize)]
pub struct LabelledSet {
    /// The cases.
    pub cases: Vec<LabelledCase>,
}

/// One reviewed case.
#[derive(Debug, Clone, Deserialize)]
pub struct LabelledCase {
    /// What the agent decided on.
    pub case: Case,
    /// The agent's severity when the case was reviewed.
    pub severity: Severity,
    /// What the reviewer said is right.
    pub label: Label,
}

/// The figures on the labelled cases.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReviewReport {
    /// Cases scored.
    pub cases: usize,
    /// Share decided at the reviewer's severity.
    pub severity_acc: f64,
    /// Share whose first action is the reviewer's first action.
    pub key_action_acc: f64,
    /// Share decided below the reviewer's severity (the dangerous miss).
    pub severity_under: f64,
    /// The same severity agreement of the decisions as they were reviewed.
    pub reviewed_severity_acc: f64,
}

/// Reads an export file.
pub fn load(path: &str) -> anyhow::Result<LabelledSet> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("reading {path}: {e}"))?;
    Ok(serde_json::from_str(&text)?)
}

fn share(n: usize, d: usize) -> f64 {
    if d == 0 { 0.0 } else { n as f64 / d as f64 }
}

/// Decides every case again and scores it against its label.
pub async fn run(set: &LabelledSet, agent: &Agent) -> ReviewReport {
    let (mut severity, mut action, mut under, mut before) = (0, 0, 0, 0);
    for c in &set.cases {
        let d = agent.decide(c.case.clone()).await;
        severity += usize::from(d.severity == c.label.severity);
        under += usize::from(d.severity < c.label.severity);
        action += usize::from(d.actions.first().map(|a| &a.id) == c.label.actions.first());
        before += usize::from(c.severity == c.label.severity);
    }
    let n = set.cases.len();
    ReviewReport {
        cases: n,
        severity_acc: share(severity, n),
        key_action_acc: share(action, n),
        severity_under: share(under, n),
        reviewed_severity_acc: share(before, n),
    }
}
