//! Batch re-planning: the optimizer on all jobs at once, existing bookings fixed.

use std::collections::HashMap;
use std::time::Duration;

use super::frame::to_instance;
use super::options::slot;
use super::{JobRequest, Slot, Snapshot, score};
use crate::domain::optimizer::objective::{center_cost, time_cost};
use crate::domain::optimizer::{
    Assignment, Candidate, Instance, Prober, SolveOptions, check, objective, solve,
};

/// A proposed schedule, not yet committed.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// `(job key, slot)`; a slot's score compares it with the job's cheapest slot were
    /// it booked alone.
    pub assignments: Vec<(String, Slot)>,
    /// Keys of the jobs left out (no feasible slot, or others needed the capacity).
    pub unassigned: Vec<String>,
    /// The optimizer's objective `Z` (SPEC section 5) of this plan.
    pub objective: f64,
}

/// Plans `jobs` together within `time_limit`, reproducibly for a given `seed` and
/// iteration count. Invalid input (duplicate keys, a non-positive duration) plans
/// nothing: every job is unassigned.
#[must_use]
pub fn plan(s: &Snapshot, jobs: &[JobRequest], time_limit: Duration, seed: u64) -> Plan {
    let Ok((instance, frame)) = to_instance(s, jobs) else {
        return nothing(jobs);
    };
    let mut options = SolveOptions::within(time_limit);
    options.seed = seed;
    let solution = solve(&instance, options).solution;
    if !check(&instance, &solution).is_empty() {
        // An optimizer bug: never hand out an infeasible plan.
        debug_assert!(false, "infeasible plan");
        return nothing(jobs);
    }
    let prober = Prober::new(&instance);
    let index: HashMap<&str, usize> = jobs
        .iter()
        .enumerate()
        .map(|(i, j)| (j.key.as_str(), i))
        .collect();
    let assignments = solution
        .assignments
        .iter()
        .filter_map(|a| {
            let ji = *index.get(a.job.as_str())?;
            let c = candidate(&instance, ji, a)?;
            let alone = prober.cheapest(ji).map_or(c.cost, |b| b.cost);
            let slot = slot(s, &frame, &jobs[ji], &c, score(alone, c.cost));
            Some((a.job.clone(), slot))
        })
        .collect();
    Plan {
        assignments,
        unassigned: solution.unassigned.clone(),
        objective: objective(&instance, &solution),
    }
}

/// Every job unassigned, at its penalty.
fn nothing(jobs: &[JobRequest]) -> Plan {
    let w = super::weights();
    Plan {
        assignments: Vec::new(),
        unassigned: jobs.iter().map(|j| j.key.clone()).collect(),
        objective: jobs.iter().map(|j| w.unassigned.get(j.severity)).sum(),
    }
}

/// The solution's assignment of job `ji` in indices, with its objective term.
fn candidate(instance: &Instance, ji: usize, a: &Assignment) -> Option<Candidate> {
    let center = instance.centers.iter().position(|c| c.id == a.center)?;
    let c = &instance.centers[center];
    let technician = c.technicians.iter().position(|t| t.id == a.technician)?;
    let job = &instance.jobs[ji];
    Some(Candidate {
        center,
        technician,
        start_minute: a.start_minute,
        parts_from_stock: a.parts_from_stock,
        cost: center_cost(instance, job, c) + time_cost(instance, job, a.start_minute),
    })
}
