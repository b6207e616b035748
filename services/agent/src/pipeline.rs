//! Deciding a case: complete it with the health tool when it lacks factors, classify
//! and route it (master orchestrator), let the worker's model decide with tools when a
//! provider is configured, and fall back to the rule-based diagnoser when there is none
//! or it fails, times out or answers something that does not validate. Always returns
//! a decision.

use std::time::Instant;

use crate::domain::decision::{Decision, Provenance};
use crate::domain::modes::FailureMode;
use crate::domain::{Case, orchestrator, rules};
use crate::llm::LlmClient;
use crate::tools::Toolbox;

/// The decision maker.
#[derive(Debug, Clone)]
pub struct Agent {
    llm: Option<LlmClient>,
    tools: Toolbox,
    currency: String,
}

impl Agent {
    /// An agent deciding with `llm` when given, through `tools`.
    pub fn new(llm: Option<LlmClient>, tools: Toolbox, currency: String) -> Self {
        Self {
            llm,
            tools,
            currency,
        }
    }

    /// The provider client, when configured.
    pub fn llm(&self) -> Option<&LlmClient> {
        self.llm.as_ref()
    }

    /// The tools.
    pub fn tools(&self) -> &Toolbox {
        &self.tools
    }

    /// Decides `case`.
    pub async fn decide(&self, mut case: Case) -> Decision {
        let started = Instant::now();
        let mut tool_calls = Vec::new();
        if let Some(call) = self.tools.complete(&mut case).await {
            tool_calls.push(call);
        }
        let class = orchestrator::classify(&case);
        let rules_draft = rules::diagnose(&case, &class);
        let (draft, mut provenance) = match &self.llm {
            None => (
                rules_draft,
                Provenance {
                    provider: rules::PROVIDER.to_owned(),
                    model: rules::VERSION.to_owned(),
                    ..Provenance::default()
                },
            ),
            Some(llm) => {
                let outcome = llm.decide(&case, &class, &self.tools).await;
                tool_calls.extend(outcome.tool_calls);
                let mut p = Provenance {
                    provider: llm.provider().to_owned(),
                    model: llm.model().to_owned(),
                    tokens_in: outcome.usage.tokens_in,
                    tokens_out: outcome.usage.tokens_out,
                    cost_usd: outcome.usage.cost_usd,
                    llm_calls: outcome.usage.calls,
                    ..Provenance::default()
                };
                match outcome.result {
                    Ok(mut draft) => {
                        // The model does not name the wheel; the rules read it from the
                        // factors.
                        draft.wheel.clone_from(&rules_draft.wheel);
                        // Normal wear is what the health engine measured, not an
                        // opinion: a model calling it abnormal is overruled, wording
                        // included, so no message claims more than the evidence.
                        if rules_draft.mode == FailureMode::RoutineBrakeWear {
                            draft.mode = rules_draft.mode;
                            draft.diagnosis.clone_from(&rules_draft.diagnosis);
                            draft.actions.clone_from(&rules_draft.actions);
                        }
                        (draft, p)
                    }
                    Err(f) => {
                        tracing::warn!(
                            vehicle_id = %case.vehicle_id,
                            component = case.component.as_str(),
                            reason = %f,
                            "model did not decide; the rules answer"
                        );
                        p.fallback_used = true;
                        p.fallback_reason = Some(f.to_string());
                        (rules_draft, p)
                    }
                }
            }
        };
        provenance.tool_calls = tool_calls;
        provenance.latency_ms = started.elapsed().as_millis() as u64;
        let decision = Decision::new(&case, &class, draft, provenance, &self.currency);
        metrics::counter!(
            "agent_decisions_total",
            "agent" => orchestrator::worker_name(decision.agent),
            "provider" => decision.provenance.provider.clone(),
            "fallback" => decision.provenance.fallback_used.to_string(),
            "severity" => decision.severity.as_str()
        )
        .increment(1);
        metrics::histogram!("agent_decision_seconds").record(started.elapsed().as_secs_f64());
        decision
    }
}
