//! Placements of one job on its own: the instance's busy blocks hold their slots, its
//! other jobs are ignored. The booking engine offers options from these.

use super::insert::earliest_start;
use super::instance::{DAY_MINUTES, Instance};
use super::model::Model;
use super::state::State;

/// One feasible placement of a job.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Index into `instance.centers`.
    pub center: usize,
    /// Index into that center's `technicians`.
    pub technician: usize,
    pub start_minute: i64,
    pub parts_from_stock: bool,
    /// The job's objective term at this placement.
    pub cost: f64,
}

/// The compiled instance with its busy blocks marked, probed job by job.
#[derive(Debug)]
pub struct Prober {
    model: Model,
    state: State,
}

impl Prober {
    #[must_use]
    pub fn new(instance: &Instance) -> Self {
        let model = Model::new(instance);
        let state = State::new(&model);
        Self { model, state }
    }

    /// Up to `per_center` placements of job `job` (an index into `instance.jobs`) at each
    /// center that can take it: the earliest feasible start there, which is also the
    /// cheapest there (a job's cost at one center only grows with its start), then the
    /// earliest on each later day. Parts come from stock when the center holds them all,
    /// else they are ordered (start no earlier than release + lead time).
    #[must_use]
    pub fn candidates(&self, job: usize, per_center: usize) -> Vec<Candidate> {
        let Some(j) = self.model.jobs.get(job) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (oi, opt) in j.options.iter().enumerate() {
            let from_stock = self.state.has_stock(&self.model, job, opt.center);
            let earliest = if from_stock {
                j.release
            } else if let Some(ready) = opt.ordered_ready {
                ready.max(j.release)
            } else {
                continue;
            };
            let mut from = earliest;
            for _ in 0..per_center {
                let Some((tech, start)) =
                    earliest_start(&self.model, &self.state, job, oi, from, f64::INFINITY)
                else {
                    break;
                };
                out.push(Candidate {
                    center: opt.center,
                    technician: self.model.tech_ref[tech].1,
                    start_minute: start,
                    parts_from_stock: from_stock || j.parts.is_empty(),
                    cost: opt.fixed + j.time_cost(start),
                });
                from = (start.div_euclid(DAY_MINUTES) + 1) * DAY_MINUTES;
            }
        }
        out
    }

    /// The cheapest placement of job `job` on its own, if any.
    #[must_use]
    pub fn cheapest(&self, job: usize) -> Option<Candidate> {
        self.candidates(job, 1)
            .into_iter()
            .min_by(|a, b| a.cost.total_cmp(&b.cost))
    }
}
