//! Committing a person's review: the review closes as a labelled case, and an override
//! is recorded as a new decision superseding the agent's and announced as
//! `agent.decision.made` (with `supersedes`), all in one transaction, once.

use shared_runtime::outbox;
use shared_schemas::EventEnvelope;

use super::record::{PRODUCER, Recorder};
use crate::db::{decisions, reviews};
use crate::domain::decision::Decision;
use crate::domain::review::{Review, ReviewStatus};

/// What committing a review found.
#[derive(Debug, Clone, PartialEq)]
pub enum Reviewed {
    /// Closed now (with the replacing decision on an override).
    Done(Review, Option<Box<Decision>>),
    /// Somebody reviewed it already.
    NotOpen(Review),
    /// No review of that decision.
    Missing,
}

impl Recorder {
    /// Closes the review of `original` by `by`: confirmed when `replacement` is `None`,
    /// otherwise overridden by `replacement` (recorded and announced).
    pub async fn review(
        &self,
        original: &Decision,
        replacement: Option<Decision>,
        by: &str,
        note: Option<&str>,
    ) -> anyhow::Result<Reviewed> {
        let id = original.decision_id;
        let mut tx = self.db.begin().await?;
        let Some(open) = reviews::lock(&mut tx, id).await? else {
            return Ok(Reviewed::Missing);
        };
        if open.status != ReviewStatus::Open {
            return Ok(Reviewed::NotOpen(open));
        }
        if let Some(d) = &replacement {
            if !decisions::insert(&mut tx, d, Some(by)).await? {
                anyhow::bail!("decision {id} was overridden already");
            }
            // The flow of the original (its correlation id); a person's request caused
            // it, not an event.
            let made = EventEnvelope::new(PRODUCER, original.correlation_id, d.event());
            outbox::enqueue(&mut tx, &made).await?;
        }
        reviews::complete(&mut tx, original, replacement.as_ref(), by, note).await?;
        tx.commit().await?;
        let outcome = if replacement.is_some() {
            self.relay.notify_one();
            metrics::counter!("agent_events_published_total", "event_type" => "agent.decision.made")
                .increment(1);
            "overridden"
        } else {
            "confirmed"
        };
        metrics::counter!("agent_reviews_total", "outcome" => outcome).increment(1);
        let review = reviews::get(&self.db, id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("review of {id} vanished"))?;
        Ok(Reviewed::Done(review, replacement.map(Box::new)))
    }
}
