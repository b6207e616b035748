//! The appointment consumer (group `alert-appointments`): `appointment.scheduled`,
//! `appointment.cancelled` and `appointment.proposed` become one email notice per
//! active owner and fleet manager responsible for the vehicle (ADR 0016).
//!
//! They are notices, not alerts: no alert row, no acknowledgement, no escalation, no
//! folding into a component's alert. The inbox mark and the planned notices commit in
//! one transaction (and notices are unique per event and contact), so a redelivered
//! event sends nothing again. The calendar file is fetched when the email is sent.

use std::sync::Arc;

use shared_runtime::consumer::{Handler, HandlerError};
use shared_runtime::inbox;
use shared_schemas::events::{AppointmentCancelled, AppointmentProposed, AppointmentScheduled};
use shared_schemas::{Event, RawEnvelope};
use sqlx::PgPool;
use tokio::sync::Notify;

use crate::db::contacts;
use crate::db::notices::{self, NewNotice};
use crate::delivery::email_refusal;
use crate::domain::appointment::AppointmentNotice;

/// Consumer group of the alert service on the scheduling service's events.
pub const GROUP: &str = "alert-appointments";

/// The event types it reads.
pub const EVENT_TYPES: [&str; 3] = [
    AppointmentScheduled::TYPE,
    AppointmentCancelled::TYPE,
    AppointmentProposed::TYPE,
];

/// Plans appointment notices.
#[derive(Debug, Clone)]
pub struct AppointmentConsumer {
    db: PgPool,
    /// Whether email is configured (otherwise notices are recorded as `skipped`).
    email: bool,
    /// Poked after planning notices.
    sender: Arc<Notify>,
}

impl AppointmentConsumer {
    /// A consumer over `db`; `sender` is poked after each commit.
    pub fn new(db: PgPool, email: bool, sender: Arc<Notify>) -> Self {
        Self { db, email, sender }
    }

    /// Plans the notices of `notice` (event `event_id`); returns how many will go, or
    /// `None` for a redelivery.
    async fn plan(
        &self,
        event: &RawEnvelope,
        notice: &AppointmentNotice,
    ) -> anyhow::Result<Option<usize>> {
        let mut tx = self.db.begin().await?;
        if !inbox::first_delivery(&mut tx, GROUP, event.event_id).await? {
            return Ok(None);
        }
        let (org_id, vehicle_id) = notice.vehicle();
        let people = contacts::recipients(&mut tx, org_id, vehicle_id, notice.roles()).await?;
        if people.is_empty() {
            tracing::warn!(%org_id, %vehicle_id, event_type = %event.event_type,
                "appointment notice has no recipient: add an owner or fleet manager contact");
        }
        let mut pending = 0;
        for c in &people {
            let reason = email_refusal(c, self.email, "appointment notices' level");
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

/// The notice an event tells.
fn notice_of(e: &RawEnvelope) -> Result<AppointmentNotice, HandlerError> {
    let notice = match e.event_type.as_str() {
        AppointmentScheduled::TYPE => AppointmentNotice::Scheduled(
            e.decode::<AppointmentScheduled>()
                .map_err(HandlerError::permanent)?
                .payload,
        ),
        AppointmentCancelled::TYPE => AppointmentNotice::Cancelled(
            e.decode::<AppointmentCancelled>()
                .map_err(HandlerError::permanent)?
                .payload,
        ),
        AppointmentProposed::TYPE => AppointmentNotice::Proposed(
            e.decode::<AppointmentProposed>()
                .map_err(HandlerError::permanent)?
                .payload,
        ),
        other => {
            return Err(HandlerError::permanent(anyhow::anyhow!(
                "unexpected event type {other}"
            )));
        }
    };
    Ok(notice)
}

#[async_trait::async_trait]
impl Handler for AppointmentConsumer {
    async fn handle(&self, event: &RawEnvelope) -> Result<(), HandlerError> {
        let notice = notice_of(event)?;
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
        EVENT_TYPES.contains(&event_type)
    }
}
