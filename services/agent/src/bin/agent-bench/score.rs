//! The quality benchmark's scoring: every scenario of the set run through the agent,
//! scored on the component, the severity (against the TRUE time to failure, with the
//! urgency guide) and the key action of the injected failure mode.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use shared_schemas::events::{Factor, Severity};
use uuid::Uuid;

use agent::domain::case::Case;
use agent::domain::decision::Decision;
use agent::llm::LlmClient;
use agent::pipeline::Agent;
use agent::tools::{ComponentSnapshot, FixedHealth, Toolbox};

use super::scenarios::{Scenario, ScenarioEvent, ScenarioSet, Truth};

/// Targets of the rule-based diagnoser.
pub(crate) const TARGET_COMPONENT: f64 = 0.95;
/// Severity accuracy target.
pub(crate) const TARGET_SEVERITY: f64 = 0.90;
/// 99th percentile decision time target, ms.
pub(crate) const TARGET_P99_MS: f64 = 5.0;

/// Reads a scenario file.
pub(crate) fn load(path: &str) -> anyhow::Result<ScenarioSet> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("reading {path}: {e} (generate it with make-scenarios)"))?;
    Ok(serde_json::from_str(&text)?)
}

/// One scenario's result.
#[derive(Debug, Clone)]
pub(crate) struct Scored {
    /// Scenario id.
    pub(crate) id: String,
    /// Simulator mode.
    pub(crate) sim_mode: String,
    /// Event type.
    pub(crate) event_type: &'static str,
    /// The decision.
    pub(crate) decision: Decision,
    /// Component right.
    pub(crate) component_ok: bool,
    /// Severity right.
    pub(crate) severity_ok: bool,
    /// Severity too low (the dangerous miss).
    pub(crate) severity_under: bool,
    /// Key action recommended.
    pub(crate) action_ok: bool,
    /// Failure mode right.
    pub(crate) mode_ok: bool,
    /// Time to decide, ms.
    pub(crate) ms: f64,
    /// Whether the health engine reported a degradation trend.
    pub(crate) trend: bool,
}

/// The benchmark's figures.
#[derive(Debug, Clone, Default)]
pub(crate) struct Report {
    /// Scenarios run.
    pub(crate) scenarios: usize,
    /// Component accuracy.
    pub(crate) component_acc: f64,
    /// Severity accuracy.
    pub(crate) severity_acc: f64,
    /// Share whose severity was below the truth.
    pub(crate) severity_under: f64,
    /// Key action accuracy.
    pub(crate) action_acc: f64,
    /// Failure mode accuracy.
    pub(crate) mode_acc: f64,
    /// Share escalated.
    pub(crate) escalation_rate: f64,
    /// Share answered by the rules for a failing provider.
    pub(crate) fallback_rate: f64,
    /// Decision time percentiles, ms.
    pub(crate) p50_ms: f64,
    /// 99th percentile, ms.
    pub(crate) p99_ms: f64,
    /// Per simulator mode: (scenarios, severity right, mode right, action right).
    pub(crate) by_mode: BTreeMap<String, (usize, usize, usize, usize)>,
    /// Per event type and whether the health engine reported a degradation trend (a
    /// dated prognosis) rather than a level alone: (scenarios, severity right).
    pub(crate) by_event: BTreeMap<(&'static str, bool), (usize, usize)>,
    /// Confusion of severities: (truth, decided) → count.
    pub(crate) confusion: BTreeMap<(Severity, Severity), usize>,
    /// Prompt and completion tokens, cost.
    pub(crate) tokens: (u64, u64, f64),
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
pub(crate) fn agent(set: &ScenarioSet, llm: Option<LlmClient>) -> Agent {
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
    Agent::new(llm, Toolbox::new(Arc::new(health)), "USD".to_owned())
}

impl Scenario {
    /// The case the consumer would build from the event.
    pub(crate) fn case(&self) -> Case {
        let id = Uuid::nil();
        match self.event.clone() {
            ScenarioEvent::Degraded(e) => Case::degraded(id, id, e),
            ScenarioEvent::Critical(e) => Case::critical(id, id, e),
            ScenarioEvent::Changed(e) => Case::changed(id, id, e),
        }
    }

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
pub(crate) async fn run(set: &ScenarioSet, agent: &Agent) -> (Report, Vec<Scored>) {
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
                .is_some_and(Factor::is_trend),
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
