//! Reviews left past their window: each escalates once more, as `agent.escalation`
//! with `overdue: true`, which the alert service takes up the chain like an
//! unacknowledged alert (reopened if it was acknowledged: the review is still missing).

use std::time::Duration;

use chrono::Utc;
use shared_runtime::outbox;
use shared_schemas::EventEnvelope;
use shared_schemas::events::{Component, Escalation};
use tokio_util::sync::CancellationToken;

use super::record::{PRODUCER, Recorder};
use crate::db::{decisions, reviews};
use crate::domain::review::Review;

/// Reviews handled per transaction.
const BATCH: i64 = 100;

/// The overdue escalation of review `r` (the decision's correlation id when known).
fn overdue_escalation(r: &Review, component: Component) -> Escalation {
    Escalation {
        decision_id: r.decision_id,
        org_id: r.org_id.clone(),
        vehicle_id: r.vehicle_id.clone(),
        component,
        severity: r.severity,
        reason: format!(
            "review overdue: nobody reviewed the decision escalated at {} ({}) by {}",
            r.created_at.format("%Y-%m-%d %H:%M UTC"),
            r.reason,
            r.due_at.format("%Y-%m-%d %H:%M UTC"),
        ),
        confidence: r.confidence,
        escalated_at: Utc::now(),
        overdue: true,
    }
}

impl Recorder {
    /// Announces the overdue escalation of every open review past its due time (once
    /// each); returns how many.
    pub async fn escalate_overdue(&self) -> anyhow::Result<usize> {
        let mut tx = self.db.begin().await?;
        let now = Utc::now();
        let due = reviews::lock_overdue(&mut tx, now, BATCH).await?;
        for r in &due {
            let decision = decisions::get(&self.db, r.decision_id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("decision {} vanished", r.decision_id))?;
            let payload = overdue_escalation(r, decision.component);
            let env = EventEnvelope::new(PRODUCER, decision.correlation_id, payload);
            outbox::enqueue(&mut tx, &env).await?;
            reviews::mark_overdue(&mut tx, r.decision_id, now).await?;
        }
        tx.commit().await?;
        if !due.is_empty() {
            self.relay.notify_one();
            metrics::counter!("agent_events_published_total", "event_type" => "agent.escalation")
                .increment(due.len() as u64);
            metrics::counter!("agent_reviews_overdue_total").increment(due.len() as u64);
        }
        Ok(due.len())
    }
}

/// Escalates overdue reviews every `every` until `shutdown`.
pub async fn run(recorder: Recorder, every: Duration, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(every) => {}
        }
        match recorder.escalate_overdue().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(reviews = n, "overdue reviews escalated"),
            Err(e) => tracing::warn!(
                error = format!("{e:#}"),
                "overdue review pass failed; retrying"
            ),
        }
    }
}
