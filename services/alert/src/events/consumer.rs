//! The alerting consumer (group `alert`): `agent.decision.made`, `agent.escalation`
//! and `component.critical` fold into alerts; `vehicle.health.changed` back out of
//! poor resolves the component's alert.
//!
//! Each event is applied once (inbox mark in the alert's transaction). A
//! `component.critical` usually arrives a moment before the agent's decision on it: the
//! alert is raised at once (at least critical) but its messages wait up to
//! `ALERT_DECISION_WAIT_MS` for the diagnosis, so the one message people get says what
//! to do.
//!
//! An emergency needs evidence: a decision or escalation under the agent's review
//! confidence (0.7) is at most critical (`policy::from_evidence`); the health engine
//! raises no condition event on a component it cannot judge (unknown).
//!
//! A person's review of an escalated decision (issue 16) reaches the alert as a decision
//! with `supersedes`: it replaces the decision it supersedes as the alert's current one,
//! severity included (also downwards), and the alert no longer needs review. A review
//! left past its urgency window arrives as an escalation with `overdue`: the alert goes
//! up the chain at once, reopened if it had been acknowledged.
//!
//! A decision's disposition (ADR 0010) decides what it does, because notifications
//! follow evidence: `alert` (a fault) opens an alert by its severity, or folds into the
//! open one (one recommending no work opens none); `plan` (routine wear at the normal
//! pace) never opens an alert and becomes the vehicle component's maintenance-planning
//! item, for the digest; `monitor` (nothing to do) opens nothing. `alert` and `monitor`
//! remove the component's planning item (superseded by a fault, or improved). Every
//! decision still folds into an unresolved alert of its component as an occurrence.

use chrono::Utc;
use shared_runtime::consumer::{Handler, HandlerError};
use shared_schemas::events::{
    AlertKind, AlertSeverity, Component, ComponentCritical, DecisionMade, Disposition, Escalation,
    HealthBand, HealthChanged, OwnershipTransferred,
};
use shared_schemas::{Event, RawEnvelope};

use crate::db::{alerts, planning};
use crate::domain::alert::{Diagnosis, component_name};
use crate::domain::planning::PlanningItem;
use crate::domain::policy;
use crate::pipeline::{Alerting, Folded, Incoming, PlanningChange};

/// Consumer group of the alert service on the events it alerts about.
pub const GROUP: &str = "alert";

/// The event types it reads.
pub const EVENT_TYPES: [&str; 5] = [
    DecisionMade::TYPE,
    Escalation::TYPE,
    ComponentCritical::TYPE,
    HealthChanged::TYPE,
    OwnershipTransferred::TYPE,
];

/// Folds events into alerts.
#[derive(Debug, Clone)]
pub struct AlertConsumer {
    alerting: Alerting,
}

impl AlertConsumer {
    /// A consumer over `alerting`.
    pub fn new(alerting: Alerting) -> Self {
        Self { alerting }
    }
}

fn within(days: u32) -> String {
    match days {
        0 => "act now".to_owned(),
        1 => "act within 1 day".to_owned(),
        n => format!("act within {n} days"),
    }
}

/// The alert input of a decision.
pub fn from_decision(e: &RawEnvelope) -> Result<Incoming, HandlerError> {
    let env = e
        .decode::<DecisionMade>()
        .map_err(HandlerError::permanent)?;
    let d = env.payload;
    let severity = policy::from_evidence(d.severity, d.confidence);
    let work = d.estimated_cost.max > 0.0;
    let planning = match d.disposition {
        Disposition::Plan => {
            PlanningChange::Upsert(Box::new(PlanningItem::from_decision(&d, Utc::now())))
        }
        Disposition::Alert | Disposition::Monitor => PlanningChange::Remove(d.decided_at),
    };
    Ok(Incoming {
        event_id: env.event_id,
        correlation_id: env.correlation_id,
        subject: d.component.as_str().to_owned(),
        component: Some(d.component),
        kind: AlertKind::Decision,
        severity,
        title: format!(
            "{}: {} - {}",
            d.vehicle_id,
            component_name(d.component),
            within(d.urgency.within_days)
        ),
        message: d.diagnosis.clone(),
        diagnosis: Some(Diagnosis {
            decision_id: Some(d.decision_id),
            diagnosis: Some(d.diagnosis),
            actions: d.recommended_actions,
            urgency_days: Some(d.urgency.within_days),
            estimated_cost: Some(d.estimated_cost),
            confidence: Some(d.confidence),
        }),
        review: None,
        review_overdue: false,
        supersedes: d.supersedes,
        wait_for_diagnosis: false,
        may_open: d.disposition == Disposition::Alert && work,
        planning: Some(planning),
        org_id: d.org_id,
        vehicle_id: d.vehicle_id,
    })
}

fn from_escalation(e: &RawEnvelope) -> Result<Incoming, HandlerError> {
    let env = e.decode::<Escalation>().map_err(HandlerError::permanent)?;
    let p = env.payload;
    Ok(Incoming {
        event_id: env.event_id,
        correlation_id: env.correlation_id,
        subject: p.component.as_str().to_owned(),
        component: Some(p.component),
        kind: AlertKind::Escalation,
        severity: policy::from_evidence(p.severity, p.confidence),
        title: format!(
            "{}: {} - {}",
            p.vehicle_id,
            component_name(p.component),
            if p.overdue {
                "the review of the agent's decision is overdue"
            } else {
                "the agent's decision needs a human review"
            }
        ),
        message: format!("Decision {} needs review: {}.", p.decision_id, p.reason),
        diagnosis: None,
        review: Some(p.reason),
        review_overdue: p.overdue,
        supersedes: None,
        wait_for_diagnosis: true,
        may_open: true,
        planning: None,
        org_id: p.org_id,
        vehicle_id: p.vehicle_id,
    })
}

fn from_critical(e: &RawEnvelope) -> Result<Incoming, HandlerError> {
    let env = e
        .decode::<ComponentCritical>()
        .map_err(HandlerError::permanent)?;
    let p = env.payload;
    let mut message = format!(
        "{} health is in the critical band (score {:.2}, about {:.0} days of life left).",
        component_name(p.component),
        p.score,
        p.rul_days.max(0.0)
    );
    if let Some(f) = p.factors.first() {
        message.push(' ');
        message.push_str(&f.detail);
    }
    let severity = policy::from_component_critical(p.rul_days);
    Ok(Incoming {
        event_id: env.event_id,
        correlation_id: env.correlation_id,
        subject: p.component.as_str().to_owned(),
        component: Some(p.component),
        kind: AlertKind::ComponentCritical,
        severity,
        title: critical_title(&p.vehicle_id, p.component, severity, p.rul_days),
        message,
        diagnosis: None,
        review: None,
        review_overdue: false,
        supersedes: None,
        wait_for_diagnosis: true,
        may_open: true,
        planning: None,
        org_id: p.org_id,
        vehicle_id: p.vehicle_id,
    })
}

/// "VH-1: DPF critical" when the time left is short enough to page; otherwise the time
/// left, so that nobody reads an e-mail of a part weeks from failure as an emergency.
fn critical_title(
    vehicle_id: &str,
    c: Component,
    severity: AlertSeverity,
    rul_days: f64,
) -> String {
    if severity >= AlertSeverity::Critical {
        format!("{vehicle_id}: {} critical", component_name(c))
    } else {
        format!(
            "{vehicle_id}: {} wearing out, about {:.0} days left",
            component_name(c),
            rul_days.max(0.0)
        )
    }
}

#[async_trait::async_trait]
impl Handler for AlertConsumer {
    async fn handle(&self, event: &RawEnvelope) -> Result<(), HandlerError> {
        let incoming = match event.event_type.as_str() {
            DecisionMade::TYPE => from_decision(event)?,
            Escalation::TYPE => from_escalation(event)?,
            ComponentCritical::TYPE => from_critical(event)?,
            HealthChanged::TYPE => return self.recovered(event).await,
            OwnershipTransferred::TYPE => return self.transferred(event).await,
            other => {
                return Err(HandlerError::permanent(anyhow::anyhow!(
                    "unexpected event type {other}"
                )));
            }
        };
        let folded = self
            .alerting
            .fold(&incoming, Some(GROUP))
            .await
            .map_err(HandlerError::Transient)?;
        let planned = matches!(incoming.planning, Some(PlanningChange::Upsert(_)));
        if matches!(
            folded,
            Folded::Created(_) | Folded::Updated { raised: true, .. }
        ) {
            // How old the triggering event is when the alert it creates or raises is
            // committed (component.critical: since health assessed the vehicle).
            let age = (Utc::now() - event.occurred_at)
                .to_std()
                .unwrap_or_default();
            metrics::histogram!("alert_trigger_age_seconds", "event_type" => event.event_type.clone())
                .record(age.as_secs_f64());
        }
        let outcome = match folded {
            Folded::Duplicate => "duplicate",
            Folded::Ignored if planned => "planned",
            Folded::Ignored => "ignored",
            Folded::Created(_) => "created",
            Folded::Updated { raised: true, .. } => "raised",
            Folded::Updated { .. } => "folded",
        };
        metrics::counter!("alert_events_total", "event_type" => event.event_type.clone(), "outcome" => outcome)
            .increment(1);
        Ok(())
    }

    fn handles(&self, event_type: &str) -> bool {
        EVENT_TYPES.contains(&event_type)
    }
}

impl AlertConsumer {
    /// A vehicle moved to another organization (ADR 0008): the old organization's open
    /// alerts about it are resolved (nobody there can act on it any more) and its
    /// planning items dropped. What the new organization is told starts with the next
    /// decision. The old organization is not told which organization it went to.
    async fn transferred(&self, event: &RawEnvelope) -> Result<(), HandlerError> {
        let env = event
            .decode::<OwnershipTransferred>()
            .map_err(HandlerError::permanent)?;
        let p = &env.payload;
        let open = alerts::unresolved_of(self.alerting.db(), &p.from_org_id, &p.vehicle_id)
            .await
            .map_err(HandlerError::transient)?;
        for alert_id in open {
            self.alerting
                .resolve(
                    alert_id,
                    None,
                    "the vehicle was transferred to another organization",
                    Some((env.event_id, env.correlation_id)),
                )
                .await
                .map_err(HandlerError::Transient)?;
        }
        planning::remove_vehicle(self.alerting.db(), &p.from_org_id, &p.vehicle_id)
            .await
            .map_err(HandlerError::transient)?;
        Ok(())
    }

    /// A component back from poor or critical resolves its alert.
    async fn recovered(&self, event: &RawEnvelope) -> Result<(), HandlerError> {
        let env = event
            .decode::<HealthChanged>()
            .map_err(HandlerError::permanent)?;
        let p = &env.payload;
        if !(p.previous_band >= HealthBand::Poor && p.current_band < HealthBand::Poor) {
            return Ok(());
        }
        let Some(alert) = self
            .alerting
            .active(&p.org_id, &p.vehicle_id, p.component.as_str())
            .await
            .map_err(HandlerError::Transient)?
        else {
            return Ok(());
        };
        // An old event (replayed) must not close an alert raised after it.
        if alert.created_at > p.detected_at {
            return Ok(());
        }
        self.alerting
            .resolve(
                alert.alert_id,
                None,
                &format!("health recovered to {}", p.current_band.as_str()),
                Some((env.event_id, env.correlation_id)),
            )
            .await
            .map_err(HandlerError::Transient)?;
        Ok(())
    }
}
