//! Acknowledging (escalation stops) and resolving (closed for good); either cancels
//! the messages not sent yet.

use chrono::Utc;
use serde_json::json;
use shared_runtime::outbox;
use shared_schemas::EventEnvelope;
use shared_schemas::events::{AckVia, AlertAcknowledged, AlertResolved};
use uuid::Uuid;

use super::{Alerting, PRODUCER};
use crate::db::{alerts, deliveries};
use crate::domain::alert::{Alert, Status};

/// The outcome of an acknowledgement or resolution.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Done now.
    Done(Alert),
    /// It already was (acknowledged, or resolved).
    Already(Alert),
    /// Not possible in its state (acknowledging a resolved alert).
    Conflict(Alert),
    /// No such alert.
    Missing,
}

impl Alerting {
    /// Acknowledges: escalation stops, unsent messages are cancelled.
    pub async fn acknowledge(
        &self,
        alert_id: Uuid,
        by: &str,
        via: AckVia,
    ) -> anyhow::Result<Outcome> {
        let Some((mut tx, mut a)) = self.lock_alert(alert_id).await? else {
            return Ok(Outcome::Missing);
        };
        match a.status {
            Status::Acknowledged => return Ok(Outcome::Already(a)),
            Status::Resolved => return Ok(Outcome::Conflict(a)),
            Status::Open => {}
        }
        let now = Utc::now();
        a.status = Status::Acknowledged;
        a.acknowledged_at = Some(now);
        a.acknowledged_by = Some(by.to_owned());
        a.ack_via = Some(via);
        a.next_escalation_at = None;
        a.updated_at = now;
        alerts::update(&mut tx, &a).await?;
        let cancelled =
            deliveries::cancel_pending(&mut tx, alert_id, "acknowledged before it was sent")
                .await?;
        alerts::history(
            &mut tx,
            alert_id,
            "acknowledged",
            json!({"by": by, "via": via, "cancelled_deliveries": cancelled}),
        )
        .await?;
        let payload = AlertAcknowledged {
            alert_id,
            org_id: a.org_id.clone(),
            vehicle_id: a.vehicle_id.clone(),
            acknowledged_by: by.to_owned(),
            via,
            acknowledged_at: now,
        };
        outbox::enqueue(
            &mut tx,
            &EventEnvelope::new(PRODUCER, a.correlation_id, payload),
        )
        .await?;
        tx.commit().await?;
        self.relay.notify_one();
        metrics::counter!("alerts_acknowledged_total", "via" => match via { AckVia::Rest => "rest", AckVia::Link => "link" })
            .increment(1);
        metrics::histogram!("alert_time_to_acknowledge_seconds")
            .record((now - a.created_at).num_milliseconds() as f64 / 1000.0);
        Ok(Outcome::Done(a))
    }

    /// Resolves: closed for good; unsent messages are cancelled. `by` is `None` when
    /// automatic; `cause` (event id, correlation id) is the event that resolved it.
    pub async fn resolve(
        &self,
        alert_id: Uuid,
        by: Option<&str>,
        resolution: &str,
        cause: Option<(Uuid, Uuid)>,
    ) -> anyhow::Result<Outcome> {
        let Some((mut tx, mut a)) = self.lock_alert(alert_id).await? else {
            return Ok(Outcome::Missing);
        };
        if a.status == Status::Resolved {
            return Ok(Outcome::Already(a));
        }
        let now = Utc::now();
        a.status = Status::Resolved;
        a.resolved_at = Some(now);
        a.resolved_by = by.map(str::to_owned);
        a.resolution = Some(resolution.to_owned());
        a.next_escalation_at = None;
        a.updated_at = now;
        alerts::update(&mut tx, &a).await?;
        deliveries::cancel_pending(&mut tx, alert_id, "resolved before it was sent").await?;
        alerts::history(
            &mut tx,
            alert_id,
            "resolved",
            json!({"by": by, "resolution": resolution}),
        )
        .await?;
        let payload = AlertResolved {
            alert_id,
            org_id: a.org_id.clone(),
            vehicle_id: a.vehicle_id.clone(),
            resolved_by: by.map(str::to_owned),
            resolution: resolution.to_owned(),
            resolved_at: now,
        };
        let mut env = EventEnvelope::new(PRODUCER, a.correlation_id, payload);
        if let Some((event_id, correlation)) = cause {
            env.causation_id = Some(event_id);
            env.correlation_id = correlation;
        }
        outbox::enqueue(&mut tx, &env).await?;
        tx.commit().await?;
        self.relay.notify_one();
        metrics::counter!("alerts_resolved_total").increment(1);
        Ok(Outcome::Done(a))
    }
}
