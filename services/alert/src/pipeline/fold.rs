//! Folding an event into the vehicle's unresolved alert on its subject, or opening one.

use chrono::{DateTime, Utc};
use serde_json::json;
use shared_runtime::{inbox, outbox};
use shared_schemas::events::{AlertCreated, AlertKind, AlertSeverity, Component};
use shared_schemas::{Event, EventEnvelope};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{Alerting, PRODUCER, first_step_with_recipients};
use crate::db::{self, alerts, deliveries, planning};
use crate::domain::alert::{Alert, Diagnosis, Status};
use crate::domain::planning::PlanningItem;
use crate::domain::policy::{self, Role, rank};

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
    /// Nobody reviewed the decision within its urgency window (an overdue
    /// `agent.escalation`): the alert goes up the chain now, reopened if it was
    /// acknowledged.
    pub review_overdue: bool,
    /// The decision a person's review replaced (`agent.decision.made` with
    /// `supersedes`): where it is the alert's current decision, this one takes its
    /// place, severity included, even when lower.
    pub supersedes: Option<Uuid>,
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

impl Alerting {
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
        let mut a = new_alert(e, now);
        a.step = first_step_with_recipients(tx, &a, 0).await?.unwrap_or(0);
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
        let replaces = replaces_current(&a, e);
        let raised = e.severity > a.severity && (e.may_open || replaces);
        let mut detail = json!({"event_id": e.event_id, "kind": e.kind, "severity": e.severity});
        let had_diagnosis = a.diagnosis.decision_id.is_some();
        if let Some(d) = &e.diagnosis
            && (e.may_open || replaces)
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
            what = self.raise(&mut a, e, now, &mut detail);
            deliveries::supersede_below(tx, a.alert_id, rank(a.severity)).await?;
        }
        if replaces {
            what = self.take_over(tx, &mut a, e, now, &mut detail).await?;
        }
        if e.review_overdue {
            what = review_overdue(&mut a, now);
        }
        alerts::update(tx, &a).await?;
        alerts::history(tx, a.alert_id, what, detail).await?;
        if raised {
            let wait = e.wait_for_diagnosis && a.diagnosis.decision_id.is_none();
            self.plan(tx, &a, a.step, wait, now).await?;
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

    /// Raises `a` to `e`'s severity and restarts or shortens its escalation timer;
    /// returns what its history calls it: `upgraded`, or `reopened` when it was
    /// acknowledged.
    fn raise(
        &self,
        a: &mut Alert,
        e: &Incoming,
        now: DateTime<Utc>,
        detail: &mut serde_json::Value,
    ) -> &'static str {
        detail["from"] = json!(a.severity);
        a.severity = e.severity;
        a.correlation_id = e.correlation_id;
        let delay = self.delay(a.severity);
        match a.status {
            Status::Acknowledged => {
                // Worse than what was acknowledged: open again, timers restart.
                a.status = Status::Open;
                a.acknowledged_at = None;
                a.acknowledged_by = None;
                a.ack_via = None;
                a.next_escalation_at = delay.map(|d| now + d);
                "reopened"
            }
            _ => {
                // Never later than the timer already running.
                a.next_escalation_at = match (a.next_escalation_at, delay) {
                    (Some(t), Some(d)) => Some(t.min(now + d)),
                    (None, Some(d)) => Some(now + d),
                    (t, None) => t,
                };
                "upgraded"
            }
        }
    }
}

/// Whether `e` is a person's decision replacing the alert's current one (or the alert
/// has none yet).
fn replaces_current(a: &Alert, e: &Incoming) -> bool {
    e.supersedes.is_some()
        && (a.diagnosis.decision_id.is_none() || a.diagnosis.decision_id == e.supersedes)
}

/// A review left past its window: the alert needs review, is open again if it was
/// acknowledged (the acknowledgement did not review the decision), and its timer runs
/// out now, so the escalation pass moves it one step up the chain.
fn review_overdue(a: &mut Alert, now: DateTime<Utc>) -> &'static str {
    a.needs_review = true;
    a.next_escalation_at = Some(now);
    if a.status == Status::Acknowledged {
        a.status = Status::Open;
        a.acknowledged_at = None;
        a.acknowledged_by = None;
        a.ack_via = None;
        return "review_overdue_reopened";
    }
    "review_overdue"
}

impl Alerting {
    /// A person's decision replaced the alert's current one: its severity stands even
    /// when lower (pending messages above it are dropped, the timer follows the new
    /// severity) and the alert no longer needs review.
    async fn take_over(
        &self,
        tx: &mut PgConnection,
        a: &mut Alert,
        e: &Incoming,
        now: DateTime<Utc>,
        detail: &mut serde_json::Value,
    ) -> anyhow::Result<&'static str> {
        if e.severity < a.severity {
            detail["from"] = json!(a.severity);
            a.severity = e.severity;
            deliveries::supersede_above(tx, a.alert_id, rank(a.severity)).await?;
            if a.status == Status::Open {
                a.next_escalation_at = self.delay(a.severity).map(|d| now + d);
            }
        }
        detail["supersedes"] = json!(e.supersedes);
        a.needs_review = false;
        a.review_reason = None;
        Ok("overridden")
    }
}

/// A new open alert made of `e`, at step 0 without a timer.
fn new_alert(e: &Incoming, now: DateTime<Utc>) -> Alert {
    Alert {
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
