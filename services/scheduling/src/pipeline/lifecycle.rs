//! An appointment's life over REST: booking a chosen slot (directly or by approving a
//! proposal's option), rescheduling, cancelling, no-show, the work order (start,
//! complete) and assigning another technician. Each change commits with its events.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::announce::{self, Cause};
use super::booking::Booker;
use crate::db::appointments::{self, BookError, Completion};
use crate::db::{jobs, proposals};
use crate::domain::appointment::{Appointment, AppointmentStatus};
use crate::domain::booking;
use crate::domain::job::{Job, JobStatus};
use crate::error::{ApiError, BookingError};

/// A slot a person chose.
#[derive(Debug, Clone, Copy)]
pub struct Choice {
    /// The center.
    pub center_id: Uuid,
    /// The technician; any free one with the skill when absent.
    pub technician_id: Option<Uuid>,
    /// Start.
    pub starts_at: DateTime<Utc>,
}

impl Booker {
    /// A 409 naming `what` with the options free now for `job`.
    async fn conflict(&self, job: &Job, what: String) -> ApiError {
        match self.alternatives(job).await {
            Ok(alternatives) => ApiError::Service(BookingError::Conflict {
                message: what,
                alternatives,
            }),
            Err(e) => e.into(),
        }
    }

    /// Books a new `job` at `choice` for `by` (the job is created with the booking).
    pub async fn book_new(
        &self,
        job: Job,
        choice: Choice,
        by: &str,
    ) -> Result<Appointment, ApiError> {
        self.book_chosen(job, choice, None, by, true).await
    }

    /// Books the option `index` of proposal `proposal` for `by`. An option taken
    /// meanwhile (options are offers, not reservations: critical work books at once)
    /// answers 409, and the proposal's options become the slots free now, so that the
    /// next look at the proposal offers only what can still be booked.
    pub async fn approve(
        &self,
        proposal_id: Uuid,
        job: Job,
        choice: Choice,
        by: &str,
    ) -> Result<Appointment, ApiError> {
        let booked = self
            .book_chosen(job, choice, Some(proposal_id), by, false)
            .await;
        if let Err(ApiError::Service(BookingError::Conflict { alternatives, .. })) = &booked
            && !alternatives.is_empty()
        {
            proposals::refresh_options(&self.db, proposal_id, alternatives).await?;
        }
        booked
    }

    async fn book_chosen(
        &self,
        job: Job,
        choice: Choice,
        proposal_id: Option<Uuid>,
        by: &str,
        new_job: bool,
    ) -> Result<Appointment, ApiError> {
        let snapshot = self.snapshot(&job.org_id, None).await?;
        let request = job.request(None);
        let slot = match booking::check_slot(
            &snapshot,
            &request,
            choice.center_id,
            choice.technician_id,
            choice.starts_at,
        ) {
            Ok(slot) => slot,
            Err(why) => return Err(self.conflict(&job, why).await),
        };
        let mut tx = self.db.begin().await?;
        if new_job {
            jobs::insert(&mut tx, &job).await?;
        }
        if let Some(p) = proposal_id
            && !proposals::approve(&mut tx, p, by).await?
        {
            return Err(ApiError::Conflict(
                "the proposal is no longer open (approved already, or superseded)".into(),
            ));
        }
        let booked = self
            .book(
                &mut tx,
                &job,
                &slot,
                proposal_id,
                Some(by),
                false,
                Cause::request(),
            )
            .await;
        match booked {
            Ok(a) => {
                tx.commit().await?;
                self.announce();
                Ok(a)
            }
            Err(BookError::Taken(what)) => {
                tx.rollback().await?;
                Err(self.conflict(&job, what).await)
            }
            Err(BookError::Db(e)) => Err(e.into()),
        }
    }

    /// Moves an open appointment to `choice`; one more revision, announced again.
    pub async fn reschedule(
        &self,
        a: &Appointment,
        choice: Choice,
    ) -> Result<Appointment, ApiError> {
        require_status(a, &[AppointmentStatus::Scheduled], "rescheduled")?;
        let mut conn = self.db.acquire().await?;
        let job = jobs::get(&mut conn, a.job_id)
            .await?
            .ok_or_else(|| ApiError::NotFound("the appointment's job is gone".into()))?;
        drop(conn);
        let snapshot = self.snapshot(&a.org_id, Some(a.id)).await?;
        let request = job.request(None);
        let slot = booking::check_slot(
            &snapshot,
            &request,
            choice.center_id,
            choice.technician_id,
            choice.starts_at,
        );
        let slot = match slot {
            Ok(s) => s,
            Err(why) => return Err(self.conflict(&job, why).await),
        };
        let mut tx = self.db.begin().await?;
        appointments::release(&mut tx, a.id).await?;
        let held = if slot.parts_from_stock {
            job.parts.clone()
        } else {
            Default::default()
        };
        let moved = match appointments::reserve(&mut tx, slot.center_id, &held).await {
            Ok(()) => appointments::move_to(&mut tx, a.id, &slot, &held).await,
            Err(e) => Err(e),
        };
        match moved {
            Ok(()) => {}
            Err(BookError::Taken(what)) => {
                tx.rollback().await?;
                return Err(self.conflict(&job, what).await);
            }
            Err(BookError::Db(e)) => return Err(e.into()),
        }
        let moved = fetch(&mut tx, a.id).await?;
        announce::scheduled(&mut tx, Cause::request(), &moved).await?;
        tx.commit().await?;
        self.announce();
        Ok(moved)
    }

    /// Cancels an open appointment (or records a no-show): the slot and parts are
    /// freed and the job waits for a new slot.
    pub async fn cancel(
        &self,
        a: &Appointment,
        by: &str,
        reason: &str,
        no_show: bool,
    ) -> Result<Appointment, ApiError> {
        require_status(a, &[AppointmentStatus::Scheduled], "cancelled")?;
        let status = if no_show {
            AppointmentStatus::NoShow
        } else {
            AppointmentStatus::Cancelled
        };
        let mut tx = self.db.begin().await?;
        appointments::set_status(&mut tx, a.id, status, Some(reason)).await?;
        appointments::release(&mut tx, a.id).await?;
        jobs::set_status(
            &mut tx,
            a.job_id,
            JobStatus::Pending,
            Some("its appointment was cancelled"),
        )
        .await?;
        let a = fetch(&mut tx, a.id).await?;
        announce::cancelled(&mut tx, Cause::request(), &a, Some(by), reason, no_show).await?;
        tx.commit().await?;
        self.announce();
        Ok(a)
    }

    /// Starts the work order.
    pub async fn start(
        &self,
        a: &Appointment,
        technician_id: Uuid,
    ) -> Result<Appointment, ApiError> {
        require_status(a, &[AppointmentStatus::Scheduled], "started")?;
        let mut tx = self.db.begin().await?;
        appointments::set_status(&mut tx, a.id, AppointmentStatus::InProgress, None).await?;
        appointments::start_work(&mut tx, a.id, technician_id, Utc::now()).await?;
        let a = fetch(&mut tx, a.id).await?;
        tx.commit().await?;
        Ok(a)
    }

    /// Completes the work order: stock used, the job done, a maintenance plan's last
    /// service moved, `appointment.completed` announced.
    pub async fn complete(
        &self,
        a: &Appointment,
        c: &Completion<'_>,
        components: Vec<shared_schemas::events::Component>,
    ) -> Result<Appointment, ApiError> {
        require_status(
            a,
            &[AppointmentStatus::Scheduled, AppointmentStatus::InProgress],
            "completed",
        )?;
        let mut tx = self.db.begin().await?;
        appointments::complete_work(&mut tx, a, c).await?;
        appointments::set_status(&mut tx, a.id, AppointmentStatus::Completed, None).await?;
        jobs::set_status(&mut tx, a.job_id, JobStatus::Done, None).await?;
        crate::db::maintenance::serviced(&mut tx, a.job_id, c).await?;
        let done = fetch(&mut tx, a.id).await?;
        announce::completed(&mut tx, Cause::request(), &done, components).await?;
        tx.commit().await?;
        self.announce();
        Ok(done)
    }

    /// Gives the appointment to another technician of its center.
    pub async fn assign(
        &self,
        a: &Appointment,
        technician_id: Uuid,
    ) -> Result<Appointment, ApiError> {
        require_status(a, &[AppointmentStatus::Scheduled], "reassigned")?;
        self.reschedule_keeping_time(a, technician_id).await
    }

    async fn reschedule_keeping_time(
        &self,
        a: &Appointment,
        technician_id: Uuid,
    ) -> Result<Appointment, ApiError> {
        let mut tx = self.db.begin().await?;
        let updated = sqlx::query(
            "UPDATE appointments a SET technician_id = $2, updated_at = now() \
             FROM technicians t, jobs j WHERE a.id = $1 AND t.id = $2 AND t.center_id = a.center_id \
               AND t.active AND j.id = a.job_id AND j.skill = ANY(t.skills)",
        )
        .bind(a.id)
        .bind(technician_id)
        .execute(&mut *tx)
        .await
        .map_err(appointments::taken);
        match updated {
            Ok(r) if r.rows_affected() == 1 => {}
            Ok(_) => {
                return Err(ApiError::BadRequest(format!(
                    "technician {technician_id} is not an active technician of the appointment's center with the skill"
                )));
            }
            Err(BookError::Taken(what)) => return Err(ApiError::Conflict(what)),
            Err(BookError::Db(e)) => return Err(e.into()),
        }
        let a = fetch(&mut tx, a.id).await?;
        announce::assigned(&mut tx, Cause::request(), &a).await?;
        tx.commit().await?;
        self.announce();
        Ok(a)
    }
}

async fn fetch(conn: &mut sqlx::PgConnection, id: Uuid) -> Result<Appointment, ApiError> {
    appointments::get(conn, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("appointment {id} vanished")))
}

fn require_status(
    a: &Appointment,
    allowed: &[AppointmentStatus],
    verb: &str,
) -> Result<(), ApiError> {
    if allowed.contains(&a.status) {
        Ok(())
    } else {
        Err(ApiError::Conflict(format!(
            "an appointment that is {} cannot be {verb}",
            a.status.as_str().replace('_', " ")
        )))
    }
}
