//! Preventive maintenance: a service every so many km, engine hours or days, whichever
//! comes first. `due` says whether a vehicle's next service is due, soon or overdue.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

/// Seconds in a day.
const DAY_SECONDS: f64 = 86_400.0;
/// "Due soon" within this share of the interval ...
const SOON_SHARE: f64 = 0.10;
/// ... or within this many days at the current rate of use.
const SOON_DAYS: f64 = 7.0;

/// A preventive-maintenance plan and the service it books.
#[derive(Debug, Clone, PartialEq)]
pub struct MaintenancePlan {
    pub every_km: Option<f64>,
    pub every_engine_hours: Option<f64>,
    pub every_days: Option<u32>,
    pub skill: String,
    pub duration_minutes: i64,
    pub parts: BTreeMap<String, u32>,
    pub title: String,
}

impl MaintenancePlan {
    /// At least one positive, finite interval; a known skill; a positive duration.
    ///
    /// # Errors
    /// The first problem, named (for a 400).
    pub fn validate(&self) -> Result<(), String> {
        let bad = |v: Option<f64>| v.is_some_and(|x| !x.is_finite() || x <= 0.0);
        if self.every_km.is_none() && self.every_engine_hours.is_none() && self.every_days.is_none()
        {
            return Err("a plan needs every_km, every_engine_hours or every_days".into());
        }
        if bad(self.every_km) || bad(self.every_engine_hours) || self.every_days == Some(0) {
            return Err("intervals must be positive".into());
        }
        if self.duration_minutes <= 0 {
            return Err("duration_minutes must be positive".into());
        }
        super::catalog::validate_skills(&[self.skill.as_str()])
    }
}

/// The last service: when, and the counters then (missing when not recorded).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LastService {
    pub at: DateTime<Utc>,
    pub odometer_km: Option<f64>,
    pub engine_hours: Option<f64>,
}

/// The vehicle's counters now; `daily_km` is its current daily distance, if known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Counters {
    pub at: DateTime<Utc>,
    pub odometer_km: Option<f64>,
    pub engine_hours: Option<f64>,
    pub daily_km: Option<f64>,
}

/// Which interval triggered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Distance,
    EngineHours,
    Time,
}

/// Where a vehicle stands against a plan. `remaining` and `by` are in the trigger's
/// unit: km, engine hours or days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DueStatus {
    NotDue,
    DueSoon {
        trigger: Trigger,
        remaining: f64,
        /// When it falls due at the current rate of use; None when the rate is unknown.
        estimated_date: Option<DateTime<Utc>>,
    },
    Overdue {
        trigger: Trigger,
        by: f64,
    },
}

impl Trigger {
    /// The unit of its amounts.
    pub fn unit(self) -> &'static str {
        match self {
            Self::Distance => "km",
            Self::EngineHours => "engine hours",
            Self::Time => "days",
        }
    }
}

impl DueStatus {
    /// In words, for the job's note and the proposal: e.g. "due in 420 km".
    pub fn describe(&self) -> String {
        match self {
            Self::NotDue => "not due".to_owned(),
            Self::DueSoon {
                trigger, remaining, ..
            } => format!("due in {remaining:.0} {}", trigger.unit()),
            Self::Overdue { trigger, by } => format!("overdue by {by:.0} {}", trigger.unit()),
        }
    }
}

/// One trigger evaluated: interval, amount left (negative when overdue), rate per day.
#[derive(Debug, Clone, Copy)]
struct Reading {
    trigger: Trigger,
    interval: f64,
    remaining: f64,
    per_day: Option<f64>,
}

/// The plan's status: each interval it has is evaluated; an overdue one beats a due-soon
/// one, and among equals the one with the smallest share of its interval left wins
/// ("whichever comes first"). An odometer or engine-hour
/// counter that is missing or went backwards is not trusted: distance then falls back
/// to the daily distance times the days since the service, engine hours are skipped;
/// time always counts (a clock before the last service counts as no time passed).
#[must_use]
pub fn due(plan: &MaintenancePlan, last: &LastService, now: &Counters) -> DueStatus {
    let days = ((now.at - last.at).num_seconds() as f64 / DAY_SECONDS).max(0.0);
    let readings = [
        distance(plan, last, now, days),
        engine_hours(plan, last, now, days),
        plan.every_days.map(|d| Reading {
            trigger: Trigger::Time,
            interval: f64::from(d),
            remaining: f64::from(d) - days,
            per_day: Some(1.0),
        }),
    ];
    readings
        .into_iter()
        .flatten()
        .filter(|r| r.interval > 0.0 && r.remaining.is_finite())
        .map(|r| (rank(&status(r, now.at)), r.remaining / r.interval, r))
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)))
        .map_or(DueStatus::NotDue, |(_, _, r)| status(r, now.at))
}

/// Overdue before due soon before not due.
const fn rank(s: &DueStatus) -> u8 {
    match s {
        DueStatus::Overdue { .. } => 0,
        DueStatus::DueSoon { .. } => 1,
        DueStatus::NotDue => 2,
    }
}

fn distance(
    plan: &MaintenancePlan,
    last: &LastService,
    now: &Counters,
    days: f64,
) -> Option<Reading> {
    let interval = plan.every_km?;
    let measured = match (last.odometer_km, now.odometer_km) {
        (Some(a), Some(b)) if b >= a => Some(b - a),
        _ => None,
    };
    let daily = now.daily_km.filter(|d| d.is_finite() && *d > 0.0);
    let used = measured.or_else(|| daily.map(|d| d * days))?;
    let per_day = daily.or_else(|| (days > 0.0 && used > 0.0).then(|| used / days));
    Some(Reading {
        trigger: Trigger::Distance,
        interval,
        remaining: interval - used,
        per_day,
    })
}

fn engine_hours(
    plan: &MaintenancePlan,
    last: &LastService,
    now: &Counters,
    days: f64,
) -> Option<Reading> {
    let interval = plan.every_engine_hours?;
    let (a, b) = (last.engine_hours?, now.engine_hours?);
    if b < a {
        return None;
    }
    let used = b - a;
    Some(Reading {
        trigger: Trigger::EngineHours,
        interval,
        remaining: interval - used,
        per_day: (days > 0.0 && used > 0.0).then(|| used / days),
    })
}

/// Overdue at or past the interval; due soon within 10 % of it or 7 days of use.
fn status(r: Reading, now: DateTime<Utc>) -> DueStatus {
    if r.remaining <= 0.0 {
        return DueStatus::Overdue {
            trigger: r.trigger,
            by: -r.remaining,
        };
    }
    let days_left = r.per_day.map(|rate| r.remaining / rate);
    let soon = r.remaining <= SOON_SHARE * r.interval || days_left.is_some_and(|d| d <= SOON_DAYS);
    if !soon {
        return DueStatus::NotDue;
    }
    let estimated_date = days_left.and_then(|d| {
        let seconds = (d * DAY_SECONDS).round();
        (seconds < 1e12).then(|| now + TimeDelta::seconds(seconds as i64))
    });
    DueStatus::DueSoon {
        trigger: r.trigger,
        remaining: r.remaining,
        estimated_date,
    }
}

#[cfg(test)]
#[path = "maintenance_plan_tests.rs"]
mod tests;
