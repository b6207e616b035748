//! Escalating: an open alert whose timer ran out goes one step up the chain (owner,
//! fleet manager, emergency contact, then reminders) until `max_steps`.

use chrono::{DateTime, Utc};
use serde_json::json;
use shared_runtime::outbox;
use shared_schemas::EventEnvelope;
use shared_schemas::events::AlertEscalated;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{Alerting, PRODUCER, first_step_with_recipients};
use crate::db::{alerts, contacts};
use crate::domain::alert::{Alert, Status};
use crate::domain::policy::{self, Role, step_roles};

impl Alerting {
    /// Moves every alert whose timer ran out one step up the chain; returns how many.
    pub async fn escalate_due(&self) -> anyhow::Result<usize> {
        let due = alerts::escalation_due(&self.db, 100).await?;
        let mut n = 0;
        for alert_id in due {
            if self.escalate(alert_id).await? {
                n += 1;
            }
        }
        Ok(n)
    }

    async fn escalate(&self, alert_id: Uuid) -> anyhow::Result<bool> {
        let Some((mut tx, mut a)) = self.lock_alert(alert_id).await? else {
            return Ok(false);
        };
        let now = Utc::now();
        if a.status != Status::Open || a.next_escalation_at.is_none_or(|t| t > now) {
            // Acknowledged, or moved by another replica meanwhile.
            return Ok(false);
        }
        let max = i32::try_from(self.policy.max_steps).unwrap_or(i32::MAX);
        // The next step with someone to tell; reminders (3+) always have the chain.
        let from = a.step + 1;
        let next = first_step_with_recipients(&mut tx, &a, from)
            .await?
            .unwrap_or(from.max(3));
        if next > max {
            a.next_escalation_at = None;
            a.updated_at = now;
            alerts::update(&mut tx, &a).await?;
            alerts::history(
                &mut tx,
                a.alert_id,
                "escalation_exhausted",
                json!({"step": a.step}),
            )
            .await?;
            tx.commit().await?;
            return Ok(false);
        }
        a.step = next;
        a.updated_at = now;
        a.next_escalation_at = if next >= max {
            None
        } else {
            self.delay(a.severity).map(|d| now + d)
        };
        alerts::update(&mut tx, &a).await?;
        self.plan(&mut tx, &a, next, false, now).await?;
        announce(&mut tx, &a, now).await?;
        tx.commit().await?;
        self.poke();
        metrics::counter!("alerts_escalated_total", "severity" => a.severity.as_str()).increment(1);
        Ok(true)
    }
}

/// Records `a`'s escalation to its current step in its history and the outbox
/// (`alert.escalated`).
async fn announce(tx: &mut PgConnection, a: &Alert, now: DateTime<Utc>) -> anyhow::Result<()> {
    let roles = step_roles(a.step);
    let people = contacts::recipients(tx, &a.org_id, &a.vehicle_id, roles).await?;
    let target = if roles.len() == 1 {
        roles[0]
    } else {
        Role::EmergencyContact
    };
    alerts::history(
        tx,
        a.alert_id,
        "escalated",
        json!({"step": a.step, "to": people.iter().map(|c| &c.name).collect::<Vec<_>>()}),
    )
    .await?;
    let payload = AlertEscalated {
        alert_id: a.alert_id,
        org_id: a.org_id.clone(),
        vehicle_id: a.vehicle_id.clone(),
        level: u8::try_from(a.step).unwrap_or(u8::MAX),
        target: target.target(),
        escalated_to: people
            .iter()
            .map(|c| c.contact_id.to_string())
            .collect::<Vec<_>>()
            .join(","),
        channels: policy::channels(a.severity).to_vec(),
        escalated_at: now,
    };
    let env = EventEnvelope::new(PRODUCER, a.correlation_id, payload);
    outbox::enqueue(tx, &env).await?;
    Ok(())
}
