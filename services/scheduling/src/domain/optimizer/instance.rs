//! The instance JSON of SPEC section 2. Unknown extra fields are ignored (the SPEC says
//! they may appear); every listed field is typed strictly, and `validate` refuses what
//! the types cannot (seven weekday entries, unique ids, positive durations).

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

/// Minutes in a day.
pub const DAY_MINUTES: i64 = 1440;

/// Why an instance was refused.
#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error("instance JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("invalid instance: {0}")]
    Invalid(String),
}

/// One batch problem.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Instance {
    pub format_version: u32,
    #[serde(default)]
    pub name: String,
    pub horizon: Horizon,
    pub centers: Vec<Center>,
    pub jobs: Vec<Job>,
    pub weights: Weights,
    /// Existing bookings: fixed, never moved, but they hold their technician, vehicle
    /// and a bay (not part of the SPEC's batch problem; the service adds them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub busy: Vec<BusyBlock>,
}

/// A fixed occupation `[start_minute, end_minute)`, not necessarily on the grid: the
/// optimizer treats every slot it touches as taken. An empty `center` or `technician`
/// holds no bay or technician (e.g. the vehicle is booked at a center outside the
/// instance); a `vehicle_id` no job shares holds nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusyBlock {
    pub center: String,
    pub technician: String,
    pub vehicle_id: String,
    pub start_minute: i64,
    pub end_minute: i64,
}

/// The planning horizon: `days` days from a Monday 00:00 UTC, on a grid of `slot_minutes`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Horizon {
    pub start: String,
    pub days: u32,
    pub slot_minutes: i64,
}

/// A service center with its technicians and parts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Center {
    pub id: String,
    pub lat: f64,
    pub lon: f64,
    pub bays: u32,
    /// Seven entries by weekday (0 = Monday): `[open, close)` minutes, `None` = closed.
    pub hours: Vec<Option<[i64; 2]>>,
    pub technicians: Vec<Technician>,
    #[serde(default)]
    pub stock: BTreeMap<String, u32>,
    #[serde(default)]
    pub lead_time_hours: BTreeMap<String, f64>,
    pub rating: f64,
    pub emergency: bool,
}

/// A technician: skills and shifts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Technician {
    pub id: String,
    pub skills: Vec<String>,
    pub shifts: Vec<Shift>,
}

/// One shift, in minutes after midnight of day `day`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Shift {
    pub day: u32,
    pub start_minute: i64,
    pub end_minute: i64,
}

/// What kind of work a job is; emergency jobs need an emergency center (R4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Routine,
    Diagnostic,
    Repair,
    Emergency,
}

/// How urgent a job is; it picks the wait, lateness and unassigned weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

/// One repair job to book.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub vehicle_id: String,
    pub lat: f64,
    pub lon: f64,
    pub kind: JobKind,
    pub duration_minutes: i64,
    pub skill: String,
    #[serde(default)]
    pub parts: BTreeMap<String, u32>,
    pub release_minute: i64,
    pub due_minute: i64,
    pub severity: Severity,
    #[serde(default)]
    pub preferred_center: Option<String>,
    /// Where the vehicle is is not known: no travel term, `lat`/`lon` are ignored (not
    /// part of the SPEC; the service sets it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub location_unknown: bool,
}

/// The objective's weights (SPEC section 5).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Weights {
    pub travel_per_km: f64,
    pub rating_per_point: f64,
    pub preference_miss: f64,
    pub wait_per_hour: BySeverity,
    pub late_per_hour: BySeverity,
    pub unassigned: BySeverity,
}

/// One weight per severity.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct BySeverity {
    pub low: f64,
    pub medium: f64,
    pub high: f64,
    pub critical: f64,
}

impl BySeverity {
    /// The weight of `severity`.
    #[must_use]
    pub fn get(&self, severity: Severity) -> f64 {
        match severity {
            Severity::Low => self.low,
            Severity::Medium => self.medium,
            Severity::High => self.high,
            Severity::Critical => self.critical,
        }
    }
}

impl Instance {
    /// Parses and validates an instance.
    ///
    /// # Errors
    /// Malformed JSON, a missing or mistyped field, or an inconsistency `validate` finds.
    pub fn from_json(text: &str) -> Result<Self, InstanceError> {
        let instance: Self = serde_json::from_str(text)?;
        instance.validate()?;
        Ok(instance)
    }

    /// The horizon's end in minutes (exclusive).
    #[must_use]
    pub fn horizon_end(&self) -> i64 {
        i64::from(self.horizon.days) * DAY_MINUTES
    }

    /// Checks what the types cannot: grid, weekdays, unique ids, positive sizes.
    ///
    /// # Errors
    /// The first problem found, named.
    pub fn validate(&self) -> Result<(), InstanceError> {
        let bad = |m: String| Err(InstanceError::Invalid(m));
        if self.horizon.slot_minutes <= 0 || self.horizon.days == 0 {
            return bad("horizon.slot_minutes and horizon.days must be positive".into());
        }
        let mut ids = HashSet::new();
        let mut tech_ids = HashSet::new();
        for c in &self.centers {
            if !ids.insert(c.id.as_str()) {
                return bad(format!("duplicate center id {}", c.id));
            }
            if c.hours.len() != 7 {
                return bad(format!("center {}: hours must have 7 entries", c.id));
            }
            if c.bays == 0 {
                return bad(format!("center {}: bays must be at least 1", c.id));
            }
            for t in &c.technicians {
                if !tech_ids.insert(t.id.as_str()) {
                    return bad(format!("duplicate technician id {}", t.id));
                }
            }
        }
        let mut job_ids = HashSet::new();
        for j in &self.jobs {
            if !job_ids.insert(j.id.as_str()) {
                return bad(format!("duplicate job id {}", j.id));
            }
            if j.duration_minutes <= 0 {
                return bad(format!("job {}: duration_minutes must be positive", j.id));
            }
        }
        self.validate_busy()
    }

    /// Busy blocks name a known center, one of its technicians, and a non-empty interval.
    fn validate_busy(&self) -> Result<(), InstanceError> {
        for (i, b) in self.busy.iter().enumerate() {
            let problem = if b.end_minute <= b.start_minute {
                Some("end_minute must be after start_minute")
            } else if b.center.is_empty() {
                (!b.technician.is_empty()).then_some("a technician needs its center")
            } else {
                match self.centers.iter().find(|c| c.id == b.center) {
                    None => Some("unknown center"),
                    Some(c) => (!b.technician.is_empty()
                        && !c.technicians.iter().any(|t| t.id == b.technician))
                    .then_some("technician not at that center"),
                }
            };
            if let Some(p) = problem {
                return Err(InstanceError::Invalid(format!("busy[{i}]: {p}")));
            }
        }
        Ok(())
    }
}
