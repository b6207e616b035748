//! Booking jobs into slots. The engine plans on a snapshot read outside any
//! transaction; the booking commits in one transaction with its parts and events, and
//! the exclusion constraints refuse a slot someone took meanwhile, in which case the
//! flow plans again on a fresh snapshot (a few times) or, for a person's request,
//! answers 409 with what is free now.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use shared_runtime::inbox;
use shared_schemas::EventEnvelope;
use shared_schemas::events::{DecisionMade, Disposition, OptionLabel};
use sqlx::PgPool;
use tokio::sync::Notify;
use uuid::Uuid;

use super::announce::{self, Cause};
use super::review;
use super::vehicles::Vehicles;
use crate::db::appointments::{self, BookError, Booking};
use crate::db::{jobs, proposals, snapshot};
use crate::domain::appointment::{Appointment, SlotView};
use crate::domain::booking::{self, Slot, Snapshot};
use crate::domain::job::{Job, JobStatus};

/// How often a flow plans again after losing its slot to a concurrent booking.
const ATTEMPTS: usize = 5;

/// What became of a decision.
#[derive(Debug, Clone, PartialEq)]
pub enum Placed {
    /// Booked at once (critical work).
    Booked(Uuid),
    /// Options offered.
    Proposed(Uuid),
    /// Routine wear (disposition `plan`): a pending job for batch re-planning, nobody
    /// asked (ADR 0010: planning items are not messages to people).
    Planned(Uuid),
    /// No slot anywhere: the job waits, and the proposal says so (no options).
    Unplaceable(Uuid),
    /// Nothing to book (a decision to monitor) or booked already (a redelivery).
    Nothing,
}

/// Books jobs into slots.
#[derive(Debug, Clone)]
pub struct Booker {
    pub(crate) db: PgPool,
    relay: Arc<Notify>,
    pub(crate) vehicles: Vehicles,
    pub(crate) budget: Duration,
}

impl Booker {
    /// A booker on `db`, poking the outbox relay through `relay`.
    pub fn new(db: PgPool, relay: Arc<Notify>, vehicles: Vehicles, budget: Duration) -> Self {
        Self {
            db,
            relay,
            vehicles,
            budget,
        }
    }

    /// Pokes the outbox relay (after a commit).
    pub(crate) fn announce(&self) {
        self.relay.notify_one();
    }

    /// The snapshot of `org_id` now.
    pub(crate) async fn snapshot(
        &self,
        org_id: &str,
        except: Option<Uuid>,
    ) -> Result<Snapshot, sqlx::Error> {
        snapshot::load(&self.db, org_id, Utc::now(), except).await
    }

    /// The job a decision asks for, booked (critical) or proposed, with the decision's
    /// inbox mark, all in one transaction; once per decision. A reviewed decision first
    /// takes the place of the one it supersedes (see [`review`]).
    pub async fn on_decision(
        &self,
        event: &EventEnvelope<DecisionMade>,
        group: &str,
    ) -> anyhow::Result<Placed> {
        let d = &event.payload;
        if jobs::by_decision(&self.db, d.decision_id).await?.is_some() {
            return Ok(Placed::Nothing);
        }
        let location = self.vehicles.position(&d.org_id, &d.vehicle_id).await;
        let Some(job) = Job::from_decision(d, location) else {
            let mut tx = self.db.begin().await?;
            if inbox::first_delivery(&mut tx, group, event.event_id).await? {
                review::follow_override(&mut tx, d).await?;
            }
            tx.commit().await?;
            return Ok(Placed::Nothing);
        };
        let cause = Cause {
            correlation_id: event.correlation_id,
            causation_id: Some(event.event_id),
        };
        for _ in 0..ATTEMPTS {
            let snapshot = self.snapshot(&job.org_id, None).await?;
            let mut tx = self.db.begin().await?;
            if !inbox::first_delivery(&mut tx, group, event.event_id).await? {
                return Ok(Placed::Nothing);
            }
            review::follow_override(&mut tx, d).await?;
            if covered(&mut tx, &job).await? {
                tx.commit().await?;
                return Ok(Placed::Nothing);
            }
            if !jobs::insert(&mut tx, &job).await? {
                return Ok(Placed::Nothing);
            }
            let placed = if d.disposition == Disposition::Plan {
                Ok(Placed::Planned(job.id))
            } else {
                self.place(&mut tx, &snapshot, job.clone(), cause).await
            };
            match placed {
                Ok(placed) => {
                    tx.commit().await?;
                    self.announce();
                    return Ok(placed);
                }
                Err(BookError::Taken(what)) => {
                    tracing::info!(%what, job = %job.id, "slot taken meanwhile; planning again");
                    tx.rollback().await?;
                }
                Err(BookError::Db(e)) => return Err(e.into()),
            }
        }
        anyhow::bail!(
            "could not book job of decision {} after {ATTEMPTS} attempts",
            d.decision_id
        )
    }

    /// Books `job` at its best slot (critical) or records its options, in `tx`.
    pub(crate) async fn place(
        &self,
        tx: &mut sqlx::PgConnection,
        snapshot: &Snapshot,
        mut job: Job,
        cause: Cause,
    ) -> Result<Placed, BookError> {
        let request = job.request(None);
        if job.auto_books()
            && let Some(slot) = booking::best(snapshot, &request)
        {
            if slot.ends_at > job.due_at {
                let late = (slot.ends_at - job.due_at).num_minutes() as f64 / 60.0;
                job.note = Some(format!(
                    "booked at the earliest feasible slot, {late:.1} h after the urgency window"
                ));
            }
            let a = self.book(tx, &job, &slot, None, None, true, cause).await?;
            return Ok(Placed::Booked(a.id));
        }
        let options = slot_views(snapshot, booking::options(snapshot, &request));
        let proposal_id = Uuid::now_v7();
        let (status, note) = if options.is_empty() {
            (JobStatus::Pending, Some(no_slot_note(&job)))
        } else {
            (JobStatus::Proposed, job.note.clone())
        };
        jobs::set_status(tx, job.id, status, note.as_deref()).await?;
        proposals::insert(tx, proposal_id, &job, &options).await?;
        announce::proposed(tx, cause, proposal_id, &job, &options)
            .await
            .map_err(outbox_error)?;
        Ok(if options.is_empty() {
            Placed::Unplaceable(proposal_id)
        } else {
            Placed::Proposed(proposal_id)
        })
    }

    /// Books `job` at `slot` in `tx` and announces it; the appointment as stored.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn book(
        &self,
        tx: &mut sqlx::PgConnection,
        job: &Job,
        slot: &Slot,
        proposal_id: Option<Uuid>,
        booked_by: Option<&str>,
        auto_booked: bool,
        cause: Cause,
    ) -> Result<Appointment, BookError> {
        let id = Uuid::now_v7();
        appointments::book(
            tx,
            &Booking {
                id,
                job,
                slot,
                proposal_id,
                booked_by,
                auto_booked,
            },
        )
        .await?;
        jobs::set_status(tx, job.id, JobStatus::Booked, job.note.as_deref()).await?;
        proposals::supersede(tx, job.id).await?;
        let a = appointments::get(tx, id)
            .await?
            .ok_or_else(|| BookError::Db(sqlx::Error::RowNotFound))?;
        announce::scheduled(tx, cause, &a)
            .await
            .map_err(outbox_error)?;
        Ok(a)
    }

    /// The options for `job` on a fresh snapshot (409 alternatives).
    pub(crate) async fn alternatives(&self, job: &Job) -> Result<Vec<SlotView>, sqlx::Error> {
        let snapshot = self.snapshot(&job.org_id, None).await?;
        let options = booking::options(&snapshot, &job.request(None));
        Ok(slot_views(&snapshot, options))
    }
}

/// Whether the vehicle's component has open work already that this job adds nothing
/// to: a booking, or options offered (unless this job is critical, which replaces
/// them: the options are withdrawn and the critical job is booked).
async fn covered(tx: &mut sqlx::PgConnection, job: &Job) -> Result<bool, sqlx::Error> {
    let Some(component) = job.component else {
        return Ok(false);
    };
    let open =
        jobs::open_for_component(tx, &job.org_id, &job.vehicle_id, component.as_str()).await?;
    match open {
        None => Ok(false),
        Some(j) if j.status == JobStatus::Booked || !job.auto_books() => Ok(true),
        Some(j) => {
            let note = match job.decision_id {
                Some(d) => format!("replaced by critical work (decision {d})"),
                None => "replaced by critical work".to_owned(),
            };
            jobs::set_status(tx, j.id, JobStatus::Cancelled, Some(&note)).await?;
            proposals::supersede(tx, j.id).await?;
            Ok(false)
        }
    }
}

/// Engine options as the API shows them (center names from the snapshot).
pub(crate) fn slot_views(snapshot: &Snapshot, options: Vec<(OptionLabel, Slot)>) -> Vec<SlotView> {
    options
        .into_iter()
        .map(|(label, s)| slot_view(snapshot, Some(label), &s))
        .collect()
}

/// One engine slot as the API shows it.
pub(crate) fn slot_view(snapshot: &Snapshot, label: Option<OptionLabel>, s: &Slot) -> SlotView {
    SlotView {
        label,
        center_id: s.center_id,
        center_name: snapshot
            .centers
            .iter()
            .find(|c| c.id == s.center_id)
            .map(|c| c.name.clone())
            .unwrap_or_default(),
        technician_id: s.technician_id,
        starts_at: s.starts_at,
        ends_at: s.ends_at,
        parts_from_stock: s.parts_from_stock,
        score: s.score,
        cost: s.cost,
    }
}

fn no_slot_note(job: &Job) -> String {
    format!(
        "no center of the organization has a free {} technician{} within the planning horizon",
        job.skill,
        if job.parts.is_empty() {
            String::new()
        } else {
            " with the parts in stock or orderable".to_owned()
        }
    )
}

/// An outbox failure is a database failure.
fn outbox_error(e: anyhow::Error) -> BookError {
    match e.downcast::<sqlx::Error>() {
        Ok(db) => BookError::Db(db),
        Err(other) => BookError::Db(sqlx::Error::Protocol(other.to_string())),
    }
}
