//! Scoring a replayed fleet's decisions against its truth (issue 14 §3).

use std::collections::{BTreeMap, BTreeSet};

use shared_schemas::events::Severity;

use super::replay::{FaultEpisode, VehicleReplay};
use crate::fleet::{band_index, median, urgency_band};

const DAY: i64 = 86_400;
/// Failures this soon after the run starts are not scored: the engine has not seen
/// the vehicle long enough to learn its baseline (a vehicle that joins the fleet a
/// few days from a breakdown cannot be warned by any prognosis).
pub const WARM_UP_DAYS: i64 = 7;
/// Cost of a false alarm and of a missed failure (the Scania APS challenge's ratio).
pub const FALSE_ALARM_COST: f64 = 10.0;
/// See [`FALSE_ALARM_COST`].
pub const MISSED_FAILURE_COST: f64 = 500.0;

/// An alarm policy's cost figures.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BaselineCost {
    /// Scored failures warned at least a day ahead.
    pub warned: usize,
    /// Alarms about a component without a fault.
    pub false_alarms: usize,
}

/// The decision-level figures of one fleet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DecisionScore {
    /// Vehicles, and of them without any component fault.
    pub vehicles: usize,
    /// See `vehicles`.
    pub healthy_vehicles: usize,
    /// Simulated days.
    pub days: f64,
    /// Faults failing inside the run after the warm-up: the ones scored.
    pub failures: usize,
    /// Faults failing within the warm-up (not scored).
    pub failures_in_warm_up: usize,
    /// Scored failures whose earliest deadline to act fell a day or more before them.
    pub warned: usize,
    /// For each warned failure, the life left at that deadline, as a share of its
    /// onset-to-failure span.
    pub unused_life: Vec<f64>,
    /// The same two figures with deadlines a day before the low end of each RUL's
    /// interval instead of the rules' (see `Decision::act_by_interval`).
    pub by_interval: (usize, Vec<f64>),
    /// Per mode: (scored failures, warned).
    pub by_mode: BTreeMap<String, (usize, usize)>,
    /// Decisions about a faulty component whose true band is known: `[true][decided]`,
    /// bands low (0) to critical (3).
    pub band_confusion: [[usize; 4]; 4],
    /// Decisions two or more bands too low, and of them those taken before the engine
    /// found the part degrading (no RUL interval: the RUL came from the damage level,
    /// not from a trend), the first signs of fast faults.
    pub two_low_before_trend: (usize, usize),
    /// Every decision.
    pub decisions: usize,
    /// Decisions of medium or more about a component without a fault.
    pub false_alarms: usize,
    /// Of them, on vehicles without any fault.
    pub healthy_alarms: usize,
    /// Decisions rated critical, and of them with more than 14 days left.
    pub critical: (usize, usize),
    /// Of the critical decisions with more than 14 days left, those about a component
    /// without a fault, and those a part past its limit made critical.
    pub critical_early_causes: (usize, usize),
    /// Decisions rated high or critical (pages: SMS and push), and of them with more
    /// than 14 days left.
    pub pages: (usize, usize),
    /// RULs of a failing part while it degraded: (with an interval, truth inside).
    pub coverage: (usize, usize),
    /// `component.degraded`: faults alarmed while present, and (vehicle, component)
    /// pairs alarmed without a fault.
    pub alarms: (usize, usize),
    /// Faults present at some point of the run.
    pub faults: usize,
    /// Scored failures alarmed (`component.degraded`) between onset and failure, and
    /// their lead in days.
    pub leads_days: Vec<f64>,
    /// The vehicle's own trouble codes as the alarm.
    pub codes: BaselineCost,
}

impl DecisionScore {
    /// Vehicle-days of the fleet.
    pub fn vehicle_days(&self) -> f64 {
        self.vehicles as f64 * self.days
    }
    /// Share of scored failures warned by their deadline.
    pub fn warned_share(&self) -> f64 {
        share(self.warned, self.failures)
    }
    /// Median unused life at the deadline, share of onset-to-failure.
    pub fn unused_life_p50(&self) -> f64 {
        median(&self.unused_life).unwrap_or(0.0)
    }
    /// [`Self::warned_share`] with the interval's deadlines.
    pub fn warned_share_by_interval(&self) -> f64 {
        share(self.by_interval.0, self.failures)
    }
    /// [`Self::unused_life_p50`] with the interval's deadlines.
    pub fn unused_life_p50_by_interval(&self) -> f64 {
        median(&self.by_interval.1).unwrap_or(0.0)
    }
    /// Shares of decisions with a known true band decided one, and two or more, bands
    /// too low.
    pub fn bands_too_low(&self) -> (f64, f64) {
        let (mut one, mut two, mut n) = (0, 0, 0);
        for (truth, row) in self.band_confusion.iter().enumerate() {
            for (decided, count) in row.iter().enumerate() {
                n += count;
                match truth.saturating_sub(decided) {
                    0 => {}
                    1 => one += count,
                    _ => two += count,
                }
            }
        }
        (share(one, n), share(two, n))
    }
    /// Decisions of medium or more on healthy vehicles per 1,000 of their days.
    pub fn healthy_alarms_per_1000(&self) -> f64 {
        per_1000(
            self.healthy_alarms,
            self.healthy_vehicles as f64 * self.days,
        )
    }
    /// Share of critical decisions with more than 14 days left.
    pub fn critical_early_share(&self) -> f64 {
        share(self.critical.1, self.critical.0)
    }
    /// Share of pages with more than 14 days left.
    pub fn pages_early_share(&self) -> f64 {
        share(self.pages.1, self.pages.0)
    }
    /// Share of the truth inside the engine's 80 % intervals.
    pub fn coverage(&self) -> f64 {
        share(self.coverage.1, self.coverage.0)
    }
    /// `component.degraded` precision: faults alarmed against all alarms.
    pub fn precision(&self) -> f64 {
        share(self.alarms.0, self.alarms.0 + self.alarms.1)
    }
    /// Scored failures alarmed before failing.
    pub fn recall(&self) -> f64 {
        share(self.leads_days.len(), self.failures)
    }
    /// Median lead of the alarmed failures, days.
    pub fn lead_p50(&self) -> f64 {
        median(&self.leads_days).unwrap_or(0.0)
    }
    /// Cost per 1,000 vehicle-days of the pipeline's decisions.
    pub fn cost(&self) -> f64 {
        self.cost_of(BaselineCost {
            warned: self.warned,
            false_alarms: self.false_alarms,
        })
    }
    /// Cost per 1,000 vehicle-days of a fleet that waits for failures.
    pub fn cost_without_prognosis(&self) -> f64 {
        self.cost_of(BaselineCost::default())
    }
    /// Cost per 1,000 vehicle-days of acting on the vehicles' trouble codes.
    pub fn cost_of_codes(&self) -> f64 {
        self.cost_of(self.codes)
    }
    fn cost_of(&self, b: BaselineCost) -> f64 {
        let missed = self.failures - b.warned.min(self.failures);
        let cost = FALSE_ALARM_COST * b.false_alarms as f64 + MISSED_FAILURE_COST * missed as f64;
        1000.0 * cost / self.vehicle_days().max(1.0)
    }
}

fn share(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn per_1000(n: usize, days: f64) -> f64 {
    if days <= 0.0 {
        0.0
    } else {
        1000.0 * n as f64 / days
    }
}

/// Scores `runs`, a fleet simulated from `start` to `end` (Unix seconds).
pub fn score(runs: &[VehicleReplay], start: i64, end: i64) -> DecisionScore {
    let mut s = DecisionScore {
        vehicles: runs.len(),
        days: (end - start) as f64 / DAY as f64,
        ..DecisionScore::default()
    };
    for run in runs {
        if run.faults.is_empty() {
            s.healthy_vehicles += 1;
        }
        s.faults += run.faults.len();
        score_decisions(&mut s, run, end);
        score_alarms(&mut s, run);
        score_intervals(&mut s, run);
        for f in &run.faults {
            let Some(failure) = f.failure else { continue };
            if failure < start + WARM_UP_DAYS * DAY {
                s.failures_in_warm_up += 1;
                continue;
            }
            score_failure(&mut s, run, f, failure);
        }
        s.codes.false_alarms += run
            .codes
            .iter()
            .filter(|(t, c)| run.fault_at(*c, *t).is_none())
            .count();
    }
    s
}

/// Whether the deadlines of `run`'s decisions, its alarms and its trouble codes came
/// in time for the failure of `f`.
fn score_failure(s: &mut DecisionScore, run: &VehicleReplay, f: &FaultEpisode, failure: i64) {
    s.failures += 1;
    let entry = s.by_mode.entry(f.mode.clone()).or_default();
    entry.0 += 1;
    let during = |t: i64| (f.onset..failure).contains(&t);
    let warnings = || {
        run.decisions
            .iter()
            .filter(|d| d.component == f.component && d.warns && during(d.at))
    };
    // The life left at the earliest deadline, as a share of the fault's span, when that
    // deadline comes a day or more before the failure.
    let unused = |deadline: Option<i64>| {
        let span = (failure - f.onset).max(1) as f64;
        deadline
            .filter(|t| *t <= failure - DAY)
            .map(|t| (failure - t) as f64 / span)
    };
    if let Some(u) = unused(warnings().map(|d| d.act_by).min()) {
        s.warned += 1;
        entry.1 += 1;
        s.unused_life.push(u);
    }
    if let Some(u) = unused(warnings().map(|d| d.act_by_interval).min()) {
        s.by_interval.0 += 1;
        s.by_interval.1.push(u);
    }
    if let Some((t, _)) = run
        .degraded
        .iter()
        .find(|(t, c)| *c == f.component && during(*t))
    {
        s.leads_days.push((failure - t) as f64 / DAY as f64);
    }
    if run
        .codes
        .iter()
        .any(|(t, c)| *c == f.component && during(*t) && *t <= failure - DAY)
    {
        s.codes.warned += 1;
    }
}

/// Each decision against the truth of its component.
fn score_decisions(s: &mut DecisionScore, run: &VehicleReplay, end: i64) {
    for (k, d) in run.decisions.iter().enumerate() {
        s.decisions += 1;
        let fault = run.fault_at(d.component, d.at);
        // Days left when the failure is inside the run, else at least so many.
        let left = fault.map(|f| match f.days_left(d.at) {
            Some(days) => (days, true),
            None => (f.days_left_at_least(d.at, end), false),
        });
        let true_band = match left {
            Some((days, true)) => Some(urgency_band(days)),
            Some((days, false)) if days >= 15.0 => Some(0),
            _ => None,
        };
        if let Some(b) = true_band {
            let decided = band_index(d.severity);
            s.band_confusion[usize::from(b)][usize::from(decided)] += 1;
            if b >= decided + 2 {
                s.two_low_before_trend.0 += 1;
                s.two_low_before_trend.1 += usize::from(
                    run.events
                        .get(k)
                        .is_some_and(|e| e.health.rul_interval_days.is_none()),
                );
            }
        }
        if fault.is_none() && d.severity >= Severity::Medium {
            s.false_alarms += 1;
            if run.faults.is_empty() {
                s.healthy_alarms += 1;
            }
        }
        let early = left.is_none_or(|(days, _)| days > 14.0);
        if d.severity >= Severity::High {
            s.pages.0 += 1;
            s.pages.1 += usize::from(early);
        }
        if d.severity == Severity::Critical {
            s.critical.0 += 1;
            if early {
                s.critical.1 += 1;
                s.critical_early_causes.0 += usize::from(fault.is_none());
                s.critical_early_causes.1 += usize::from(d.past_limit);
            }
        }
    }
}

/// `component.degraded`: faults alarmed while present, and components alarmed
/// without a fault.
fn score_alarms(s: &mut DecisionScore, run: &VehicleReplay) {
    let mut alarmed = BTreeSet::new();
    let mut wrong = BTreeSet::new();
    for (t, c) in &run.degraded {
        match run
            .faults
            .iter()
            .position(|f| f.component == *c && f.active_at(*t))
        {
            Some(i) => {
                alarmed.insert(i);
            }
            None => {
                wrong.insert(*c);
            }
        }
    }
    s.alarms.0 += alarmed.len();
    s.alarms.1 += wrong.len();
}

/// The RULs of failing parts while they degraded, against their intervals.
fn score_intervals(s: &mut DecisionScore, run: &VehicleReplay) {
    for (c, truth) in run.degrading_ruls() {
        if let Some([lo, hi]) = c.interval {
            s.coverage.0 += 1;
            s.coverage.1 += usize::from((lo..=hi).contains(&truth));
        }
    }
}

#[cfg(test)]
mod tests;
