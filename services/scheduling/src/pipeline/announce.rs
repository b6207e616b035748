//! The events an appointment's life announces, written to the outbox in the caller's
//! transaction: `appointment.proposed`, `.scheduled`, `.cancelled`, `.completed` and
//! `technician.assigned`.

use chrono::Utc;
use shared_runtime::outbox;
use shared_schemas::events::{
    AppointmentCancelled, AppointmentCompleted, AppointmentProposed, AppointmentScheduled,
    Component, PartUsed, SlotOption, TechnicianAssigned,
};
use shared_schemas::{Event, EventEnvelope};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::appointment::{Appointment, SlotView};
use crate::domain::job::Job;

/// Producer name on the service's events.
pub const PRODUCER: &str = "scheduling";

/// Why an event is written: the correlation of the flow and the event that caused it.
#[derive(Debug, Clone, Copy)]
pub struct Cause {
    /// The flow's correlation id.
    pub correlation_id: Uuid,
    /// The event that caused it (none for a request).
    pub causation_id: Option<Uuid>,
}

impl Cause {
    /// A flow started by a request.
    pub fn request() -> Self {
        Self {
            correlation_id: Uuid::now_v7(),
            causation_id: None,
        }
    }
}

async fn enqueue<P: Event>(
    conn: &mut PgConnection,
    cause: Cause,
    payload: P,
) -> anyhow::Result<()> {
    let mut envelope = EventEnvelope::new(PRODUCER, cause.correlation_id, payload);
    envelope.causation_id = cause.causation_id;
    outbox::enqueue(conn, &envelope).await?;
    metrics::counter!("scheduling_events_published_total", "event_type" => P::TYPE).increment(1);
    Ok(())
}

/// `appointment.proposed` for `job`'s options.
pub async fn proposed(
    conn: &mut PgConnection,
    cause: Cause,
    proposal_id: Uuid,
    job: &Job,
    options: &[SlotView],
) -> anyhow::Result<()> {
    let payload = AppointmentProposed {
        proposal_id,
        org_id: job.org_id.clone(),
        vehicle_id: job.vehicle_id.clone(),
        decision_id: job.decision_id,
        component: job.component,
        kind: job.kind,
        options: options
            .iter()
            .filter_map(|o| {
                Some(SlotOption {
                    label: o.label?,
                    center_id: o.center_id,
                    center_name: o.center_name.clone(),
                    starts_at: o.starts_at,
                    ends_at: o.ends_at,
                    score: o.score,
                })
            })
            .collect(),
        proposed_at: Utc::now(),
    };
    enqueue(conn, cause, payload).await
}

/// `appointment.scheduled` and `technician.assigned` for a booking (or a reschedule).
pub async fn scheduled(
    conn: &mut PgConnection,
    cause: Cause,
    a: &Appointment,
) -> anyhow::Result<()> {
    let payload = AppointmentScheduled {
        appointment_id: a.id,
        org_id: a.org_id.clone(),
        vehicle_id: a.vehicle_id.clone(),
        proposal_id: a.proposal_id,
        decision_id: a.decision_id,
        component: a.component,
        kind: a.kind,
        center_id: a.center_id,
        center_name: a.center_name.clone(),
        starts_at: a.starts_at,
        ends_at: a.ends_at,
        auto_booked: a.auto_booked,
        technician_id: Some(a.technician_id),
        center_address: Some(a.center_address.clone()).filter(|s| !s.is_empty()),
        sequence: u32::try_from(a.sequence).unwrap_or(0),
    };
    enqueue(conn, cause, payload).await?;
    assigned(conn, cause, a).await
}

/// `technician.assigned`.
pub async fn assigned(
    conn: &mut PgConnection,
    cause: Cause,
    a: &Appointment,
) -> anyhow::Result<()> {
    let payload = TechnicianAssigned {
        appointment_id: a.id,
        org_id: a.org_id.clone(),
        vehicle_id: a.vehicle_id.clone(),
        technician_id: a.technician_id,
        technician_name: a.technician_name.clone(),
        center_id: a.center_id,
        assigned_at: Utc::now(),
    };
    enqueue(conn, cause, payload).await
}

/// `appointment.cancelled` (a cancellation or a no-show).
pub async fn cancelled(
    conn: &mut PgConnection,
    cause: Cause,
    a: &Appointment,
    by: Option<&str>,
    reason: &str,
    no_show: bool,
) -> anyhow::Result<()> {
    let payload = AppointmentCancelled {
        appointment_id: a.id,
        org_id: a.org_id.clone(),
        vehicle_id: a.vehicle_id.clone(),
        cancelled_by: by.map(str::to_owned),
        reason: reason.to_owned(),
        no_show,
        cancelled_at: Utc::now(),
    };
    enqueue(conn, cause, payload).await
}

/// `appointment.completed`: the components serviced (health resets their baselines)
/// and the parts replaced.
pub async fn completed(
    conn: &mut PgConnection,
    cause: Cause,
    a: &Appointment,
    components: Vec<Component>,
) -> anyhow::Result<()> {
    let Some(wo) = &a.work_order else {
        anyhow::bail!("appointment {} completed without a work order", a.id);
    };
    let payload = AppointmentCompleted {
        appointment_id: a.id,
        org_id: a.org_id.clone(),
        vehicle_id: a.vehicle_id.clone(),
        center_id: a.center_id,
        technician_id: wo.technician_id,
        components_serviced: components,
        parts_replaced: wo
            .parts_used
            .iter()
            .map(|(part, quantity)| PartUsed {
                part: part.clone(),
                quantity: *quantity,
            })
            .collect(),
        work_summary: wo.notes.clone().unwrap_or_else(|| a.title.clone()),
        odometer_km: wo.odometer_km,
        completed_at: wo.completed_at.unwrap_or_else(Utc::now),
    };
    enqueue(conn, cause, payload).await
}
