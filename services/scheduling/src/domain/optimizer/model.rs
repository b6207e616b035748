//! The instance compiled for search: indices instead of ids, each technician's usable
//! windows (shift ∩ opening hours), each job's candidate centers with their fixed cost
//! and the earliest start its ordered parts allow.

use std::collections::HashMap;

use super::instance::{DAY_MINUTES, Instance, Job, JobKind};
use super::objective::center_cost;

/// A job's possible center: fixed cost, skilled technicians, parts.
#[derive(Debug, Clone)]
pub(crate) struct CenterOption {
    pub(crate) center: usize,
    /// Travel, rating and preference cost at this center.
    pub(crate) fixed: f64,
    /// Technicians of this center with the job's skill.
    pub(crate) techs: Vec<usize>,
    /// Earliest start with ordered parts; `None` when a part cannot be ordered here.
    pub(crate) ordered_ready: Option<i64>,
}

#[derive(Debug, Clone)]
pub(crate) struct MJob {
    pub(crate) duration: i64,
    /// Slots occupied: `ceil(duration / slot)`.
    pub(crate) slots: usize,
    pub(crate) release: i64,
    pub(crate) due: i64,
    pub(crate) vehicle: usize,
    /// `(part index, quantity)`.
    pub(crate) parts: Vec<(usize, u32)>,
    pub(crate) options: Vec<CenterOption>,
    pub(crate) penalty: f64,
    /// Weights per hour of waiting and of lateness.
    pub(crate) wait_per_hour: f64,
    pub(crate) late_per_hour: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct MTech {
    /// Usable `[start, end)` minute windows, sorted.
    pub(crate) windows: Vec<(i64, i64)>,
}

#[derive(Debug, Clone)]
pub(crate) struct MCenter {
    pub(crate) bays: u8,
    /// Units on hand per part index.
    pub(crate) stock: Vec<u32>,
}

/// A fixed busy block in slots `[first, end)` (every slot it touches), with the
/// resources it holds.
#[derive(Debug, Clone)]
pub(crate) struct MBusy {
    pub(crate) first: usize,
    pub(crate) end: usize,
    pub(crate) tech: Option<usize>,
    pub(crate) center: Option<usize>,
    pub(crate) vehicle: Option<usize>,
}

/// The compiled instance.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    pub(crate) slot: i64,
    pub(crate) n_slots: usize,
    pub(crate) n_vehicles: usize,
    pub(crate) jobs: Vec<MJob>,
    pub(crate) techs: Vec<MTech>,
    pub(crate) centers: Vec<MCenter>,
    /// Technician index to (center index, technician index within the center).
    pub(crate) tech_ref: Vec<(usize, usize)>,
    /// Existing bookings, marked in every fresh `State`.
    pub(crate) busy: Vec<MBusy>,
}

impl Model {
    pub(crate) fn new(instance: &Instance) -> Self {
        let slot = instance.horizon.slot_minutes;
        let horizon = instance.horizon_end();
        let mut part_ids: HashMap<&str, usize> = HashMap::new();
        for j in &instance.jobs {
            for p in j.parts.keys() {
                let n = part_ids.len();
                part_ids.entry(p.as_str()).or_insert(n);
            }
        }
        let mut techs = Vec::new();
        let mut tech_ref = Vec::new();
        let mut centers = Vec::new();
        for (ci, c) in instance.centers.iter().enumerate() {
            let mut stock = vec![0; part_ids.len()];
            for (p, &i) in &part_ids {
                stock[i] = c.stock.get(*p).copied().unwrap_or(0);
            }
            centers.push(MCenter {
                bays: u8::try_from(c.bays.min(255)).unwrap_or(u8::MAX),
                stock,
            });
            for (ti, t) in c.technicians.iter().enumerate() {
                let windows = tech_windows(instance, &c.hours, &t.shifts, horizon);
                techs.push(MTech { windows });
                tech_ref.push((ci, ti));
            }
        }
        let mut vehicles: HashMap<&str, usize> = HashMap::new();
        let jobs = instance
            .jobs
            .iter()
            .map(|j| {
                let n = vehicles.len();
                let vehicle = *vehicles.entry(j.vehicle_id.as_str()).or_insert(n);
                compile_job(instance, j, vehicle, &part_ids, &tech_ref)
            })
            .collect();
        let n_slots = usize::try_from(horizon / slot).unwrap_or(0);
        let busy = compile_busy(instance, &vehicles, &tech_ref, n_slots);
        Self {
            slot,
            n_slots,
            n_vehicles: vehicles.len(),
            jobs,
            techs,
            centers,
            tech_ref,
            busy,
        }
    }
}

/// Busy blocks in slots, clipped to the horizon; those outside it are dropped.
fn compile_busy(
    instance: &Instance,
    vehicles: &HashMap<&str, usize>,
    tech_ref: &[(usize, usize)],
    n_slots: usize,
) -> Vec<MBusy> {
    let slot = instance.horizon.slot_minutes;
    let to_slot = |m: i64| usize::try_from(m.max(0)).unwrap_or(0).min(n_slots);
    instance
        .busy
        .iter()
        .filter_map(|b| {
            let first = to_slot(b.start_minute.div_euclid(slot));
            let end = to_slot(b.end_minute.div_euclid(slot) + i64::from(b.end_minute % slot != 0));
            let center = instance.centers.iter().position(|c| c.id == b.center);
            let tech = center.and_then(|ci| {
                let ti = instance.centers[ci]
                    .technicians
                    .iter()
                    .position(|t| t.id == b.technician)?;
                tech_ref.iter().position(|&r| r == (ci, ti))
            });
            (first < end).then(|| MBusy {
                first,
                end,
                tech,
                center,
                vehicle: vehicles.get(b.vehicle_id.as_str()).copied(),
            })
        })
        .collect()
}

/// A technician's usable windows: each shift clipped to its day's opening hours.
fn tech_windows(
    instance: &Instance,
    hours: &[Option<[i64; 2]>],
    shifts: &[super::instance::Shift],
    horizon: i64,
) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = shifts
        .iter()
        .filter(|s| s.day < instance.horizon.days)
        .filter_map(|s| {
            let [open, close] = hours.get((s.day % 7) as usize).copied().flatten()?;
            let b = i64::from(s.day) * DAY_MINUTES;
            let (ws, we) = (
                b + s.start_minute.max(open),
                (b + s.end_minute.min(close)).min(horizon),
            );
            (ws < we).then_some((ws, we))
        })
        .collect();
    out.sort_unstable();
    out
}

fn compile_job(
    instance: &Instance,
    j: &Job,
    vehicle: usize,
    part_ids: &HashMap<&str, usize>,
    tech_ref: &[(usize, usize)],
) -> MJob {
    let slot = instance.horizon.slot_minutes;
    let mut options = Vec::new();
    let mut first_tech = 0;
    for (ci, c) in instance.centers.iter().enumerate() {
        let techs: Vec<usize> = (first_tech..first_tech + c.technicians.len())
            .filter(|&t| c.technicians[tech_ref[t].1].skills.contains(&j.skill))
            .collect();
        first_tech += c.technicians.len();
        if techs.is_empty() || (j.kind == JobKind::Emergency && !c.emergency) {
            continue;
        }
        let lead: Option<Vec<f64>> = j
            .parts
            .keys()
            .map(|p| c.lead_time_hours.get(p).copied())
            .collect();
        let ordered_ready = lead.map(|hours| {
            let max_minutes = hours
                .iter()
                .map(|h| (h * 60.0).ceil() as i64)
                .max()
                .unwrap_or(0);
            j.release_minute + max_minutes
        });
        options.push(CenterOption {
            center: ci,
            fixed: center_cost(instance, j, c),
            techs,
            ordered_ready,
        });
    }
    let w = &instance.weights;
    MJob {
        duration: j.duration_minutes,
        slots: usize::try_from((j.duration_minutes + slot - 1) / slot).unwrap_or(0),
        release: j.release_minute,
        due: j.due_minute,
        vehicle,
        parts: j
            .parts
            .iter()
            .map(|(p, q)| (part_ids.get(p.as_str()).copied().unwrap_or(0), *q))
            .collect(),
        options,
        penalty: w.unassigned.get(j.severity),
        wait_per_hour: w.wait_per_hour.get(j.severity),
        late_per_hour: w.late_per_hour.get(j.severity),
    }
}

impl MJob {
    /// Waiting and lateness cost of starting at `start` (minutes), computed exactly as
    /// the objective does (same operations, same rounding).
    pub(crate) fn time_cost(&self, start: i64) -> f64 {
        super::objective::time_terms(
            self.wait_per_hour,
            self.late_per_hour,
            start - self.release,
            start + self.duration - self.due,
        )
    }
}
