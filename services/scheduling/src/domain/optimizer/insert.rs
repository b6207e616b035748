//! Cheapest insertion of one job into a partial schedule. A job's cost at a center only
//! grows with its start (waiting and lateness), so for each center and parts choice the
//! earliest feasible start is the best one; the search stops as soon as a start cannot
//! beat the best found.

use super::model::Model;
use super::state::{Placement, State};

/// The cheapest placement of `job` given the others, if any. Ties prefer ordered parts
/// over stock, so scarce stock stays free for the jobs that need it.
pub(crate) fn best_insertion(model: &Model, state: &State, job: usize) -> Option<Placement> {
    let j = &model.jobs[job];
    let mut best: Option<Placement> = None;
    for (oi, opt) in j.options.iter().enumerate() {
        let choices = [
            opt.ordered_ready.map(|r| (r.max(j.release), false)),
            state
                .has_stock(model, job, opt.center)
                .then_some((j.release, true)),
        ];
        for (earliest, from_stock) in choices.into_iter().flatten() {
            // A job with no parts needs no stock: one pass is enough.
            if from_stock && j.parts.is_empty() && opt.ordered_ready.is_some() {
                continue;
            }
            let bound = best.map_or(f64::INFINITY, |b| b.cost);
            if opt.fixed + j.time_cost(earliest) >= bound {
                continue;
            }
            if let Some((tech, start)) = earliest_start(model, state, job, oi, earliest, bound) {
                let cost = opt.fixed + j.time_cost(start);
                if cost < bound {
                    best = Some(Placement {
                        option: oi,
                        tech,
                        start,
                        from_stock,
                        cost,
                    });
                }
            }
        }
    }
    best
}

/// The earliest start at option `oi` not before `earliest` whose cost stays below
/// `bound`, and the technician taking it.
pub(crate) fn earliest_start(
    model: &Model,
    state: &State,
    job: usize,
    oi: usize,
    earliest: i64,
    bound: f64,
) -> Option<(usize, i64)> {
    let j = &model.jobs[job];
    let opt = &j.options[oi];
    let mut best: Option<(usize, i64)> = None;
    for &tech in &opt.techs {
        let limit = best.map_or(i64::MAX, |b| b.1);
        if let Some(start) = tech_earliest(
            model,
            state,
            job,
            opt.center,
            tech,
            earliest,
            limit,
            bound - opt.fixed,
        ) {
            best = Some((tech, start));
        }
    }
    best
}

/// The technician's earliest feasible start in `[earliest, limit)` with a time cost
/// below `time_bound`.
#[allow(clippy::too_many_arguments)]
fn tech_earliest(
    model: &Model,
    state: &State,
    job: usize,
    center: usize,
    tech: usize,
    earliest: i64,
    limit: i64,
    time_bound: f64,
) -> Option<i64> {
    let j = &model.jobs[job];
    let slot = model.slot;
    let bays = model.centers[center].bays;
    for &(ws, we) in &model.techs[tech].windows {
        let first = ws.max(earliest);
        let last = (we - j.duration).min(limit - 1);
        if first >= limit || j.time_cost(first) >= time_bound {
            return None;
        }
        let mut k = usize::try_from((first + slot - 1) / slot).ok()?;
        let k_last = usize::try_from(last.div_euclid(slot)).unwrap_or(0);
        if last < 0 {
            continue;
        }
        while k <= k_last && k + j.slots <= model.n_slots {
            match state.last_conflict(tech, j.vehicle, center, bays, k, k + j.slots) {
                None => {
                    let start = i64::try_from(k).ok()? * slot;
                    return (j.time_cost(start) < time_bound).then_some(start);
                }
                Some(c) => k = c + 1,
            }
        }
    }
    None
}
