//! Which jobs a search step removes, and in which order it puts them back.

use super::Search;

/// At most this many jobs removed per step.
const MAX_REMOVED: usize = 30;

impl Search<'_> {
    /// A set of distinct jobs to remove: random, close in time (Shaw), the blockers of a
    /// costly job, or a slice of one center's day.
    pub(super) fn choose_removal(&mut self) -> Vec<usize> {
        let n = self.model.jobs.len();
        let cap = n.min(MAX_REMOVED.min((n / 4).max(6)));
        let q = if cap <= 2 {
            cap
        } else {
            2 + self.rng.below(cap - 1)
        };
        let mut chosen = match self.rng.below(4) {
            0 => self.random_jobs(q),
            1 => self.close_in_time(q),
            2 => self.blockers(q),
            _ => self.center_slice(q),
        };
        for j in 0..n {
            if self.state.placed[j].is_none() && self.rng.below(10) == 0 {
                chosen.push(j);
            }
        }
        chosen.sort_unstable();
        chosen.dedup();
        chosen
    }

    /// A job's start, or its release when unassigned.
    fn start_of(&self, job: usize) -> i64 {
        self.state.placed[job].map_or(self.model.jobs[job].release, |p| p.start)
    }

    fn center_of(&self, job: usize) -> Option<usize> {
        self.state.placed[job].map(|p| self.model.jobs[job].options[p.option].center)
    }

    fn random_jobs(&mut self, q: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..self.model.jobs.len()).collect();
        self.rng.shuffle(&mut all);
        all.truncate(q);
        all
    }

    /// The `q` jobs nearest in start time to a random anchor (same center counts closer).
    fn close_in_time(&mut self, q: usize) -> Vec<usize> {
        let n = self.model.jobs.len();
        let anchor = self.rng.below(n);
        let (t, c) = (self.start_of(anchor), self.center_of(anchor));
        let mut scored: Vec<(f64, usize)> = (0..n)
            .map(|j| {
                let dt = (self.start_of(j) - t).abs() as f64;
                let other = if self.center_of(j) == c { 1.0 } else { 2.0 };
                (dt * other * (0.5 + self.rng.unit()), j)
            })
            .collect();
        scored.sort_by(|a, b| a.0.total_cmp(&b.0));
        scored.into_iter().take(q).map(|(_, j)| j).collect()
    }

    /// A job paying much more than it would alone, and jobs holding the time before its
    /// start at the centers it could use.
    fn blockers(&mut self, q: usize) -> Vec<usize> {
        let n = self.model.jobs.len();
        let mut seed = self.rng.below(n);
        for _ in 0..3 {
            let other = self.rng.below(n);
            if self.excess(other) > self.excess(seed) {
                seed = other;
            }
        }
        let job = &self.model.jobs[seed];
        let (from, to) = (job.release, self.start_of(seed) + job.duration);
        let to = if self.state.placed[seed].is_none() {
            i64::MAX
        } else {
            to
        };
        let centers: Vec<usize> = job.options.iter().map(|o| o.center).collect();
        let mut found: Vec<usize> = (0..n)
            .filter(|&j| j != seed)
            .filter(|&j| {
                self.center_of(j).is_some_and(|c| centers.contains(&c)) && {
                    let s = self.start_of(j);
                    s < to && s + self.model.jobs[j].duration > from
                }
            })
            .collect();
        self.rng.shuffle(&mut found);
        found.truncate(q.saturating_sub(1));
        found.push(seed);
        found
    }

    fn excess(&self, job: usize) -> f64 {
        self.state.job_cost(self.model, job) - self.alone[job]
    }

    /// Jobs of one center starting within a random window of up to a day.
    fn center_slice(&mut self, q: usize) -> Vec<usize> {
        let n = self.model.jobs.len();
        let anchor = self.rng.below(n);
        let Some(c) = self.center_of(anchor) else {
            return self.random_jobs(q);
        };
        let t = self.start_of(anchor);
        let width = 240 + 60 * i64::try_from(self.rng.below(20)).unwrap_or(0);
        let mut found: Vec<usize> = (0..n)
            .filter(|&j| self.center_of(j) == Some(c) && (self.start_of(j) - t).abs() <= width)
            .collect();
        self.rng.shuffle(&mut found);
        found.truncate(q);
        found
    }

    /// The order the removed jobs go back in: urgency with noise, random, or release.
    pub(super) fn reinsertion_order(&mut self, mut jobs: Vec<usize>) -> Vec<usize> {
        let model = self.model;
        match self.rng.below(3) {
            0 => {
                let mut keyed: Vec<(f64, usize)> = jobs
                    .iter()
                    .map(|&j| {
                        (
                            -model.jobs[j].wait_per_hour * 0.6f64.mul_add(self.rng.unit(), 0.7),
                            j,
                        )
                    })
                    .collect();
                keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
                keyed.into_iter().map(|(_, j)| j).collect()
            }
            1 => {
                self.rng.shuffle(&mut jobs);
                jobs
            }
            _ => {
                jobs.sort_by_key(|&j| (model.jobs[j].release, model.jobs[j].due));
                jobs
            }
        }
    }
}
