//! Options for one job: the optimizer's cheapest placement at each center (on its own,
//! around existing bookings), then three distinct slots: best overall, best at another
//! center, earliest (or another time, when there is no such slot).

use shared_schemas::events::OptionLabel;

use super::frame::{Frame, to_instance};
use super::{JobRequest, Slot, Snapshot, score};
use crate::domain::optimizer::objective::haversine_km;
use crate::domain::optimizer::{Candidate, Prober};

/// Placements probed per center: the earliest there and the earliest on each of the next
/// days with room, so that fallbacks exist when fewer than three centers can take a job.
const PER_CENTER: usize = 3;

/// Up to three distinct slots (no two share center and start): the cheapest overall
/// (`BestOverall`), the cheapest at another center (`BestOtherCenter`), and the earliest
/// start, ties by cost (`Earliest`). When a label's own pick is taken or missing it falls
/// back to the next-cheapest (resp. next-earliest) slot not yet offered, so a job only
/// one center can take still gets three options, on later days. Empty when nothing is
/// feasible or the request is invalid (non-positive duration).
#[must_use]
pub fn options(s: &Snapshot, job: &JobRequest) -> Vec<(OptionLabel, Slot)> {
    let Ok((instance, frame)) = to_instance(s, std::slice::from_ref(job)) else {
        return Vec::new();
    };
    let mut candidates = Prober::new(&instance).candidates(0, PER_CENTER);
    within_reach(s, job, &mut candidates);
    candidates.sort_by(|a, b| {
        a.cost
            .total_cmp(&b.cost)
            .then(a.start_minute.cmp(&b.start_minute))
            .then(a.center.cmp(&b.center))
    });
    let Some(best_cost) = candidates.first().map(|c| c.cost) else {
        return Vec::new();
    };
    choose(&candidates)
        .into_iter()
        .map(|(label, i)| {
            let c = &candidates[i];
            (label, slot(s, &frame, job, c, score(best_cost, c.cost)))
        })
        .collect()
}

/// The cheapest slot for `job` (auto-booking critical work; an emergency job only at an
/// emergency center), scored 1.
#[must_use]
pub fn best(s: &Snapshot, job: &JobRequest) -> Option<Slot> {
    let (instance, frame) = to_instance(s, std::slice::from_ref(job)).ok()?;
    let c = Prober::new(&instance).cheapest(0)?;
    Some(slot(s, &frame, job, &c, 1.0))
}

/// A center this much farther than the nearest one that can take the job is not an
/// option worth offering, km: a truck in Chicago is not sent to Montreal because the
/// slot there starts at the same time.
const REACH_BEYOND_NEAREST_KM: f64 = 150.0;

/// Keeps the candidates at centers within [`REACH_BEYOND_NEAREST_KM`] of the nearest
/// center that can take the job (every candidate when the vehicle's position is
/// unknown). Later slots at the near centers take the place of far ones.
fn within_reach(s: &Snapshot, job: &JobRequest, candidates: &mut Vec<Candidate>) {
    let Some((lat, lon)) = job.location else {
        return;
    };
    let km = |c: &Candidate| {
        let center = &s.centers[c.center];
        haversine_km(lat, lon, center.lat, center.lon)
    };
    let Some(nearest) = candidates.iter().map(km).min_by(f64::total_cmp) else {
        return;
    };
    candidates.retain(|c| km(c) <= nearest + REACH_BEYOND_NEAREST_KM);
}

/// Indices into `sorted` (by cost) of the labelled picks, distinct. A fallback pick
/// (no other center can take the job; the earliest start is already offered) is an
/// `Alternative`: the label says what the slot is, never more.
fn choose(sorted: &[Candidate]) -> Vec<(OptionLabel, usize)> {
    let mut picked: Vec<(OptionLabel, usize)> = vec![(OptionLabel::BestOverall, 0)];
    let free = |picked: &[(OptionLabel, usize)], i: usize| picked.iter().all(|p| p.1 != i);
    let other_center =
        (0..sorted.len()).find(|&i| free(&picked, i) && sorted[i].center != sorted[0].center);
    match other_center {
        Some(i) => picked.push((OptionLabel::BestOtherCenter, i)),
        None => {
            if let Some(i) = (0..sorted.len()).find(|&i| free(&picked, i)) {
                picked.push((OptionLabel::Alternative, i));
            }
        }
    }
    let first_start = sorted.iter().map(|c| c.start_minute).min();
    let earliest = (0..sorted.len())
        .filter(|&i| free(&picked, i))
        .min_by_key(|&i| sorted[i].start_minute);
    if let Some(i) = earliest {
        let label = if Some(sorted[i].start_minute) == first_start {
            OptionLabel::Earliest
        } else {
            OptionLabel::Alternative
        };
        picked.push((label, i));
    }
    picked
}

/// A candidate in the snapshot's ids and instants.
pub(super) fn slot(
    s: &Snapshot,
    frame: &Frame,
    job: &JobRequest,
    c: &Candidate,
    score: f64,
) -> Slot {
    let center = &s.centers[c.center];
    let starts_at = frame.at(c.start_minute);
    Slot {
        center_id: center.id,
        technician_id: center.technicians[c.technician].id,
        starts_at,
        ends_at: starts_at + chrono::TimeDelta::minutes(job.duration_minutes),
        parts_from_stock: c.parts_from_stock,
        cost: c.cost,
        score,
    }
}
