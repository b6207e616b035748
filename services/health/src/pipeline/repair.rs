//! A repair: the components an appointment serviced restart from a fresh baseline
//! (`models::health::service`), in one transaction with the inbox mark, the state,
//! the assessment, the recorded services and the events announcing the recovery.

use anyhow::Context;
use chrono::Utc;
use shared_runtime::inbox;
use shared_schemas::EventEnvelope;
use shared_schemas::events::AppointmentCompleted;

use super::{Assessor, Cause, Inputs, Repair};
use crate::db::vehicles;

/// What became of an `appointment.completed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repaired {
    /// Components reset (how many; 0 when each already knew this or a later service).
    Applied(usize),
    /// Applied before (a redelivery).
    Duplicate,
    /// Health has no reading of the vehicle: ignored (its first readings start afresh
    /// anyway).
    UnknownVehicle,
    /// The vehicle belongs to another organization than the event's: ignored.
    OtherOrganization,
}

impl Repaired {
    /// A metric label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Applied(_) => "applied",
            Self::Duplicate => "duplicate",
            Self::UnknownVehicle => "unknown_vehicle",
            Self::OtherOrganization => "other_organization",
        }
    }
}

impl Assessor {
    /// Resets the components `event` serviced, once per event id for consumer group
    /// `group`. The service instant is the completion, or now if that lies ahead (a
    /// skewed clock must not keep the new part's readings out).
    pub async fn repair(
        &self,
        group: &str,
        event: &EventEnvelope<AppointmentCompleted>,
    ) -> anyhow::Result<Repaired> {
        let p = &event.payload;
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        if !inbox::first_delivery(&mut tx, group, event.event_id)
            .await
            .context("marking the event applied")?
        {
            tx.commit().await.context("committing")?;
            return Ok(Repaired::Duplicate);
        }
        let rows = vehicles::lock(&mut tx, &[p.vehicle_id.as_str()])
            .await
            .context("locking the vehicle")?;
        let outcome = match rows.first() {
            None => Some(Repaired::UnknownVehicle),
            Some(row) if row.org_id != p.org_id => Some(Repaired::OtherOrganization),
            Some(_) => None,
        };
        if let Some(outcome) = outcome {
            // The mark stays: a redelivery is ignored the same way.
            tx.commit().await.context("committing")?;
            return Ok(outcome);
        }
        let at = p.completed_at.min(Utc::now());
        let repairs = p
            .components_serviced
            .iter()
            .map(|&component| Repair {
                component,
                at,
                appointment_id: p.appointment_id,
            })
            .collect();
        let inputs = Inputs {
            repairs: [(p.vehicle_id.clone(), repairs)].into_iter().collect(),
            ..Inputs::default()
        };
        let (done, events_n) = self
            .assess(&mut tx, rows, inputs, Some(Cause::event(event)))
            .await?;
        tx.commit().await.context("committing")?;
        let applied = done.iter().map(|d| d.repaired.len()).sum();
        self.after_commit(done, events_n);
        Ok(Repaired::Applied(applied))
    }
}
