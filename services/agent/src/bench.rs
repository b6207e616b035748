//! The quality benchmark: a labelled scenario set (generated from fleetsim degradations
//! replayed through the health engine by `examples/make-scenarios.rs`, committed as
//! `scenarios/scenarios.json`) run through the agent, scored on the component, the
//! severity (against the TRUE time to failure, with the urgency guide) and the key
//! action of the injected failure mode.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_schemas::events::{
    Component, ComponentCritical, ComponentDegraded, ComponentHealth, HealthChanged, Severity,
};
use uuid::Uuid;

use crate::agent::Agent;
use crate::domain::case::Case;
use crate::domain::decision::Decision;
use crate::domain::modes::FailureMode;
use crate::llm::LlmClient;
use crate::tools::{ComponentSnapshot, FixedHealth, Toolbox};

/// The committed scenario file.
pub const DEFAULT_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/scenarios.json");

/// Targets of the rule-based diagnoser.
pub const TARGET_COMPONENT: f64 = 0.95;
/// Severity accuracy target.
pub const TARGET_SEVERITY: f64 = 0.90;
/// 99th percentile decision time target, ms.
pub const TARGET_P99_MS: f64 = 5.0;

/// The scenario file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioSet {
    /// How it was made.
    pub generator: String,
    /// Fleet seeds replayed.
    pub seeds: Vec<u64>,
    /// The scenarios.
    pub scenarios: Vec<Scenario>,
}

/// The triggering event of a scenario, as the agent would receive it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload")]
pub enum ScenarioEvent {
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
pub struct Truth {
    /// The component of the injected mode.
    pub component: Component,
    /// The injected mode (agent vocabulary).
    pub failure_mode: FailureMode,
    /// Severity from the true time to failure at the event (urgency guide).
    pub severity: Severity,
    /// The action that repairs the mode.
    pub key_action: String,
    /// True time to failure at the event, days (negative: already failed).
    pub ttf_days: f64,
    /// The leaking wheel, for tires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wheel: Option<String>,
}

/// One labelled scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scenario {
    /// Stable id.
    pub id: String,
    /// Fleet seed.
    pub seed: u64,
    /// Simulator mode name.
    pub sim_mode: String,
    /// The event.
    pub event: ScenarioEvent,
    /// What the health service answers for the component at the event (the
    /// `get_component_health` tool), with the vehicle's daily distance.
    pub component_health: ComponentHealth,
    /// Recent distance per day, km.
    #[serde(default)]
    pub daily_km: Option<f64>,
    /// The labels.
    pub truth: Truth,
}

impl Scenario {
    /// The case the consumer would build from the event.
    pub fn case(&self) -> Case {
        let id = Uuid::nil();
        match self.event.clone() {
            ScenarioEvent::Degraded(e) => Case::degraded(id, id, e),
            ScenarioEvent::Critical(e) => Case::critical(id, id, e),
            ScenarioEvent::Changed(e) => Case::changed(id, id, e),
        }
    }

    /// When the event was detected.
    pub fn at(&self) -> DateTime<Utc> {
        match &self.event {
            ScenarioEvent::Degraded(e) => e.detected_at,
            ScenarioEvent::Critical(e) => e.detected_at,
            ScenarioEvent::Changed(e) => e.detected_at,
        }
    }
}

/// Reads a scenario file.
pub fn load(path: &str) -> anyhow::Result<ScenarioSet> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("reading {path}: {e} (generate it with make-scenarios)"))?;
    Ok(serde_json::from_str(&text)?)
}

/// One scenario's result.
#[derive(Debug, Clone)]
pub struct Scored {
    /// Scenario id.
    pub id: String,
    /// Simulator mode.
    pub sim_mode: String,
    /// Event type.
    pub event_type: &'static str,
    /// The decision.
    pub decision: Decision,
    /// Component right.
    pub component_ok: bool,
    /// Severity right.
    pub severity_ok: bool,
    /// Severity too low (the dangerous miss).
    pub severity_under: bool,
    /// Key action recommended.
    pub action_ok: bool,
    /// Failure mode right.
    pub mode_ok: bool,
    /// Time to decide, ms.
    pub ms: f64,
    /// Whether the health engine reported a degradation trend.
    pub trend: bool,
}

/// The benchmark's figures.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Scenarios run.
    pub scenarios: usize,
    /// Component accuracy.
    pub component_acc: f64,
    /// Severity accuracy.
    pub severity_acc: f64,
    /// Share whose severity was below the truth.
    pub severity_under: f64,
    /// Key action accuracy.
    pub action_acc: f64,
    /// Failure mode accuracy.
    pub mode_acc: f64,
    /// Share escalated.
    pub escalation_rate: f64,
    /// Share answered by the rules for a failing provider.
    pub fallback_rate: f64,
    /// Decision time percentiles, ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Per simulator mode: (scenarios, severity right, mode right, action right).
    pub by_mode: BTreeMap<String, (usize, usize, usize, usize)>,
    /// Per event type and whether the health engine reported a degradation trend (a
    /// dated prognosis) rather than a level alone: (scenarios, severity right).
    pub by_event: BTreeMap<(&'static str, bool), (usize, usize)>,
    /// Confusion of severities: (truth, decided) → count.
    pub confusion: BTreeMap<(Severity, Severity), usize>,
    /// Prompt and completion tokens, cost.
    pub tokens: (u64, u64, f64),
}

fn share(n: usize, d: usize) -> f64 {
    if d == 0 { 0.0 } else { n as f64 / d as f64 }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The agent the benchmark runs: the model when `llm` is given, else the rules; the
/// health tool answers from the scenarios.
pub fn agent(set: &ScenarioSet, llm: Option<LlmClient>) -> Agent {
    let mut health = FixedHealth::default();
    for s in &set.scenarios {
        health.snapshots.insert(
            (s.truth_vehicle().to_owned(), s.component_health.component),
            ComponentSnapshot {
                health: s.component_health.clone(),
                daily_km: s.daily_km,
            },
        );
    }
    Agent::new(llm, Toolbox::new(Arc::new(health), None), "USD".to_owned())
}

impl Scenario {
    fn truth_vehicle(&self) -> &str {
        match &self.event {
            ScenarioEvent::Degraded(e) => &e.vehicle_id,
            ScenarioEvent::Critical(e) => &e.vehicle_id,
            ScenarioEvent::Changed(e) => &e.vehicle_id,
        }
    }

    fn event_type(&self) -> &'static str {
        match &self.event {
            ScenarioEvent::Degraded(_) => "component.degraded",
            ScenarioEvent::Critical(_) => "component.critical",
            ScenarioEvent::Changed(_) => "vehicle.health.changed",
        }
    }
}

/// Decides every scenario (one at a time: latency is per decision) and scores it.
pub async fn run(set: &ScenarioSet, agent: &Agent) -> (Report, Vec<Scored>) {
    let mut scored = Vec::with_capacity(set.scenarios.len());
    for s in &set.scenarios {
        let case = s.case();
        let started = Instant::now();
        let decision = agent.decide(case).await;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let t = &s.truth;
        scored.push(Scored {
            id: s.id.clone(),
            sim_mode: s.sim_mode.clone(),
            event_type: s.event_type(),
            component_ok: decision.component == t.component,
            severity_ok: decision.severity == t.severity,
            severity_under: decision.severity < t.severity,
            action_ok: decision.actions.iter().any(|a| a.id == t.key_action),
            mode_ok: decision.failure_mode == t.failure_mode,
            decision,
            ms,
            trend: s
                .component_health
                .factors
                .first()
                .is_some_and(|f| f.name.ends_with("_trend_per_day")),
        });
    }
    (report(set, &scored), scored)
}

fn report(set: &ScenarioSet, scored: &[Scored]) -> Report {
    let n = scored.len();
    let count = |f: fn(&Scored) -> bool| scored.iter().filter(|s| f(s)).count();
    let mut ms: Vec<f64> = scored.iter().map(|s| s.ms).collect();
    ms.sort_by(f64::total_cmp);
    let mut by_mode: BTreeMap<String, (usize, usize, usize, usize)> = BTreeMap::new();
    let mut by_event: BTreeMap<(&'static str, bool), (usize, usize)> = BTreeMap::new();
    let mut confusion = BTreeMap::new();
    let truths: HashMap<&str, &Truth> = set
        .scenarios
        .iter()
        .map(|s| (s.id.as_str(), &s.truth))
        .collect();
    let mut tokens = (0, 0, 0.0);
    for s in scored {
        let e = by_mode.entry(s.sim_mode.clone()).or_default();
        e.0 += 1;
        e.1 += usize::from(s.severity_ok);
        e.2 += usize::from(s.mode_ok);
        e.3 += usize::from(s.action_ok);
        let e = by_event.entry((s.event_type, s.trend)).or_default();
        e.0 += 1;
        e.1 += usize::from(s.severity_ok);
        if let Some(t) = truths.get(s.id.as_str()) {
            *confusion
                .entry((t.severity, s.decision.severity))
                .or_default() += 1;
        }
        tokens.0 += s.decision.provenance.tokens_in;
        tokens.1 += s.decision.provenance.tokens_out;
        tokens.2 += s.decision.provenance.cost_usd;
    }
    Report {
        scenarios: n,
        component_acc: share(count(|s| s.component_ok), n),
        severity_acc: share(count(|s| s.severity_ok), n),
        severity_under: share(count(|s| s.severity_under), n),
        action_acc: share(count(|s| s.action_ok), n),
        mode_acc: share(count(|s| s.mode_ok), n),
        escalation_rate: share(count(|s| s.decision.escalated), n),
        fallback_rate: share(count(|s| s.decision.provenance.fallback_used), n),
        p50_ms: percentile(&ms, 0.5),
        p99_ms: percentile(&ms, 0.99),
        by_mode,
        by_event,
        confusion,
        tokens,
    }
}
