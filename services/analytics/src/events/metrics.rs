//! The metrics consumers (group `analytics-metrics`, ADR 0014).
//!
//! - [`HealthStates`] reads `vehicle.health.computed` in batches (the high-volume stream:
//!   every vehicle, up to once a minute): one transaction per batch. It needs no inbox
//!   mark: the newest `computed_at` wins and the rollup is a recount, so a redelivery
//!   changes nothing.
//! - [`MetricsConsumer`] reads every other event the figures need, one at a time, each
//!   applied once (inbox mark in its transaction).
//!
//! Telemetry is not read: health events say what the figures need at a fraction of the
//! volume. Unknown event types are acknowledged and skipped, unknown fields ignored.

use chrono::{DateTime, Utc};
use serde::Serialize;
use shared_runtime::consumer::{BatchHandler, Delivery, Handler, HandlerError};
use shared_runtime::inbox;
use shared_schemas::events::{
    AlertAcknowledged, AlertCreated, AlertEscalated, AlertResolved, AppointmentCancelled,
    AppointmentCompleted, AppointmentProposed, AppointmentScheduled, ClaimRejected, ClaimSubmitted,
    ClaimValidated, Component, ComponentCritical, ComponentDegraded, DecisionMade, Escalation,
    FraudDetected, HealthBand, HealthChanged, HealthComputed, OwnershipTransferred,
};
use shared_schemas::{Event, RawEnvelope};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::db::metrics::episodes::{self, End, Part};
use crate::db::metrics::record::{self, Key, Stamp};
use crate::db::metrics::service;
use crate::domain::metrics::{VehicleState, newest};

/// Consumer group of the metrics read models.
pub const GROUP: &str = "analytics-metrics";

/// The batched stream.
pub const HEALTH_TYPE: &str = HealthComputed::TYPE;

/// The streams read one event at a time.
pub const EVENT_TYPES: [&str; 18] = [
    HealthChanged::TYPE,
    ComponentDegraded::TYPE,
    ComponentCritical::TYPE,
    DecisionMade::TYPE,
    Escalation::TYPE,
    AlertCreated::TYPE,
    AlertAcknowledged::TYPE,
    AlertEscalated::TYPE,
    AlertResolved::TYPE,
    AppointmentProposed::TYPE,
    AppointmentScheduled::TYPE,
    AppointmentCancelled::TYPE,
    AppointmentCompleted::TYPE,
    ClaimSubmitted::TYPE,
    ClaimValidated::TYPE,
    ClaimRejected::TYPE,
    FraudDetected::TYPE,
    OwnershipTransferred::TYPE,
];

/// Folds `vehicle.health.computed` batches into the vehicle states.
#[derive(Debug, Clone)]
pub struct HealthStates {
    db: PgPool,
}

impl HealthStates {
    /// A consumer writing to `db`.
    pub fn new(db: PgPool) -> Self {
        Self { db }
    }
}

#[async_trait::async_trait]
impl BatchHandler for HealthStates {
    async fn handle_batch(&self, batch: &[Delivery]) -> Vec<Result<(), HandlerError>> {
        let mut states = Vec::with_capacity(batch.len());
        let mut results: Vec<Result<(), HandlerError>> = Vec::with_capacity(batch.len());
        for d in batch {
            match d.envelope.decode::<HealthComputed>() {
                Ok(env) => {
                    states.push(VehicleState::from_computed(&env.payload));
                    results.push(Ok(()));
                }
                Err(e) => results.push(Err(HandlerError::permanent(e))),
            }
        }
        let (latest, days) = newest(states);
        if let Err(e) = record::states(&self.db, &latest, &days).await {
            let msg = e.to_string();
            return batch
                .iter()
                .map(|_| {
                    Err(HandlerError::transient(anyhow::anyhow!(
                        "recording health states: {msg}"
                    )))
                })
                .collect();
        }
        results
    }

    fn handles(&self, event_type: &str) -> bool {
        event_type == HEALTH_TYPE
    }
}

/// Folds alerts, decisions, predictions, appointments, claims and transfers into the
/// read models.
#[derive(Debug, Clone)]
pub struct MetricsConsumer {
    db: PgPool,
}

impl MetricsConsumer {
    /// A consumer writing to `db`.
    pub fn new(db: PgPool) -> Self {
        Self { db }
    }
}

#[async_trait::async_trait]
impl Handler for MetricsConsumer {
    async fn handle(&self, event: &RawEnvelope) -> Result<(), HandlerError> {
        let mut tx = self.db.begin().await.map_err(HandlerError::transient)?;
        if inbox::first_delivery(&mut tx, GROUP, event.event_id)
            .await
            .map_err(HandlerError::transient)?
        {
            apply(&mut tx, event).await?;
        }
        tx.commit().await.map_err(HandlerError::transient)?;
        metrics::counter!("analytics_metric_events_total", "event_type" => event.event_type.clone())
            .increment(1);
        Ok(())
    }

    fn handles(&self, event_type: &str) -> bool {
        EVENT_TYPES.contains(&event_type)
    }
}

fn decode<E: Event>(e: &RawEnvelope) -> Result<E, HandlerError> {
    e.decode::<E>()
        .map(|env| env.payload)
        .map_err(HandlerError::permanent)
}

/// The wire name of an enum value (`snake_case`).
fn wire(v: impl Serialize) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// An entity's id, organization and vehicle, and what an event sets on its row.
type Stamped = (Uuid, String, String, Stamp, DateTime<Utc>);

/// The events that only set a time on their entity's row.
fn stamped(e: &RawEnvelope) -> Result<Option<Stamped>, HandlerError> {
    Ok(Some(match e.event_type.as_str() {
        AlertAcknowledged::TYPE => {
            let p: AlertAcknowledged = decode(e)?;
            (
                p.alert_id,
                p.org_id,
                p.vehicle_id,
                Stamp::AlertAcknowledged,
                p.acknowledged_at,
            )
        }
        AlertResolved::TYPE => {
            let p: AlertResolved = decode(e)?;
            (
                p.alert_id,
                p.org_id,
                p.vehicle_id,
                Stamp::AlertResolved,
                p.resolved_at,
            )
        }
        Escalation::TYPE => {
            let p: Escalation = decode(e)?;
            (
                p.decision_id,
                p.org_id,
                p.vehicle_id,
                Stamp::Escalated,
                p.escalated_at,
            )
        }
        AppointmentProposed::TYPE => {
            let p: AppointmentProposed = decode(e)?;
            (
                p.proposal_id,
                p.org_id,
                p.vehicle_id,
                Stamp::Proposed,
                p.proposed_at,
            )
        }
        AppointmentCancelled::TYPE => {
            let p: AppointmentCancelled = decode(e)?;
            (
                p.appointment_id,
                p.org_id,
                p.vehicle_id,
                Stamp::Cancelled,
                p.cancelled_at,
            )
        }
        ClaimRejected::TYPE => {
            let p: ClaimRejected = decode(e)?;
            (
                p.claim_id,
                p.org_id,
                p.vehicle_id,
                Stamp::ClaimRejected,
                p.rejected_at,
            )
        }
        FraudDetected::TYPE => {
            let p: FraudDetected = decode(e)?;
            (
                p.claim_id,
                p.org_id,
                p.vehicle_id,
                Stamp::ClaimFlagged,
                p.detected_at,
            )
        }
        _ => return Ok(None),
    }))
}

/// Applies one event inside `tx`.
async fn apply(tx: &mut PgConnection, e: &RawEnvelope) -> Result<(), HandlerError> {
    if let Some((id, org, vehicle, stamp, at)) = stamped(e)? {
        return record::stamp(tx, key(id, &org, &vehicle), stamp, at)
            .await
            .map_err(HandlerError::transient);
    }
    let done = match e.event_type.as_str() {
        HealthChanged::TYPE => changed(tx, &decode(e)?).await,
        ComponentDegraded::TYPE => {
            let p: ComponentDegraded = decode(e)?;
            episodes::predicted(
                tx,
                part(&p.org_id, &p.vehicle_id, p.component),
                p.detected_at,
                p.rul_days,
            )
            .await
        }
        ComponentCritical::TYPE => {
            let p: ComponentCritical = decode(e)?;
            episodes::failed(
                tx,
                part(&p.org_id, &p.vehicle_id, p.component),
                p.detected_at,
            )
            .await
        }
        DecisionMade::TYPE => record::decision(tx, &decode(e)?).await,
        AppointmentCompleted::TYPE => completed(tx, &decode(e)?).await,
        OwnershipTransferred::TYPE => {
            let p: OwnershipTransferred = decode(e)?;
            record::transfer(tx, &p.vehicle_id, &p.to_org_id).await
        }
        _ => return apply_created(tx, e).await,
    };
    done.map_err(HandlerError::transient)
}

/// Events that create or fill an entity's row with more than a time.
async fn apply_created(tx: &mut PgConnection, e: &RawEnvelope) -> Result<(), HandlerError> {
    let done = match e.event_type.as_str() {
        AlertCreated::TYPE => {
            let p: AlertCreated = decode(e)?;
            let component = p.component.map(|c| c.as_str());
            let k = key(p.alert_id, &p.org_id, &p.vehicle_id);
            record::alert_created(
                tx,
                k,
                p.severity.as_str(),
                &wire(p.kind),
                component,
                p.created_at,
            )
            .await
        }
        AlertEscalated::TYPE => {
            let p: AlertEscalated = decode(e)?;
            record::alert_escalated(tx, key(p.alert_id, &p.org_id, &p.vehicle_id)).await
        }
        AppointmentScheduled::TYPE => {
            let p: AppointmentScheduled = decode(e)?;
            service::scheduled(tx, key(p.appointment_id, &p.org_id, &p.vehicle_id), &p).await
        }
        ClaimSubmitted::TYPE => {
            let p: ClaimSubmitted = decode(e)?;
            service::claim_submitted(tx, key(p.claim_id, &p.org_id, &p.vehicle_id), &p).await
        }
        ClaimValidated::TYPE => {
            let p: ClaimValidated = decode(e)?;
            service::claim_validated(tx, key(p.claim_id, &p.org_id, &p.vehicle_id), &p).await
        }
        // Not a type this consumer reads (`handles` filters them): nothing to do.
        _ => Ok(()),
    };
    done.map_err(HandlerError::transient)
}

fn part<'a>(org_id: &'a str, vehicle_id: &'a str, component: Component) -> Part<'a> {
    Part {
        org_id,
        vehicle_id,
        component: component.as_str(),
    }
}

fn key<'a>(id: uuid::Uuid, org_id: &'a str, vehicle_id: &'a str) -> Key<'a> {
    Key {
        id,
        org_id,
        vehicle_id,
    }
}

/// A component back to good or excellent ends its open prediction as recovered.
async fn changed(tx: &mut PgConnection, p: &HealthChanged) -> Result<(), sqlx::Error> {
    if p.current_band > HealthBand::Good {
        return Ok(());
    }
    let part = part(&p.org_id, &p.vehicle_id, p.component);
    episodes::ended(tx, part, End::Recovered, p.detected_at).await
}

/// An appointment's work done: the appointment and every serviced component's episode.
async fn completed(tx: &mut PgConnection, p: &AppointmentCompleted) -> Result<(), sqlx::Error> {
    let k = key(p.appointment_id, &p.org_id, &p.vehicle_id);
    record::stamp(tx, k, Stamp::Completed, p.completed_at).await?;
    for c in &p.components_serviced {
        episodes::ended(
            tx,
            part(&p.org_id, &p.vehicle_id, *c),
            End::Repaired,
            p.completed_at,
        )
        .await?;
    }
    Ok(())
}

/// Starts both consumers on `service`, and the hourly pruning of per-day rows older
/// than any window (a vehicle-day a day per vehicle is the read models' bulk).
pub fn start(service: &mut shared_runtime::service::Service) -> anyhow::Result<()> {
    service
        .tasks
        .spawn(prune_days(service.db.clone(), service.tasks.shutdown()));
    use shared_runtime::consumer::ConsumerConfig;
    service.consume_batches(
        "metrics health consumer",
        ConsumerConfig::new(GROUP, [HEALTH_TYPE]).batch_size(1_000),
        std::sync::Arc::new(HealthStates::new(service.db.clone())),
    )?;
    service.consume(
        "metrics consumer",
        ConsumerConfig::new(GROUP, EVENT_TYPES)
            .batch_size(256)
            .concurrency(8)
            .block(std::time::Duration::from_millis(500)),
        std::sync::Arc::new(MetricsConsumer::new(service.db.clone())),
    )
}

/// Deletes per-day rows older than the longest window (plus a week), every hour.
async fn prune_days(db: PgPool, shutdown: tokio_util::sync::CancellationToken) {
    loop {
        let before = Utc::now().date_naive()
            - chrono::Duration::days(i64::from(crate::domain::metrics::MAX_DAYS) + 7);
        match record::prune_days(&db, before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, %before, "per-day metric rows pruned"),
            Err(e) => {
                tracing::warn!(error = %e, "pruning per-day metric rows failed; retrying later")
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
        }
    }
}
