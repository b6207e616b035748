//! Committing a decision: the inbox mark (for events), the `decisions` row and the
//! `agent.decision.made` (and `agent.escalation`, with its review task) outbox rows in
//! one transaction, so a decision is recorded and announced exactly once per trigger.

use std::sync::Arc;
use std::time::Duration;

use shared_runtime::{inbox, outbox};
use shared_schemas::EventEnvelope;
use sqlx::PgPool;
use tokio::sync::Notify;

use crate::db::{decisions, reviews};
use crate::domain::decision::Decision;
use crate::domain::review;

/// Producer name on the agent's events.
pub const PRODUCER: &str = "agent";

/// What committing found.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    /// Committed and announced.
    New(Decision),
    /// A decision for this trigger already existed (a redelivery, or a concurrent
    /// replica won): it is returned and nothing was announced.
    Existing(Decision),
}

/// Records decisions.
#[derive(Debug, Clone)]
pub struct Recorder {
    pub(super) db: PgPool,
    pub(super) relay: Arc<Notify>,
    /// The shortest time a person has to review an escalated decision.
    review_floor: Duration,
}

impl Recorder {
    /// A recorder into `db`, poking the outbox relay through `relay`; a review is due
    /// at the end of its decision's urgency window, and no sooner than `review_floor`.
    pub fn new(db: PgPool, relay: Arc<Notify>, review_floor: Duration) -> Self {
        Self {
            db,
            relay,
            review_floor,
        }
    }

    /// Commits `d`; `inbox_group` marks the triggering event as applied by that consumer
    /// group in the same transaction (events; `None` for manual requests).
    pub async fn record(
        &self,
        d: Decision,
        inbox_group: Option<&str>,
        requested_by: Option<&str>,
    ) -> anyhow::Result<Recorded> {
        let mut tx = self.db.begin().await?;
        if let Some(group) = inbox_group {
            // A redelivery whose decision committed: the unique trigger below says so
            // too; the mark keeps the runtime's inbox the one record of applied events.
            inbox::first_delivery(&mut tx, group, d.trigger_event_id).await?;
        }
        if !decisions::insert(&mut tx, &d, requested_by).await? {
            tx.rollback().await?;
            let existing = decisions::by_trigger(&self.db, d.trigger_event_id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("decision of {} vanished", d.trigger_event_id))?;
            return Ok(Recorded::Existing(existing));
        }
        let mut made = EventEnvelope::new(PRODUCER, d.correlation_id, d.event());
        made.causation_id = Some(d.trigger_event_id);
        outbox::enqueue(&mut tx, &made).await?;
        if let Some(e) = d.escalation() {
            let mut esc = EventEnvelope::new(PRODUCER, d.correlation_id, e);
            esc.causation_id = Some(made.event_id);
            outbox::enqueue(&mut tx, &esc).await?;
            let due = review::due_at(d.decided_at, d.urgency_days, self.review_floor);
            reviews::insert(&mut tx, &d, due).await?;
        }
        tx.commit().await?;
        self.relay.notify_one();
        metrics::counter!("agent_events_published_total", "event_type" => "agent.decision.made")
            .increment(1);
        if d.escalated {
            metrics::counter!("agent_events_published_total", "event_type" => "agent.escalation")
                .increment(1);
        }
        Ok(Recorded::New(d))
    }
}
