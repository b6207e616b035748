//! The booking engine the service calls: a snapshot of real capacity (centers, shifts,
//! stock, existing bookings) and the jobs to book become an optimizer `Instance` in
//! minutes from a Monday (`frame`); `options` offers three slots for one job, `best` the
//! cheapest (auto-booking critical work), `plan` re-plans many jobs at once.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::optimizer::instance::{BySeverity, JobKind, Severity, Weights};

mod fit;
mod frame;
mod options;
mod plan;

pub use fit::check_slot;
pub use frame::{Frame, MAX_DAYS, SLOT_MINUTES, to_instance};
pub use options::{best, options};
pub use plan::{Plan, plan};

/// Everything the engine needs to know about capacity, read in one go.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub now: DateTime<Utc>,
    pub centers: Vec<CenterSnapshot>,
    /// Existing bookings: they hold their technician, a bay and their vehicle.
    pub busy: Vec<Busy>,
}

/// A service center as it is now.
#[derive(Debug, Clone)]
pub struct CenterSnapshot {
    pub id: Uuid,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub bays: u32,
    /// Opening hours per weekday (0 = Monday), minutes after midnight UTC, [open, close).
    pub hours: [Option<(i64, i64)>; 7],
    pub emergency: bool,
    pub rating: f64,
    pub technicians: Vec<TechnicianSnapshot>,
    /// Units available now (on hand minus reserved by bookings).
    pub stock: BTreeMap<String, u32>,
    pub lead_time_hours: BTreeMap<String, f64>,
}

/// A technician and the shifts they work.
#[derive(Debug, Clone)]
pub struct TechnicianSnapshot {
    pub id: Uuid,
    pub skills: Vec<String>,
    /// Concrete shifts in UTC (days off already removed); may cross midnight.
    pub shifts: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

/// An existing booking.
#[derive(Debug, Clone)]
pub struct Busy {
    pub center_id: Uuid,
    pub technician_id: Uuid,
    pub vehicle_id: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// One piece of work to book.
#[derive(Debug, Clone)]
pub struct JobRequest {
    /// The caller's key for the job (returned in `Plan`); unique within one call.
    pub key: String,
    pub vehicle_id: String,
    /// Where the vehicle is; None = unknown (no travel term).
    pub location: Option<(f64, f64)>,
    pub kind: JobKind,
    pub skill: String,
    pub duration_minutes: i64,
    pub parts: BTreeMap<String, u32>,
    pub release: DateTime<Utc>,
    pub due: DateTime<Utc>,
    pub severity: Severity,
    pub preferred_center: Option<Uuid>,
}

/// A bookable slot.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    pub center_id: Uuid,
    pub technician_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Reserve the parts from stock (true) or order them (false); true without parts.
    pub parts_from_stock: bool,
    /// The job's objective term here (SPEC section 5): travel, rating, preference,
    /// waiting and lateness.
    pub cost: f64,
    /// 0..1, 1 = the best of the options offered: `(1 + best cost) / (1 + cost)`. In a
    /// `Plan`, "best" is the job's cheapest slot were it booked alone.
    pub score: f64,
}

/// The service's objective weights: the SPEC's sample weights, whose wait and lateness
/// weights already rise steeply with severity (critical work weighs urgency higher).
#[must_use]
pub fn weights() -> Weights {
    let by = |low, medium, high, critical| BySeverity {
        low,
        medium,
        high,
        critical,
    };
    Weights {
        travel_per_km: 1.5,
        rating_per_point: 25.0,
        preference_miss: 60.0,
        wait_per_hour: by(1.0, 3.0, 12.0, 40.0),
        late_per_hour: by(4.0, 12.0, 50.0, 200.0),
        unassigned: by(3000.0, 8000.0, 25000.0, 100_000.0),
    }
}

/// `(1 + best) / (1 + cost)`: 1 for the best, towards 0 as the cost grows; costs are
/// never negative (ratings above 5 aside), the `1 +` keeps a zero cost finite.
fn score(best: f64, cost: f64) -> f64 {
    ((1.0 + best.max(0.0)) / (1.0 + cost.max(0.0))).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests;
