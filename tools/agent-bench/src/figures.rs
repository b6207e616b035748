//! What the agent adds to the rule decisions' figures: the failure mode and key action
//! it names, how it treats events about a component without a fault, its fallbacks,
//! escalations, time and tokens.

use std::collections::BTreeMap;

use models_training::decisions::Spread;

/// Targets of the rule-based diagnoser on faulty components.
pub const TARGET_MODE: f64 = 0.95;
/// See [`TARGET_MODE`].
pub const TARGET_ACTION: f64 = 0.95;
/// 99th percentile decision time target of the rules, ms.
pub const TARGET_P99_MS: f64 = 5.0;

/// The agent's own figures on one fleet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentFigures {
    /// Events decided.
    pub events: usize,
    /// Events about a component with a fault then, improvements aside.
    pub on_fault: usize,
    /// Improvements the engine reported on a component with a fault then.
    pub improved_on_fault: usize,
    /// Of them, the fault's failure mode named.
    pub mode_right: usize,
    /// Of them, the mode's key action recommended.
    pub action_right: usize,
    /// On a faulty component, the failure modes named wrong: (fleetsim's mode, the
    /// agent's) → count.
    pub mode_misses: BTreeMap<(String, String), usize>,
    /// Events about a component without a fault then (the engine named the wrong
    /// component, or a healthy vehicle).
    pub without_fault: usize,
    /// Of them, people alerted at medium or more.
    pub without_fault_alerted: usize,
    /// Of `without_fault`, on a vehicle with a fault on another component.
    pub other_fault: usize,
    /// Of them, people alerted at medium or more.
    pub other_fault_alerted: usize,
    /// Decisions at the severity the rules of the replay took.
    pub same_as_rules: usize,
    /// Escalated to a person (confidence under 0.7).
    pub escalated: usize,
    /// Answered by the rules for a failing model.
    pub fallback: usize,
    /// Time per decision, ms.
    pub ms: Vec<f64>,
    /// Prompt and completion tokens, cost in USD.
    pub tokens: (u64, u64, f64),
}

fn share(n: usize, d: usize) -> f64 {
    if d == 0 { 0.0 } else { n as f64 / d as f64 }
}

impl AgentFigures {
    /// Failure mode right on a faulty component.
    pub fn mode_acc(&self) -> f64 {
        share(self.mode_right, self.on_fault)
    }
    /// Key action right on a faulty component.
    pub fn action_acc(&self) -> f64 {
        share(self.action_right, self.on_fault)
    }
    /// Events about a component without a fault that alerted people.
    pub fn without_fault_alert_share(&self) -> f64 {
        share(self.without_fault_alerted, self.without_fault)
    }
    /// Answered by the rules for a failing model.
    pub fn fallback_rate(&self) -> f64 {
        share(self.fallback, self.events)
    }
    /// Decision time at quantile `q`, ms.
    pub fn ms_at(&self, q: f64) -> f64 {
        let mut ms = self.ms.clone();
        ms.sort_by(f64::total_cmp);
        if ms.is_empty() {
            return 0.0;
        }
        let rank = ((q * ms.len() as f64).ceil() as usize).clamp(1, ms.len());
        ms[rank - 1]
    }

    /// The line of one fleet.
    pub fn line(&self) -> String {
        format!(
            "agent: {} events; on a faulty component {} (failure mode right {:.3}, key action {:.3}) and {} improvements; about a component without a fault {} (alerted at medium or more {}), of them on a vehicle with another fault {} (alerted {}); severity as the replay's rules {}; escalated {}; fallback {:.3}; decision p50 {:.3} ms p99 {:.3} ms; tokens {}/{} cost {:.4} USD",
            self.events,
            self.on_fault,
            self.mode_acc(),
            self.action_acc(),
            self.improved_on_fault,
            self.without_fault,
            self.without_fault_alerted,
            self.other_fault,
            self.other_fault_alerted,
            self.same_as_rules,
            self.escalated,
            self.fallback_rate(),
            self.ms_at(0.5),
            self.ms_at(0.99),
            self.tokens.0,
            self.tokens.1,
            self.tokens.2
        )
    }
}

/// The failure modes named wrong, summed over the fleets, most frequent first.
pub fn print_mode_misses(all: &[AgentFigures]) {
    let mut misses: BTreeMap<&(String, String), usize> = BTreeMap::new();
    for f in all {
        for (pair, n) in &f.mode_misses {
            *misses.entry(pair).or_default() += n;
        }
    }
    let mut rows: Vec<_> = misses.into_iter().collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.1));
    println!(
        "all seeds: failure modes named wrong on a faulty component (fleetsim's -> the agent's):"
    );
    for ((truth, named), n) in rows {
        println!("  {truth:<24} -> {named:<26} {n}");
    }
}

/// The agent's figures over several fleets, mean ± 95 % interval.
pub fn print_spreads(all: &[AgentFigures]) {
    let spread = |f: fn(&AgentFigures) -> f64| Spread::of(&all.iter().map(f).collect::<Vec<_>>());
    println!(
        "agent over {} fleets: failure mode right {} % (target ≥ {:.0} %), key action {} % (≥ {:.0} %), events without a fault that alerted {} %, fallback {} %, decision p99 {} ms",
        all.len(),
        spread(AgentFigures::mode_acc).show(100.0, 1),
        TARGET_MODE * 100.0,
        spread(AgentFigures::action_acc).show(100.0, 1),
        TARGET_ACTION * 100.0,
        spread(AgentFigures::without_fault_alert_share).show(100.0, 1),
        spread(AgentFigures::fallback_rate).show(100.0, 1),
        spread(|f| f.ms_at(0.99)).show(1.0, 3),
    );
}
