//! The health-event consumer (group `agent`): one decision per triggering event.
//!
//! Per event: decode; skip what another event of the same transition covers (see
//! [`crate::domain::case::change_is_covered`]); skip a trigger already decided (a
//! redelivery, without calling the model again); decide outside any transaction (a
//! model call is slow); then commit the decision with the inbox mark and the outbox
//! rows. A crash between deciding and committing decides again on redelivery; the
//! unique trigger id keeps it to one decision.
//!
//! Concurrency: the runtime's consumer handles a batch's vehicles concurrently but
//! reads the next batch only when the whole batch is done, so one slow model call
//! would hold up every vehicle behind it. The service therefore runs several consumers
//! of the group ([`crate::config::Config::consumers`]): a consumer waiting on a slow
//! call stops reading and the others take the new entries. A per-vehicle lock shared by
//! the consumers keeps one vehicle's events one at a time, in the order they reach it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use shared_runtime::consumer::{Handler, HandlerError};
use shared_schemas::events::{ComponentCritical, ComponentDegraded, HealthChanged};
use shared_schemas::{Event, RawEnvelope};
use sqlx::PgPool;

use super::record::Recorder;
use crate::db::decisions;
use crate::domain::Case;
use crate::domain::case::{change_is_covered, degraded_is_covered};
use crate::pipeline::Agent;

/// Consumer group of the agent on the health events.
pub const GROUP: &str = "agent";

/// The event types the agent decides on.
pub const EVENT_TYPES: [&str; 3] = [
    ComponentDegraded::TYPE,
    ComponentCritical::TYPE,
    HealthChanged::TYPE,
];

/// One lock per vehicle with events in flight.
#[derive(Debug, Default)]
pub struct VehicleLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl VehicleLocks {
    /// Waits for `vehicle_id`'s turn (FIFO).
    pub async fn lock(&self, vehicle_id: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut map = self
                .locks
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if map.len() > 4_096 {
                // Forget vehicles nobody holds or waits for.
                map.retain(|_, l| Arc::strong_count(l) > 1);
            }
            Arc::clone(map.entry(vehicle_id.to_owned()).or_default())
        };
        lock.lock_owned().await
    }
}

/// Decides health events.
#[derive(Debug, Clone)]
pub struct HealthEventConsumer {
    db: PgPool,
    agent: Arc<Agent>,
    recorder: Recorder,
    vehicles: Arc<VehicleLocks>,
}

impl HealthEventConsumer {
    /// A consumer deciding with `agent` and recording with `recorder`; consumers of one
    /// process share `vehicles`.
    pub fn new(
        db: PgPool,
        agent: Arc<Agent>,
        recorder: Recorder,
        vehicles: Arc<VehicleLocks>,
    ) -> Self {
        Self {
            db,
            agent,
            recorder,
            vehicles,
        }
    }

    /// The case of `event`, or `None` when another event of the same transition covers
    /// it.
    fn case(event: &RawEnvelope) -> Result<Option<Case>, HandlerError> {
        let (id, corr) = (event.event_id, event.correlation_id);
        Ok(match event.event_type.as_str() {
            ComponentDegraded::TYPE => {
                let e = event
                    .decode::<ComponentDegraded>()
                    .map_err(HandlerError::permanent)?;
                (!degraded_is_covered(e.payload.band)).then(|| Case::degraded(id, corr, e.payload))
            }
            ComponentCritical::TYPE => {
                let e = event
                    .decode::<ComponentCritical>()
                    .map_err(HandlerError::permanent)?;
                Some(Case::critical(id, corr, e.payload))
            }
            HealthChanged::TYPE => {
                let e = event
                    .decode::<HealthChanged>()
                    .map_err(HandlerError::permanent)?;
                let p = &e.payload;
                (!change_is_covered(p.previous_band, p.current_band))
                    .then(|| Case::changed(id, corr, e.payload))
            }
            other => {
                return Err(HandlerError::permanent(anyhow::anyhow!(
                    "unexpected event type {other}"
                )));
            }
        })
    }
}

#[async_trait::async_trait]
impl Handler for HealthEventConsumer {
    async fn handle(&self, event: &RawEnvelope) -> Result<(), HandlerError> {
        let Some(case) = Self::case(event)? else {
            metrics::counter!("agent_events_total", "event_type" => event.event_type.clone(), "outcome" => "covered")
                .increment(1);
            tracing::debug!("covered by the condition event of the same transition");
            return Ok(());
        };
        let _turn = self.vehicles.lock(&case.vehicle_id).await;
        if decisions::exists(&self.db, case.trigger_event_id)
            .await
            .map_err(HandlerError::transient)?
        {
            metrics::counter!("agent_events_total", "event_type" => event.event_type.clone(), "outcome" => "duplicate")
                .increment(1);
            return Ok(());
        }
        let decision = self.agent.decide(case).await;
        self.recorder
            .record(decision, Some(GROUP), None)
            .await
            .map_err(HandlerError::Transient)?;
        metrics::counter!("agent_events_total", "event_type" => event.event_type.clone(), "outcome" => "decided")
            .increment(1);
        Ok(())
    }

    fn handles(&self, event_type: &str) -> bool {
        EVENT_TYPES.contains(&event_type)
    }
}
