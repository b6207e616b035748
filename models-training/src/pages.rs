//! Pages (SMS and push: alerts of critical severity or above) a replayed fleet would
//! have sent, scored against the truth: how many came with more than two weeks left,
//! the alert fatigue a fleet manager feels, and how many faults were paged in time.
//!
//! Two policies, so that the change is measured rather than assumed:
//! - *health band*: every `component.critical` (the critical health band, about three
//!   weeks from the limit) pages, and so does every decision rated high or critical;
//! - *urgency band*: only decisions rated high or critical page (RUL under 8 days), as
//!   the alert service maps `component.critical` by the urgency of its RUL.

use std::collections::BTreeMap;

use shared_schemas::events::Component;

use crate::fleet::{VehicleRun, truth_component};

/// Which events page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagePolicy {
    /// `component.critical` pages, whatever the time left.
    HealthBand,
    /// Only an urgency band of high or critical pages.
    UrgencyBand,
}

/// Pages of a fleet under one policy.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageScore {
    /// Pages sent (first per vehicle and component).
    pub pages: usize,
    /// Of them, with more than 14 days to the failure of the paged part (or about a
    /// part that does not fail in the run).
    pub early: usize,
    /// Faults failing within the run.
    pub failures: usize,
    /// Of them, paged at least a day before the failure.
    pub paged_in_time: usize,
}

impl PageScore {
    /// Share of pages with more than 14 days left.
    pub fn early_share(&self) -> f64 {
        if self.pages == 0 {
            0.0
        } else {
            self.early as f64 / self.pages as f64
        }
    }
}

/// When `run` first paged about each component under `policy`.
fn first_pages(run: &VehicleRun, policy: PagePolicy) -> BTreeMap<Component, i64> {
    let mut pages = run.first_urgent.clone();
    if policy == PagePolicy::HealthBand {
        for (c, t) in &run.first_critical {
            let first = pages.entry(*c).or_insert(*t);
            *first = (*first).min(*t);
        }
    }
    pages
}

/// Scores the pages of `runs` (a fleet simulated until `end`, Unix seconds).
pub fn score_pages(runs: &[VehicleRun], end: i64, policy: PagePolicy) -> PageScore {
    const DAY: f64 = 86_400.0;
    let mut s = PageScore::default();
    for run in runs {
        let fault = run
            .vehicle
            .degradation
            .map(|d| (truth_component(&d), d.onset, d.failure));
        let pages = first_pages(run, policy);
        for (c, t) in &pages {
            s.pages += 1;
            let left = match fault {
                Some((fc, _, failure)) if fc == *c && *t <= failure => (failure - t) as f64 / DAY,
                _ => f64::INFINITY,
            };
            if left > 14.0 {
                s.early += 1;
            }
        }
        if let Some((fc, onset, failure)) = fault
            && failure < end
        {
            s.failures += 1;
            if pages
                .get(&fc)
                .is_some_and(|t| *t >= onset && (failure - t) as f64 >= DAY)
            {
                s.paged_in_time += 1;
            }
        }
    }
    s
}
