//! The notice consumers (ADR 0016): each source's events become one email notice per
//! active contact of the roles the notice names, for the vehicle. One consumer type,
//! one consumer group per source (`alert-appointments`, `alert-claims`).
//!
//! They are notices, not alerts: no alert row, no acknowledgement, no escalation, no
//! folding into a component's alert. The inbox mark and the planned notices commit in
//! one transaction (and notices are unique per event and contact), so a redelivered
//! event sends nothing again.

use std::sync::Arc;

use shared_runtime::consumer::{Handler, HandlerError};
use shared_runtime::inbox;
use shared_schemas::{Event, RawEnvelope};
use sqlx::PgPool;
use tokio::sync::Notify;

use crate::db::contacts;
use crate::db::notices::{self, NewNotice};
use crate::delivery::email_refusal;
use crate::domain::notice::NoticeContent;

/// Where notices come from: a consumer group, the event types it reads, and how an
/// event becomes a notice.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    /// The consumer group.
    pub group: &'static str,
    /// The event types it reads.
    pub event_types: &'static [&'static str],
    /// The notice an event tells (an error: the event cannot be read, permanently).
    pub decode: fn(&RawEnvelope) -> anyhow::Result<NoticeContent>,
}

/// The payload of `e`, as `P`.
pub fn payload<P: Event>(e: &RawEnvelope) -> anyhow::Result<P> {
    Ok(e.decode::<P>()?.payload)
}

/// Plans the notices of one source.
#[derive(Debug, Clone)]
pub struct NoticeConsumer {
    db: PgPool,
    source: Source,
    /// Whether email is configured (otherwise notices are recorded as `skipped`).
    email: bool,
    /// Poked after planning notices.
    sender: Arc<Notify>,
}

impl NoticeConsumer {
    /// A consumer of `source` over `db`; `sender` is poked after each commit.
    pub fn new(db: PgPool, source: Source, email: bool, sender: Arc<Notify>) -> Self {
        Self {
            db,
            source,
            email,
            sender,
        }
    }

    /// Plans the notices of `notice` (event `event`); returns how many will go, or
    /// `None` for a redelivery.
    async fn plan(
        &self,
        event: &RawEnvelope,
        notice: &NoticeContent,
    ) -> anyhow::Result<Option<usize>> {
        let mut tx = self.db.begin().await?;
        if !inbox::first_delivery(&mut tx, self.source.group, event.event_id).await? {
            return Ok(None);
        }
        let (org_id, vehicle_id) = notice.vehicle();
        let people = contacts::recipients(&mut tx, org_id, vehicle_id, notice.roles()).await?;
        if people.is_empty() {
            tracing::warn!(%org_id, %vehicle_id, event_type = %event.event_type,
                roles = ?notice.roles(), "notice has no recipient: add a contact of these roles");
        }
        let mut pending = 0;
        for c in &people {
            let reason = email_refusal(c, self.email, "notices' level");
            let status = if reason.is_some() {
                "skipped"
            } else {
                "pending"
            };
            let new = NewNotice {
                event_id: event.event_id,
                correlation_id: event.correlation_id,
                contact_id: c.contact_id,
                address: c.email.as_deref(),
                status,
                reason,
                content: notice,
            };
            if notices::insert(&mut tx, &new).await? && status == "pending" {
                pending += 1;
            }
        }
        tx.commit().await?;
        Ok(Some(pending))
    }
}

#[async_trait::async_trait]
impl Handler for NoticeConsumer {
    async fn handle(&self, event: &RawEnvelope) -> Result<(), HandlerError> {
        let notice = (self.source.decode)(event).map_err(HandlerError::permanent)?;
        let planned = self
            .plan(event, &notice)
            .await
            .map_err(HandlerError::Transient)?;
        let outcome = match planned {
            None => "duplicate",
            Some(0) => "nobody",
            Some(_) => {
                self.sender.notify_one();
                "planned"
            }
        };
        metrics::counter!("alert_events_total", "event_type" => event.event_type.clone(), "outcome" => outcome)
            .increment(1);
        Ok(())
    }

    fn handles(&self, event_type: &str) -> bool {
        self.source.event_types.contains(&event_type)
    }
}
