//! The alert life cycle: folding events into alerts, planning deliveries, escalating,
//! acknowledging, resolving. Every change commits in one transaction with its outbox
//! events (`alert.created/acknowledged/escalated/resolved`) and its planned deliveries,
//! under the vehicle's advisory lock (see [`crate::db::lock_vehicle`]). A decision's
//! change to its maintenance-planning item commits in the same transaction.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use shared_runtime::{inbox, outbox};
use shared_schemas::events::{
    AckVia, AlertAcknowledged, AlertCreated, AlertEscalated, AlertKind, AlertResolved,
    AlertSeverity, Channel, Component,
};
use shared_schemas::{Event, EventEnvelope};
use sqlx::{PgConnection, PgPool};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::db::deliveries::NewDelivery;
use crate::db::{self, alerts, contacts, deliveries, planning};
use crate::domain::alert::{Alert, Diagnosis, Status};
use crate::domain::contact::Contact;
use crate::domain::planning::PlanningItem;
use crate::domain::policy::{self, PERSONAL_CHANNELS, Role, rank, step_roles};

/// Producer name on the alert service's events.
pub const PRODUCER: &str = "alert";

/// Subject of staleness alerts.
pub const STALENESS: &str = "staleness";

/// An event to fold into alerts.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The event (inbox key; causation of what it produces).
    pub event_id: Uuid,
    /// Its correlation id.
    pub correlation_id: Uuid,
    /// Organization.
    pub org_id: String,
    /// Vehicle.
    pub vehicle_id: String,
    /// Component name or `staleness`.
    pub subject: String,
    /// The component.
    pub component: Option<Component>,
    /// What it is.
    pub kind: AlertKind,
    /// Its severity.
    pub severity: AlertSeverity,
    /// Title for a new alert (or a newer diagnosis).
    pub title: String,
    /// Summary.
    pub message: String,
    /// The agent's diagnosis, from a decision.
    pub diagnosis: Option<Diagnosis>,
    /// A human must review the decision (agent.escalation).
    pub review: Option<String>,
    /// Messages wait for the agent's diagnosis (`component.critical` before it).
    pub wait_for_diagnosis: bool,
    /// Whether it may open a new alert (only an `alert` decision recommending work may).
    /// When not, it still folds into an unresolved alert (an occurrence) but never
    /// raises its severity, replaces its diagnosis or plans a message.
    pub may_open: bool,
    /// What a decision does to the vehicle component's maintenance-planning item.
    pub planning: Option<PlanningChange>,
}

/// What a decision does to its vehicle component's maintenance-planning item, by its
/// disposition.
#[derive(Debug, Clone)]
pub enum PlanningChange {
    /// `plan` (routine wear at the normal pace): the item is created or replaced.
    Upsert(Box<PlanningItem>),
    /// `alert` (superseded by a fault) or `monitor` (nothing to do any more), decided at
    /// this time: the item goes, unless a later decision made it.
    Remove(DateTime<Utc>),
}

/// What folding did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folded {
    /// The event was applied before (a redelivery).
    Duplicate,
    /// Nothing to alert about.
    Ignored,
    /// A new alert.
    Created(Uuid),
    /// Folded into an unresolved alert; `raised` when its severity went up.
    Updated {
        /// The alert.
        alert_id: Uuid,
        /// Severity went up (new messages at the new severity).
        raised: bool,
    },
}

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

/// Escalation and delivery settings the life cycle needs.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Unacknowledged time per severity before the next step.
    pub delays: std::collections::BTreeMap<AlertSeverity, Duration>,
    /// Steps after the first notice.
    pub max_steps: u32,
    /// How long messages wait for the diagnosis.
    pub decision_wait: Duration,
    /// Messages per recipient, vehicle, channel and 24 h.
    pub rate_limits: HashMap<Channel, u32>,
    /// Channels that can send (configured); others are `skipped`.
    pub configured: Vec<Channel>,
}

/// The life cycle.
#[derive(Debug, Clone)]
pub struct Alerting {
    db: PgPool,
    policy: Arc<Policy>,
    /// Poked after a commit that planned deliveries.
    sender: Arc<Notify>,
    /// Poked after a commit that wrote outbox rows.
    relay: Arc<Notify>,
}

fn chrono_of(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl Alerting {
    /// The life cycle over `db`.
    pub fn new(db: PgPool, policy: Policy, sender: Arc<Notify>, relay: Arc<Notify>) -> Self {
        Self {
            db,
            policy: Arc::new(policy),
            sender,
            relay,
        }
    }

    /// The database.
    pub fn db(&self) -> &PgPool {
        &self.db
    }

    fn delay(&self, s: AlertSeverity) -> Option<chrono::Duration> {
        self.policy.delays.get(&s).copied().map(chrono_of)
    }

    fn poke(&self) {
        self.sender.notify_one();
        self.relay.notify_one();
    }

    /// Folds `e` into the vehicle's unresolved alert on its subject, or opens one;
    /// `inbox_group` marks the event applied in the same transaction.
    pub async fn fold(&self, e: &Incoming, inbox_group: Option<&str>) -> anyhow::Result<Folded> {
        let mut tx = self.db.begin().await?;
        db::lock_vehicle(&mut tx, &e.vehicle_id).await?;
        if let Some(group) = inbox_group
            && !inbox::first_delivery(&mut tx, group, e.event_id).await?
        {
            tx.commit().await?;
            return Ok(Folded::Duplicate);
        }
        if let Some(change) = &e.planning {
            apply_planning(&mut tx, e, change).await?;
        }
        let now = Utc::now();
        let existing = alerts::lock_active(&mut tx, &e.org_id, &e.vehicle_id, &e.subject).await?;
        let folded = match existing {
            None if !e.may_open => Folded::Ignored,
            None => self.open(&mut tx, e, now).await?,
            Some(a) => self.update(&mut tx, a, e, now).await?,
        };
        tx.commit().await?;
        if !matches!(folded, Folded::Ignored | Folded::Duplicate) {
            self.poke();
        }
        Ok(folded)
    }

    async fn open(
        &self,
        tx: &mut PgConnection,
        e: &Incoming,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Folded> {
        let mut a = Alert {
            alert_id: Uuid::now_v7(),
            org_id: e.org_id.clone(),
            vehicle_id: e.vehicle_id.clone(),
            subject: e.subject.clone(),
            component: e.component,
            kind: e.kind,
            severity: e.severity,
            status: Status::Open,
            title: e.title.clone(),
            message: e.message.clone(),
            diagnosis: e.diagnosis.clone().unwrap_or_default(),
            needs_review: e.review.is_some(),
            review_reason: e.review.clone(),
            occurrences: 1,
            step: 0,
            next_escalation_at: None,
            correlation_id: e.correlation_id,
            created_at: now,
            updated_at: now,
            acknowledged_at: None,
            acknowledged_by: None,
            ack_via: None,
            resolved_at: None,
            resolved_by: None,
            resolution: None,
        };
        // The first step whose roles have someone for this vehicle.
        for step in 0..3 {
            if !contacts::recipients(tx, &a.org_id, &a.vehicle_id, step_roles(step))
                .await?
                .is_empty()
            {
                a.step = step;
                break;
            }
        }
        a.next_escalation_at = self.delay(a.severity).map(|d| now + d);
        alerts::insert(tx, &a).await?;
        alerts::history(
            tx,
            a.alert_id,
            "created",
            json!({"event_id": e.event_id, "kind": e.kind, "severity": a.severity, "step": a.step}),
        )
        .await?;
        let planned = self.plan(tx, &a, a.step, e.wait_for_diagnosis, now).await?;
        if planned == 0 {
            tracing::warn!(alert_id = %a.alert_id, vehicle_id = %a.vehicle_id, org_id = %a.org_id,
                "alert has no recipient: add contacts for the organization");
            metrics::counter!("alert_without_recipients_total").increment(1);
        }
        let created = AlertCreated {
            alert_id: a.alert_id,
            org_id: a.org_id.clone(),
            vehicle_id: a.vehicle_id.clone(),
            kind: a.kind,
            component: a.component,
            severity: a.severity,
            title: a.title.clone(),
            message: a.message.clone(),
            channels: policy::channels(a.severity).to_vec(),
            decision_id: a.diagnosis.decision_id,
            created_at: now,
        };
        enqueue(tx, created, e).await?;
        metrics::counter!("alerts_created_total", "severity" => a.severity.as_str()).increment(1);
        Ok(Folded::Created(a.alert_id))
    }

    async fn update(
        &self,
        tx: &mut PgConnection,
        mut a: Alert,
        e: &Incoming,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Folded> {
        a.occurrences += 1;
        a.updated_at = now;
        let raised = e.severity > a.severity && e.may_open;
        let mut detail = json!({"event_id": e.event_id, "kind": e.kind, "severity": e.severity});
        let had_diagnosis = a.diagnosis.decision_id.is_some();
        if let Some(d) = &e.diagnosis
            && e.may_open
        {
            a.diagnosis = d.clone();
            a.title.clone_from(&e.title);
            a.message.clone_from(&e.message);
        }
        let mut new_review = false;
        if let Some(reason) = &e.review
            && !a.needs_review
        {
            a.needs_review = true;
            a.review_reason = Some(reason.clone());
            new_review = true;
        }
        let mut what = "folded";
        if raised {
            what = "upgraded";
            detail["from"] = json!(a.severity);
            a.severity = e.severity;
            a.correlation_id = e.correlation_id;
            let delay = self.delay(a.severity);
            match a.status {
                Status::Acknowledged => {
                    // Worse than what was acknowledged: open again, timers restart.
                    what = "reopened";
                    a.status = Status::Open;
                    a.acknowledged_at = None;
                    a.acknowledged_by = None;
                    a.ack_via = None;
                    a.next_escalation_at = delay.map(|d| now + d);
                }
                _ => {
                    // Never later than the timer already running.
                    a.next_escalation_at = match (a.next_escalation_at, delay) {
                        (Some(t), Some(d)) => Some(t.min(now + d)),
                        (None, Some(d)) => Some(now + d),
                        (t, None) => t,
                    };
                }
            }
            deliveries::supersede_below(tx, a.alert_id, rank(a.severity)).await?;
        }
        alerts::update(tx, &a).await?;
        alerts::history(tx, a.alert_id, what, detail).await?;
        if raised {
            self.plan(
                tx,
                &a,
                a.step,
                e.wait_for_diagnosis && a.diagnosis.decision_id.is_none(),
                now,
            )
            .await?;
        }
        if new_review && a.status == Status::Open {
            alerts::history(tx, a.alert_id, "review", json!({"reason": a.review_reason})).await?;
            // The fleet manager reviews low-confidence decisions.
            self.plan_roles(tx, &a, a.step, &[Role::FleetManager], false, now)
                .await?;
        }
        if !had_diagnosis && a.diagnosis.decision_id.is_some() {
            deliveries::release_decision_hold(tx, a.alert_id).await?;
        }
        metrics::counter!("alerts_folded_total", "outcome" => what).increment(1);
        Ok(Folded::Updated {
            alert_id: a.alert_id,
            raised,
        })
    }

    /// Plans step `step` of `a` at its severity; returns the deliveries planned.
    async fn plan(
        &self,
        tx: &mut PgConnection,
        a: &Alert,
        step: i32,
        wait: bool,
        now: DateTime<Utc>,
    ) -> anyhow::Result<usize> {
        let mut n = self
            .plan_roles(tx, a, step, step_roles(step), wait, now)
            .await?;
        if a.needs_review && step == 0 {
            n += self
                .plan_roles(tx, a, step, &[Role::FleetManager], wait, now)
                .await?;
        }
        Ok(n)
    }

    async fn plan_roles(
        &self,
        tx: &mut PgConnection,
        a: &Alert,
        step: i32,
        roles: &[Role],
        wait: bool,
        now: DateTime<Utc>,
    ) -> anyhow::Result<usize> {
        let people = contacts::recipients(tx, &a.org_id, &a.vehicle_id, roles).await?;
        let mut planned = 0;
        for c in &people {
            for channel in PERSONAL_CHANNELS {
                if !policy::channels(a.severity).contains(&channel)
                    && !c.preferences.wants(channel, a.severity)
                {
                    continue;
                }
                let d = self.decide(tx, a, c, channel, wait, now).await?;
                let new = NewDelivery {
                    alert_id: a.alert_id,
                    contact_id: c.contact_id,
                    channel: channel.as_str(),
                    step,
                    severity: (a.severity.as_str(), rank(a.severity)),
                    org_id: &a.org_id,
                    vehicle_id: &a.vehicle_id,
                    address: c.address(channel),
                    status: d.status,
                    held: d.held,
                    reason: d.reason,
                    due_at: d.due_at,
                    correlation_id: a.correlation_id,
                };
                if deliveries::insert(tx, &new).await? {
                    metrics::counter!("deliveries_planned_total", "channel" => channel.as_str(), "status" => d.status)
                        .increment(1);
                    if d.status == "pending" {
                        planned += 1;
                    }
                }
            }
        }
        Ok(planned)
    }

    /// Whether and when one message goes: preferences, address, configuration, rate
    /// limit, quiet hours, waiting for the diagnosis.
    async fn decide(
        &self,
        tx: &mut PgConnection,
        a: &Alert,
        c: &Contact,
        channel: Channel,
        wait: bool,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Decision> {
        let sev = a.severity;
        let not = |status: &'static str, reason: String| Decision {
            status,
            held: None,
            reason: Some(reason),
            due_at: now,
        };
        if !c.preferences.wants(channel, sev) {
            return Ok(not(
                "suppressed",
                format!(
                    "{}'s preferences: no {} for {} alerts",
                    c.name,
                    channel.as_str(),
                    sev.as_str()
                ),
            ));
        }
        if c.address(channel).is_none() {
            return Ok(not(
                "skipped",
                format!("{} has no {} address", c.name, channel.as_str()),
            ));
        }
        if !self.policy.configured.contains(&channel) {
            return Ok(not(
                "skipped",
                format!(
                    "the {} channel is not configured on this service",
                    channel.as_str()
                ),
            ));
        }
        if sev < AlertSeverity::Emergency
            && let Some(&limit) = self.policy.rate_limits.get(&channel)
        {
            let used =
                deliveries::recent_count(tx, &a.vehicle_id, c.contact_id, channel.as_str()).await?;
            if used >= i64::from(limit) {
                return Ok(not(
                    "rate_limited",
                    format!(
                        "{used} {} messages to {} about {} in the last 24 h (limit {limit})",
                        channel.as_str(),
                        c.name,
                        a.vehicle_id
                    ),
                ));
            }
        }
        if let Some(until) = c.preferences.held_until(channel, sev, now) {
            return Ok(Decision {
                status: "pending",
                held: Some("quiet_hours"),
                reason: Some(format!("{}'s quiet hours", c.name)),
                due_at: until,
            });
        }
        if wait {
            return Ok(Decision {
                status: "pending",
                held: Some("decision"),
                reason: Some("waiting for the agent's diagnosis".to_owned()),
                due_at: now + chrono_of(self.policy.decision_wait),
            });
        }
        Ok(Decision {
            status: "pending",
            held: None,
            reason: None,
            due_at: now,
        })
    }

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
        let Some(peek) = alerts::get(&self.db, alert_id).await? else {
            return Ok(false);
        };
        let mut tx = self.db.begin().await?;
        db::lock_vehicle(&mut tx, &peek.vehicle_id).await?;
        let Some(mut a) = alerts::lock(&mut tx, alert_id).await? else {
            return Ok(false);
        };
        let now = Utc::now();
        if a.status != Status::Open || a.next_escalation_at.is_none_or(|t| t > now) {
            // Acknowledged, or moved by another replica meanwhile.
            return Ok(false);
        }
        let max = i32::try_from(self.policy.max_steps).unwrap_or(i32::MAX);
        // The next step with someone to tell; reminders (3+) always have the chain.
        let mut next = a.step + 1;
        while next < 3
            && contacts::recipients(&mut tx, &a.org_id, &a.vehicle_id, step_roles(next))
                .await?
                .is_empty()
        {
            next += 1;
        }
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
        let people =
            contacts::recipients(&mut tx, &a.org_id, &a.vehicle_id, step_roles(next)).await?;
        let roles = step_roles(next);
        let target = if roles.len() == 1 {
            roles[0]
        } else {
            Role::EmergencyContact
        };
        alerts::history(
            &mut tx,
            a.alert_id,
            "escalated",
            json!({"step": next, "to": people.iter().map(|c| &c.name).collect::<Vec<_>>()}),
        )
        .await?;
        let payload = AlertEscalated {
            alert_id: a.alert_id,
            org_id: a.org_id.clone(),
            vehicle_id: a.vehicle_id.clone(),
            level: u8::try_from(next).unwrap_or(u8::MAX),
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
        outbox::enqueue(&mut tx, &env).await?;
        tx.commit().await?;
        self.poke();
        metrics::counter!("alerts_escalated_total", "severity" => a.severity.as_str()).increment(1);
        Ok(true)
    }

    /// Acknowledges: escalation stops, unsent messages are cancelled.
    pub async fn acknowledge(
        &self,
        alert_id: Uuid,
        by: &str,
        via: AckVia,
    ) -> anyhow::Result<Outcome> {
        let Some(peek) = alerts::get(&self.db, alert_id).await? else {
            return Ok(Outcome::Missing);
        };
        let mut tx = self.db.begin().await?;
        db::lock_vehicle(&mut tx, &peek.vehicle_id).await?;
        let Some(mut a) = alerts::lock(&mut tx, alert_id).await? else {
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
    /// automatic.
    pub async fn resolve(
        &self,
        alert_id: Uuid,
        by: Option<&str>,
        resolution: &str,
        cause: Option<(Uuid, Uuid)>,
    ) -> anyhow::Result<Outcome> {
        let Some(peek) = alerts::get(&self.db, alert_id).await? else {
            return Ok(Outcome::Missing);
        };
        let mut tx = self.db.begin().await?;
        db::lock_vehicle(&mut tx, &peek.vehicle_id).await?;
        let Some(mut a) = alerts::lock(&mut tx, alert_id).await? else {
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

    /// The unresolved alert on a vehicle's subject, if any.
    pub async fn active(
        &self,
        org_id: &str,
        vehicle_id: &str,
        subject: &str,
    ) -> anyhow::Result<Option<Alert>> {
        let id: Option<Uuid> = sqlx::query_scalar(
            "SELECT alert_id FROM alerts
             WHERE vehicle_id = $1 AND subject = $2 AND org_id = $3 AND status <> 'resolved'",
        )
        .bind(vehicle_id)
        .bind(subject)
        .bind(org_id)
        .fetch_optional(&self.db)
        .await?;
        match id {
            Some(id) => Ok(alerts::get(&self.db, id).await?),
            None => Ok(None),
        }
    }
}

/// Applies a decision's planning change (inside the fold's transaction, so it commits
/// with the inbox mark: a redelivery changes nothing).
async fn apply_planning(
    tx: &mut PgConnection,
    e: &Incoming,
    change: &PlanningChange,
) -> anyhow::Result<()> {
    let (what, changed) = match change {
        PlanningChange::Upsert(item) => ("upserted", planning::upsert(tx, item).await?),
        PlanningChange::Remove(decided_at) => (
            "removed",
            planning::remove(tx, &e.org_id, &e.vehicle_id, &e.subject, *decided_at).await?,
        ),
    };
    if changed {
        metrics::counter!("planning_items_changed_total", "change" => what).increment(1);
    }
    Ok(())
}

struct Decision {
    status: &'static str,
    held: Option<&'static str>,
    reason: Option<String>,
    due_at: DateTime<Utc>,
}

async fn enqueue<P: Event>(
    tx: &mut PgConnection,
    payload: P,
    cause: &Incoming,
) -> anyhow::Result<()> {
    let mut env = EventEnvelope::new(PRODUCER, cause.correlation_id, payload);
    env.causation_id = Some(cause.event_id);
    outbox::enqueue(tx, &env).await?;
    Ok(())
}
