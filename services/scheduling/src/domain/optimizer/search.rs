//! The optimizer: greedy construction (cheapest insertion in a few priority orders),
//! then large-neighbourhood search (ruin and recreate): remove a handful of related
//! jobs, reinsert them cheapest-first in a randomized priority order, keep the result
//! under a simulated-annealing rule, until the deadline. Seeded, so a run is
//! reproducible for a given number of iterations; several workers with different seeds
//! run side by side and the best schedule wins.

use std::time::{Duration, Instant};

use super::insert::best_insertion;
use super::instance::Instance;
use super::model::Model;
use super::rng::Rng;
use super::solution::{Assignment, Solution};
use super::state::{Placement, State};

/// How long and how to search.
#[derive(Debug, Clone, Copy)]
pub struct SolveOptions {
    /// Searching stops at this instant (the construction always completes).
    pub deadline: Instant,
    pub seed: u64,
    /// Independent search workers (threads), at least 1.
    pub workers: usize,
}

impl SolveOptions {
    /// A search of `budget` from now, seed 1, one worker per available core (at most 2).
    #[must_use]
    pub fn within(budget: Duration) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Self {
            deadline: Instant::now() + budget,
            seed: 1,
            workers: cores.clamp(1, 2),
        }
    }
}

/// The best schedule found and how the search went.
#[derive(Debug, Clone)]
pub struct SolveReport {
    pub solution: Solution,
    /// The search's own objective of `solution` (recompute with `objective` to verify).
    pub objective: f64,
    pub construction_objective: f64,
    pub iterations: u64,
}

/// Solves the batch problem: never fails, since leaving every job unassigned is feasible.
#[must_use]
pub fn solve(instance: &Instance, options: SolveOptions) -> SolveReport {
    let model = Model::new(instance);
    let workers = options.workers.max(1);
    let results: Vec<(Vec<Option<Placement>>, f64, f64, u64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let model = &model;
                let seed = options.seed.wrapping_add(w as u64 * 0x5851_F42D);
                scope.spawn(move || Search::new(model, seed).run(options.deadline))
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let iterations = results.iter().map(|r| r.3).sum();
    // The first worker with the lowest cost wins: deterministic for given iteration counts.
    let best = results
        .into_iter()
        .reduce(|a, b| if b.1 < a.1 { b } else { a });
    let (placed, cost, construction) = best.map_or_else(
        || (vec![None; model.jobs.len()], f64::INFINITY, f64::INFINITY),
        |(p, c, k, _)| (p, c, k),
    );
    SolveReport {
        solution: to_solution(instance, &model, &placed),
        objective: cost,
        construction_objective: construction,
        iterations,
    }
}

fn to_solution(instance: &Instance, model: &Model, placed: &[Option<Placement>]) -> Solution {
    let mut solution = Solution::default();
    for (ji, (job, p)) in instance.jobs.iter().zip(placed).enumerate() {
        let Some(p) = p else {
            solution.unassigned.push(job.id.clone());
            continue;
        };
        let center = model.jobs[ji].options[p.option].center;
        let (ci, ti) = model.tech_ref[p.tech];
        debug_assert_eq!(ci, center);
        solution.assignments.push(Assignment {
            job: job.id.clone(),
            center: instance.centers[center].id.clone(),
            technician: instance.centers[ci].technicians[ti].id.clone(),
            start_minute: p.start,
            parts_from_stock: p.from_stock || job.parts.is_empty(),
        });
    }
    solution
}

/// One search worker.
struct Search<'m> {
    model: &'m Model,
    state: State,
    rng: Rng,
    /// Each job's cost were it alone: what scheduling cannot avoid.
    alone: Vec<f64>,
    cost: f64,
}

impl<'m> Search<'m> {
    fn new(model: &'m Model, seed: u64) -> Self {
        let state = State::new(model);
        let alone = (0..model.jobs.len())
            .map(|j| {
                best_insertion(model, &state, j)
                    .map_or(model.jobs[j].penalty, |p| p.cost.min(model.jobs[j].penalty))
            })
            .collect();
        let cost = model.jobs.iter().map(|j| j.penalty).sum();
        Self {
            model,
            state,
            rng: Rng::new(seed),
            alone,
            cost,
        }
    }

    /// Construction then LNS; returns the best placements, their cost, the
    /// construction's cost and the iterations done.
    fn run(mut self, deadline: Instant) -> (Vec<Option<Placement>>, f64, f64, u64) {
        let construction = self.construct();
        let mut best = (self.state.placed.clone(), self.cost);
        let n = self.model.jobs.len();
        if n == 0 {
            return (best.0, best.1, construction, 0);
        }
        let start = Instant::now();
        let total = deadline
            .saturating_duration_since(start)
            .as_secs_f64()
            .max(1e-6);
        let avoidable = (self.cost - self.alone.iter().sum::<f64>()).max(1.0);
        let t0 = 0.03 * avoidable / n as f64;
        let mut iterations = 0u64;
        loop {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            let progress = now.duration_since(start).as_secs_f64() / total;
            let temperature = t0 * (1.0 - progress).powi(2);
            self.iterate(temperature);
            iterations += 1;
            if self.cost < best.1 - 1e-9 {
                best = (self.state.placed.clone(), self.cost);
            }
        }
        (best.0, best.1, construction, iterations)
    }

    /// Greedy insertion in a few priority orders; keeps the cheapest.
    fn construct(&mut self) -> f64 {
        let n = self.model.jobs.len();
        let jobs = &self.model.jobs;
        let mut orders: Vec<Vec<usize>> = Vec::new();
        let mut by_urgency: Vec<usize> = (0..n).collect();
        by_urgency.sort_by(|&a, &b| {
            jobs[b]
                .wait_per_hour
                .total_cmp(&jobs[a].wait_per_hour)
                .then(jobs[a].release.cmp(&jobs[b].release))
        });
        orders.push(by_urgency);
        let mut by_release: Vec<usize> = (0..n).collect();
        by_release.sort_by_key(|&j| (jobs[j].release, jobs[j].due));
        orders.push(by_release);
        let mut best: Option<(Vec<Option<Placement>>, f64)> = None;
        for order in orders {
            self.clear();
            for j in order {
                self.insert(j);
            }
            if best.as_ref().is_none_or(|b| self.cost < b.1) {
                best = Some((self.state.placed.clone(), self.cost));
            }
        }
        if let Some((placed, _)) = best {
            self.clear();
            for (j, p) in placed.into_iter().enumerate() {
                if let Some(p) = p {
                    self.place(j, p);
                }
            }
        }
        self.cost
    }

    fn clear(&mut self) {
        for j in 0..self.model.jobs.len() {
            self.unplace(j);
        }
    }

    fn place(&mut self, job: usize, p: Placement) {
        self.state.place(self.model, job, p);
        self.cost += p.cost - self.model.jobs[job].penalty;
    }

    fn unplace(&mut self, job: usize) {
        if let Some(p) = self.state.placed[job] {
            self.state.unplace(self.model, job);
            self.cost += self.model.jobs[job].penalty - p.cost;
        }
    }

    /// Cheapest insertion of `job`, unless leaving it out is cheaper.
    fn insert(&mut self, job: usize) {
        if let Some(p) = best_insertion(self.model, &self.state, job)
            && p.cost < self.model.jobs[job].penalty
        {
            self.place(job, p);
        }
    }

    /// One ruin-and-recreate step, accepted or undone.
    fn iterate(&mut self, temperature: f64) {
        let removed = self.choose_removal();
        let before: Vec<(usize, Option<Placement>)> =
            removed.iter().map(|&j| (j, self.state.placed[j])).collect();
        let old_cost = self.cost;
        for &j in &removed {
            self.unplace(j);
        }
        let order = self.reinsertion_order(removed);
        for &j in &order {
            self.insert(j);
        }
        let delta = self.cost - old_cost;
        let accept =
            delta < 1e-9 || (temperature > 0.0 && self.rng.unit() < (-delta / temperature).exp());
        if !accept {
            for &(j, _) in &before {
                self.unplace(j);
            }
            for &(j, p) in &before {
                if let Some(p) = p {
                    self.place(j, p);
                }
            }
            self.cost = old_cost;
        }
    }
}

mod neighbourhoods;
