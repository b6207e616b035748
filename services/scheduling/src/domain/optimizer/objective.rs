//! The objective of SPEC section 5, computed from the instance and a solution alone.

use std::collections::HashMap;

use super::instance::{Center, Instance, Job};
use super::solution::Solution;

/// Earth radius of the SPEC's haversine, km.
const EARTH_RADIUS_KM: f64 = 6371.0;

/// Great-circle distance in km between two points in decimal degrees (SPEC formula).
#[must_use]
#[expect(clippy::suboptimal_flops, reason = "the SPEC's formula and rounding")]
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

/// The part of a job's cost that depends on its center only: travel, rating, preference.
#[must_use]
#[expect(clippy::suboptimal_flops, reason = "the SPEC's formula and rounding")]
pub fn center_cost(instance: &Instance, job: &Job, center: &Center) -> f64 {
    let w = &instance.weights;
    let km = if job.location_unknown {
        0.0
    } else {
        haversine_km(job.lat, job.lon, center.lat, center.lon)
    };
    let miss = match &job.preferred_center {
        Some(p) if *p != center.id => w.preference_miss,
        _ => 0.0,
    };
    w.travel_per_km * km + w.rating_per_point * (5.0 - center.rating) + miss
}

/// The part of a job's cost that depends on its start: waiting and lateness.
#[must_use]
pub fn time_cost(instance: &Instance, job: &Job, start: i64) -> f64 {
    let w = &instance.weights;
    time_terms(
        w.wait_per_hour.get(job.severity),
        w.late_per_hour.get(job.severity),
        start - job.release_minute,
        start + job.duration_minutes - job.due_minute,
    )
}

/// `wait_w · wait / 60 + late_w · max(0, late) / 60`, with waiting and lateness in
/// minutes. Plain multiply-then-add, as the SPEC's scorer computes it (a fused
/// multiply-add would round differently).
#[expect(
    clippy::suboptimal_flops,
    reason = "the SPEC's rounding, not a fused one"
)]
pub(crate) fn time_terms(wait_w: f64, late_w: f64, wait_minutes: i64, late_minutes: i64) -> f64 {
    wait_w * (wait_minutes as f64 / 60.0) + late_w * (late_minutes.max(0) as f64 / 60.0)
}

/// `Z` of a solution. Assignments naming an unknown job or center are skipped (the
/// checker reports them); call it on feasible solutions.
#[must_use]
pub fn objective(instance: &Instance, solution: &Solution) -> f64 {
    let jobs: HashMap<&str, &Job> = instance.jobs.iter().map(|j| (j.id.as_str(), j)).collect();
    let centers: HashMap<&str, &Center> = instance
        .centers
        .iter()
        .map(|c| (c.id.as_str(), c))
        .collect();
    let mut z = 0.0;
    for a in &solution.assignments {
        if let (Some(job), Some(center)) =
            (jobs.get(a.job.as_str()), centers.get(a.center.as_str()))
        {
            z += center_cost(instance, job, center) + time_cost(instance, job, a.start_minute);
        }
    }
    for id in &solution.unassigned {
        if let Some(job) = jobs.get(id.as_str()) {
            z += instance.weights.unassigned.get(job.severity);
        }
    }
    z
}

/// The SPEC's `capacity_free_bound`: each job's cheapest cost were it alone (best
/// center, technician and earliest start allowed by R2-R6 and R10 with full stock), or
/// its unassigned penalty if less. No schedule goes below it.
#[must_use]
pub fn capacity_free_bound(instance: &Instance) -> f64 {
    let model = super::model::Model::new(instance);
    let state = super::state::State::new(&model);
    (0..model.jobs.len())
        .map(|j| {
            let penalty = model.jobs[j].penalty;
            super::insert::best_insertion(&model, &state, j)
                .map_or(penalty, |p| p.cost.min(penalty))
        })
        .sum()
}
