//! The agent deciding on a replayed fleet's events, one at a time, as its consumer
//! would: each decision takes the place of the rule decision the replay recorded, so
//! the fleet scores with the same figures as the rules.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use agent::domain::case::Case;
use agent::domain::decision::Decision as AgentDecision;
use agent::llm::LlmClient;
use agent::pipeline::Agent;
use agent::tools::{ComponentSnapshot, FixedHealth, Toolbox};
use models_training::decisions::{DecidedEvent, Decision, HealthEvent, VehicleReplay};
use shared_schemas::events::{Disposition, Severity};
use uuid::Uuid;

use crate::figures::AgentFigures;
use crate::modes::agent_mode;
use crate::set::Fleet;

const DAY: i64 = 86_400;

/// The case the agent's consumer builds from the event.
pub fn case_of(event: &HealthEvent) -> Case {
    let id = Uuid::nil();
    match event.clone() {
        HealthEvent::Degraded(e) => Case::degraded(id, id, e),
        HealthEvent::Critical(e) => Case::critical(id, id, e),
        HealthEvent::Changed(e) => Case::changed(id, id, e),
    }
}

/// The agent of one event: the model when `llm` is given, else the rules; its health
/// tool answers what the health service said of the component at the event.
fn agent_at(llm: Option<&LlmClient>, vehicle_id: &str, e: &DecidedEvent) -> Agent {
    let snapshot = ComponentSnapshot {
        health: e.health.clone(),
        daily_km: e.daily_km,
    };
    let health = FixedHealth {
        snapshots: HashMap::from([((vehicle_id.to_owned(), e.health.component), snapshot)]),
    };
    Agent::new(
        llm.cloned(),
        Toolbox::new(Arc::new(health)),
        "USD".to_owned(),
    )
}

/// The agent's decision as the fleet's figures score it: its severity, its deadline
/// (the urgency window from the event), a warning unless it only records the event.
/// The interval deadline and whether a part was past its limit are the evidence's,
/// kept from the rules' record.
fn scored(d: &AgentDecision, rules: &Decision) -> Decision {
    Decision {
        severity: d.severity,
        act_by: rules.at + i64::from(d.urgency_days) * DAY,
        warns: d.disposition != Disposition::Monitor,
        ..*rules
    }
}

/// The fleet with the agent's decisions in place of the rules', and what the agent
/// got right beside them. Decides one event at a time: the latency is per decision.
pub async fn decide_fleet(fleet: &Fleet, llm: Option<&LlmClient>) -> (Fleet, AgentFigures) {
    let mut out = fleet.clone();
    let mut figures = AgentFigures::default();
    for v in &mut out.vehicles {
        for i in 0..v.events.len() {
            let rules = v.decisions[i];
            let agent = agent_at(llm, &v.vehicle_id, &v.events[i]);
            let started = Instant::now();
            let case = case_of(&v.events[i].event);
            let improved = case.improved();
            let d = agent.decide(case).await;
            figures.ms.push(started.elapsed().as_secs_f64() * 1000.0);
            tally(&mut figures, v, &rules, &d, improved);
            v.decisions[i] = scored(&d, &rules);
        }
    }
    (out, figures)
}

/// Counts decision `d` of vehicle `v` (taken where the rules took `rules`, on an
/// improvement when `improved`).
fn tally(
    f: &mut AgentFigures,
    v: &VehicleReplay,
    rules: &Decision,
    d: &AgentDecision,
    improved: bool,
) {
    f.events += 1;
    f.same_as_rules += usize::from(d.severity == rules.severity);
    f.escalated += usize::from(d.escalated);
    f.fallback += usize::from(d.provenance.fallback_used);
    f.tokens.0 += d.provenance.tokens_in;
    f.tokens.1 += d.provenance.tokens_out;
    f.tokens.2 += d.provenance.cost_usd;
    let alerted = d.disposition == Disposition::Alert && d.severity >= Severity::Medium;
    match v.fault_at(rules.component, rules.at) {
        // An improvement names no failure mode: nothing to score it on.
        Some(_) if improved => f.improved_on_fault += 1,
        Some(fault) => {
            f.on_fault += 1;
            let truth = agent_mode(&fault.mode);
            if truth == Some(d.failure_mode) {
                f.mode_right += 1;
            } else {
                let pair = (fault.mode.clone(), d.failure_mode.as_str().to_owned());
                *f.mode_misses.entry(pair).or_default() += 1;
            }
            f.action_right += usize::from(
                truth.is_some_and(|m| d.actions.iter().any(|a| a.id == m.key_action())),
            );
        }
        None => {
            f.without_fault += 1;
            f.without_fault_alerted += usize::from(alerted);
            if v.faults.iter().any(|x| x.active_at(rules.at)) {
                f.other_fault += 1;
                f.other_fault_alerted += usize::from(alerted);
            }
        }
    }
}
