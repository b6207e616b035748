//! A partial schedule with its occupancy: technicians' and vehicles' busy slots (bit
//! sets), bays in use per slot, stock left. Placing and removing a job are exact
//! inverses, so a rejected search move is undone without copying the state.

use super::model::Model;

/// Where and when a job runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Placement {
    /// Index into the job's `options`.
    pub(crate) option: usize,
    pub(crate) tech: usize,
    /// Start minute (on the slot grid).
    pub(crate) start: i64,
    pub(crate) from_stock: bool,
    /// The job's objective term at this placement.
    pub(crate) cost: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct State {
    words: usize,
    tech_busy: Vec<u64>,
    vehicle_busy: Vec<u64>,
    bays_used: Vec<Vec<u8>>,
    pub(crate) stock_left: Vec<Vec<u32>>,
    pub(crate) placed: Vec<Option<Placement>>,
}

impl State {
    pub(crate) fn new(model: &Model) -> Self {
        let words = model.n_slots.div_ceil(64).max(1);
        let mut state = Self {
            words,
            tech_busy: vec![0; words * model.techs.len()],
            vehicle_busy: vec![0; words * model.n_vehicles],
            bays_used: vec![vec![0; model.n_slots]; model.centers.len()],
            stock_left: model.centers.iter().map(|c| c.stock.clone()).collect(),
            placed: vec![None; model.jobs.len()],
        };
        state.mark_busy(model);
        state
    }

    /// Marks the fixed busy blocks; nothing ever unmarks them, so search cannot move them.
    fn mark_busy(&mut self, model: &Model) {
        for b in &model.busy {
            for k in b.first..b.end {
                let (w, bit) = (k / 64, 1u64 << (k % 64));
                if let Some(t) = b.tech {
                    self.tech_busy[t * self.words + w] |= bit;
                }
                if let Some(v) = b.vehicle {
                    self.vehicle_busy[v * self.words + w] |= bit;
                }
                if let Some(c) = b.center {
                    self.bays_used[c][k] = self.bays_used[c][k].saturating_add(1);
                }
            }
        }
    }

    /// The job's current objective term (its penalty when unassigned).
    pub(crate) fn job_cost(&self, model: &Model, job: usize) -> f64 {
        self.placed[job].map_or(model.jobs[job].penalty, |p| p.cost)
    }

    /// The latest slot in `[from, to)` where the technician, the vehicle or the center's
    /// bays are taken, if any.
    pub(crate) fn last_conflict(
        &self,
        tech: usize,
        vehicle: usize,
        center: usize,
        bays: u8,
        from: usize,
        to: usize,
    ) -> Option<usize> {
        let t = &self.tech_busy[tech * self.words..(tech + 1) * self.words];
        let v = &self.vehicle_busy[vehicle * self.words..(vehicle + 1) * self.words];
        let b = &self.bays_used[center];
        (from..to).rev().find(|&k| {
            let (w, bit) = (k / 64, 1u64 << (k % 64));
            (t[w] | v[w]) & bit != 0 || b[k] >= bays
        })
    }

    /// Whether the center has the job's parts in stock.
    pub(crate) fn has_stock(&self, model: &Model, job: usize, center: usize) -> bool {
        model.jobs[job]
            .parts
            .iter()
            .all(|&(p, q)| self.stock_left[center][p] >= q)
    }

    pub(crate) fn place(&mut self, model: &Model, job: usize, p: Placement) {
        self.mark(model, job, p, true);
        self.placed[job] = Some(p);
    }

    pub(crate) fn unplace(&mut self, model: &Model, job: usize) {
        if let Some(p) = self.placed[job].take() {
            self.mark(model, job, p, false);
        }
    }

    fn mark(&mut self, model: &Model, job: usize, p: Placement, on: bool) {
        let j = &model.jobs[job];
        let center = j.options[p.option].center;
        let first = usize::try_from(p.start / model.slot).unwrap_or(0);
        for k in first..first + j.slots {
            let (w, bit) = (k / 64, 1u64 << (k % 64));
            let (t, v) = (p.tech * self.words + w, j.vehicle * self.words + w);
            if on {
                self.tech_busy[t] |= bit;
                self.vehicle_busy[v] |= bit;
                self.bays_used[center][k] += 1;
            } else {
                self.tech_busy[t] &= !bit;
                self.vehicle_busy[v] &= !bit;
                self.bays_used[center][k] -= 1;
            }
        }
        if p.from_stock {
            for &(part, q) in &j.parts {
                let left = &mut self.stock_left[center][part];
                *left = if on { *left - q } else { *left + q };
            }
        }
    }
}
