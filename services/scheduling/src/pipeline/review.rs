//! A person's review overrode a decision (`agent.decision.made` with `supersedes`): the
//! reviewed decision becomes the vehicle component's current one. Work the superseded
//! decision asked for and nobody booked yet is withdrawn, so the reviewed decision is
//! placed as a new one would be (a lower severity gets later options or none, a higher
//! one tighter options or a booking at once). An appointment already booked stands: an
//! owner chose it (or critical work took a bay), so it is noted, not cancelled behind
//! their back; people reschedule or cancel it.

use shared_schemas::events::DecisionMade;
use sqlx::PgConnection;

use crate::db::{jobs, proposals};
use crate::domain::job::JobStatus;

/// Withdraws or notes, in `tx`, the job of the decision `d` supersedes, if any.
pub(crate) async fn follow_override(
    tx: &mut PgConnection,
    d: &DecisionMade,
) -> Result<(), sqlx::Error> {
    let Some(superseded) = d.supersedes else {
        return Ok(());
    };
    let Some(job) = jobs::by_decision(&mut *tx, superseded).await? else {
        return Ok(());
    };
    // A decision only speaks for its own organization's vehicle.
    if job.org_id != d.org_id || job.vehicle_id != d.vehicle_id {
        return Ok(());
    }
    let change = format!(
        "a review replaced decision {superseded} ({}) by decision {} ({})",
        job.severity.as_str(),
        d.decision_id,
        d.severity.as_str()
    );
    match job.status {
        JobStatus::Pending | JobStatus::Proposed => {
            let note = format!("withdrawn: {change}");
            jobs::set_status(tx, job.id, JobStatus::Cancelled, Some(&note)).await?;
            proposals::supersede(tx, job.id).await
        }
        JobStatus::Booked => {
            let note = format!(
                "{change}; the booked appointment stands: reschedule or cancel it if the \
                 review calls for it"
            );
            jobs::set_status(tx, job.id, JobStatus::Booked, Some(&note)).await
        }
        JobStatus::Done | JobStatus::Cancelled => Ok(()),
    }
}
