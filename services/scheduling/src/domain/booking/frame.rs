//! Snapshot and jobs to an optimizer `Instance`: minutes from the Monday 00:00 UTC on or
//! before `now`, on a 30-minute grid, for as many days as the latest due date needs
//! plus a margin for ordered parts (at most `MAX_DAYS`).

use chrono::{DateTime, Datelike, Duration, SecondsFormat, TimeDelta, Utc};

use super::{Busy, CenterSnapshot, JobRequest, Snapshot, TechnicianSnapshot};
use crate::domain::optimizer::instance::{
    BusyBlock, Center, DAY_MINUTES, Horizon, Instance, Job, Shift, Technician,
};

/// The grid, minutes.
pub const SLOT_MINUTES: i64 = 30;
/// Days planned beyond `now` or the latest due date, whichever is later: room for lead
/// times and late work.
const MARGIN_DAYS: i64 = 7;
/// The longest horizon (the optimizer's cost grows with it).
pub const MAX_DAYS: i64 = 35;

/// The instance's time axis: minute 0 is `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub start: DateTime<Utc>,
    pub days: i64,
}

impl Frame {
    /// Monday 00:00 UTC on or before `now`; days to cover `now`, every due date and the
    /// margin, at most `MAX_DAYS`.
    #[must_use]
    pub fn new(now: DateTime<Utc>, jobs: &[JobRequest]) -> Self {
        let monday =
            now.date_naive() - Duration::days(i64::from(now.weekday().num_days_from_monday()));
        let start = monday.and_time(chrono::NaiveTime::MIN).and_utc();
        let last = jobs.iter().map(|j| j.due).fold(now, DateTime::max);
        let days = (last - start).num_days() + 1 + MARGIN_DAYS;
        Self {
            start,
            days: days.clamp(1, MAX_DAYS),
        }
    }

    /// Minutes from the start, rounded down.
    #[must_use]
    pub fn minute(&self, t: DateTime<Utc>) -> i64 {
        (t - self.start).num_seconds().div_euclid(60)
    }

    /// Minutes from the start, rounded up to the grid.
    #[must_use]
    pub fn minute_on_grid_up(&self, t: DateTime<Utc>) -> i64 {
        let seconds = (t - self.start).num_seconds();
        let slot = SLOT_MINUTES * 60;
        (seconds + slot - 1).div_euclid(slot) * SLOT_MINUTES
    }

    /// The instant `minute` minutes from the start.
    #[must_use]
    pub fn at(&self, minute: i64) -> DateTime<Utc> {
        self.start + TimeDelta::minutes(minute)
    }
}

/// The optimizer instance of `jobs` (in order, ids = keys) against the snapshot's
/// capacity, with existing bookings as busy blocks, and its time frame.
///
/// # Errors
/// What `Instance::validate` refuses: duplicate job keys or ids, a non-positive duration.
pub fn to_instance(
    s: &Snapshot,
    jobs: &[JobRequest],
) -> Result<(Instance, Frame), crate::domain::optimizer::InstanceError> {
    let frame = Frame::new(s.now, jobs);
    let instance = Instance {
        format_version: 1,
        name: "booking".into(),
        horizon: Horizon {
            start: frame.start.to_rfc3339_opts(SecondsFormat::Secs, true),
            days: u32::try_from(frame.days).unwrap_or(1),
            slot_minutes: SLOT_MINUTES,
        },
        centers: s.centers.iter().map(|c| center(&frame, c)).collect(),
        jobs: jobs.iter().map(|j| job(&frame, s.now, j)).collect(),
        weights: super::weights(),
        busy: s
            .busy
            .iter()
            .map(|b| busy(&frame, s, b))
            .filter(|b| b.start_minute < b.end_minute)
            .collect(),
    };
    instance.validate()?;
    Ok((instance, frame))
}

fn center(frame: &Frame, c: &CenterSnapshot) -> Center {
    Center {
        id: c.id.to_string(),
        lat: c.lat,
        lon: c.lon,
        bays: c.bays,
        hours: c.hours.iter().map(|h| h.map(|(o, e)| [o, e])).collect(),
        technicians: c.technicians.iter().map(|t| technician(frame, t)).collect(),
        stock: c.stock.clone(),
        lead_time_hours: c.lead_time_hours.clone(),
        rating: c.rating,
        emergency: c.emergency,
    }
}

/// Shifts split at UTC midnight into per-day shifts, clipped to the horizon.
fn technician(frame: &Frame, t: &TechnicianSnapshot) -> Technician {
    let end = frame.days * DAY_MINUTES;
    let mut shifts = Vec::new();
    for &(from, to) in &t.shifts {
        let (mut a, b) = (frame.minute(from).max(0), frame.minute(to).min(end));
        while a < b {
            let day = a.div_euclid(DAY_MINUTES);
            let day_end = (day + 1) * DAY_MINUTES;
            shifts.push(Shift {
                day: u32::try_from(day).unwrap_or(0),
                start_minute: a - day * DAY_MINUTES,
                end_minute: b.min(day_end) - day * DAY_MINUTES,
            });
            a = day_end;
        }
    }
    Technician {
        id: t.id.to_string(),
        skills: t.skills.clone(),
        shifts,
    }
}

fn job(frame: &Frame, now: DateTime<Utc>, j: &JobRequest) -> Job {
    let (lat, lon) = j.location.unwrap_or((0.0, 0.0));
    Job {
        id: j.key.clone(),
        vehicle_id: j.vehicle_id.clone(),
        lat,
        lon,
        kind: j.kind,
        duration_minutes: j.duration_minutes,
        skill: j.skill.clone(),
        parts: j.parts.clone(),
        release_minute: frame.minute_on_grid_up(j.release.max(now)),
        due_minute: frame.minute(j.due),
        severity: j.severity,
        preferred_center: j.preferred_center.map(|c| c.to_string()),
        location_unknown: j.location.is_none(),
    }
}

/// A booking as a busy block; one at a center outside the snapshot holds only its
/// vehicle, one whose technician left the center holds the bay and the vehicle.
fn busy(frame: &Frame, s: &Snapshot, b: &Busy) -> BusyBlock {
    let center = s.centers.iter().find(|c| c.id == b.center_id);
    let tech = center.and_then(|c| c.technicians.iter().find(|t| t.id == b.technician_id));
    let end_seconds = (b.ends_at - frame.start).num_seconds();
    BusyBlock {
        center: center.map(|c| c.id.to_string()).unwrap_or_default(),
        technician: tech.map(|t| t.id.to_string()).unwrap_or_default(),
        vehicle_id: b.vehicle_id.clone(),
        start_minute: frame.minute(b.starts_at),
        end_minute: (end_seconds + 59).div_euclid(60),
    }
}
