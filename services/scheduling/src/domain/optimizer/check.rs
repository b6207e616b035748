//! An independent feasibility checker: every rule of SPEC section 4, in minutes, straight
//! from the instance (it shares nothing with the optimizer's slot model, so it can catch
//! the optimizer's mistakes). Fixed busy blocks (existing bookings) count in R7-R9.

use std::collections::{BTreeMap, HashMap};

use super::instance::{Center, DAY_MINUTES, Instance, Job, JobKind, Technician};
use super::solution::{Assignment, Solution};

/// The SPEC's feasibility rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    R1Coverage,
    R2Technician,
    R3Skill,
    R4Emergency,
    R5GridRelease,
    R6ShiftHours,
    R7Technician,
    R8Vehicle,
    R9Bays,
    R10Parts,
}

/// One broken rule, with the job (or resource) it concerns.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub rule: Rule,
    pub detail: String,
}

/// All violations of R1-R10 in `solution`; empty when it is feasible.
#[must_use]
pub fn check(instance: &Instance, solution: &Solution) -> Vec<Violation> {
    let mut out = Vec::new();
    check_coverage(instance, solution, &mut out);
    let jobs: HashMap<&str, &Job> = instance.jobs.iter().map(|j| (j.id.as_str(), j)).collect();
    let centers: HashMap<&str, &Center> = instance
        .centers
        .iter()
        .map(|c| (c.id.as_str(), c))
        .collect();
    let mut placed = Vec::new();
    for a in &solution.assignments {
        let (Some(job), Some(center)) = (jobs.get(a.job.as_str()), centers.get(a.center.as_str()))
        else {
            push(
                &mut out,
                Rule::R1Coverage,
                format!("{}: unknown job or center {}", a.job, a.center),
            );
            continue;
        };
        check_assignment(instance, job, center, a, &mut out);
        placed.push((*job, *center, a));
    }
    check_overlaps(instance, &placed, &mut out);
    check_bays(instance, &placed, &mut out);
    check_stock(&placed, &mut out);
    out
}

fn push(out: &mut Vec<Violation>, rule: Rule, detail: String) {
    out.push(Violation { rule, detail });
}

/// R1: every job exactly once, no unknown ids.
fn check_coverage(instance: &Instance, solution: &Solution, out: &mut Vec<Violation>) {
    let mut seen: HashMap<&str, usize> = instance.jobs.iter().map(|j| (j.id.as_str(), 0)).collect();
    let ids = solution.assignments.iter().map(|a| a.job.as_str());
    for id in ids.chain(solution.unassigned.iter().map(String::as_str)) {
        match seen.get_mut(id) {
            Some(n) => *n += 1,
            None => push(out, Rule::R1Coverage, format!("unknown job {id}")),
        }
    }
    let mut counts: Vec<_> = seen.into_iter().filter(|(_, n)| *n != 1).collect();
    counts.sort_unstable();
    for (id, n) in counts {
        push(out, Rule::R1Coverage, format!("job {id} appears {n} times"));
    }
}

/// R2-R6 and the ordered-parts half of R10, for one assignment alone.
fn check_assignment(
    instance: &Instance,
    job: &Job,
    center: &Center,
    a: &Assignment,
    out: &mut Vec<Violation>,
) {
    let (s, e) = (a.start_minute, a.start_minute + job.duration_minutes);
    let Some(tech) = center.technicians.iter().find(|t| t.id == a.technician) else {
        push(
            out,
            Rule::R2Technician,
            format!("{}: {} not at {}", job.id, a.technician, center.id),
        );
        return;
    };
    if !tech.skills.contains(&job.skill) {
        push(
            out,
            Rule::R3Skill,
            format!("{}: {} lacks {}", job.id, tech.id, job.skill),
        );
    }
    if job.kind == JobKind::Emergency && !center.emergency {
        push(
            out,
            Rule::R4Emergency,
            format!("{}: {} takes no emergencies", job.id, center.id),
        );
    }
    if s.rem_euclid(instance.horizon.slot_minutes) != 0 || s < job.release_minute {
        push(
            out,
            Rule::R5GridRelease,
            format!("{}: start {s} off grid or before release", job.id),
        );
    }
    if !within_shift_and_hours(instance, center, tech, s, e) {
        push(
            out,
            Rule::R6ShiftHours,
            format!("{}: [{s}, {e}) outside shift or hours", job.id),
        );
    }
    if !a.parts_from_stock && !job.parts.is_empty() {
        let lead = job
            .parts
            .keys()
            .map(|p| center.lead_time_hours.get(p).copied());
        match lead.collect::<Option<Vec<f64>>>() {
            None => push(
                out,
                Rule::R10Parts,
                format!("{}: a part cannot be ordered at {}", job.id, center.id),
            ),
            Some(hours) => {
                let ready = 60.0f64.mul_add(
                    hours.iter().copied().fold(0.0, f64::max),
                    job.release_minute as f64,
                );
                if (s as f64) < ready {
                    push(
                        out,
                        Rule::R10Parts,
                        format!("{}: starts {s} before parts arrive {ready}", job.id),
                    );
                }
            }
        }
    }
}

/// R6: inside one shift of the technician and the center's hours that day.
fn within_shift_and_hours(
    instance: &Instance,
    center: &Center,
    tech: &Technician,
    s: i64,
    e: i64,
) -> bool {
    tech.shifts.iter().any(|sh| {
        let b = i64::from(sh.day) * DAY_MINUTES;
        let weekday = (sh.day % 7) as usize;
        let Some(Some([open, close])) = center.hours.get(weekday) else {
            return false;
        };
        sh.day < instance.horizon.days
            && b + sh.start_minute <= s
            && e <= b + sh.end_minute
            && b + open <= s
            && e <= b + close
    })
}

/// An occupied interval `[start, end)` and what holds it: a job (`Some(id)`) or a fixed
/// busy block (`None`).
type Held<'a> = (i64, i64, Option<&'a str>);

/// R7 (technician) and R8 (vehicle): a job's interval overlaps no other job's and no busy
/// block's. Overlaps among busy blocks alone are not the schedule's doing.
fn check_overlaps(
    instance: &Instance,
    placed: &[(&Job, &Center, &Assignment)],
    out: &mut Vec<Violation>,
) {
    let mut by_tech: BTreeMap<&str, Vec<Held<'_>>> = BTreeMap::new();
    let mut by_vehicle: BTreeMap<&str, Vec<Held<'_>>> = BTreeMap::new();
    for (job, _, a) in placed {
        let iv = (
            a.start_minute,
            a.start_minute + job.duration_minutes,
            Some(job.id.as_str()),
        );
        by_tech.entry(a.technician.as_str()).or_default().push(iv);
        by_vehicle
            .entry(job.vehicle_id.as_str())
            .or_default()
            .push(iv);
    }
    for b in &instance.busy {
        let iv = (b.start_minute, b.end_minute, None);
        if let Some(ivs) = by_tech.get_mut(b.technician.as_str()) {
            ivs.push(iv);
        }
        if let Some(ivs) = by_vehicle.get_mut(b.vehicle_id.as_str()) {
            ivs.push(iv);
        }
    }
    for (rule, groups) in [(Rule::R7Technician, by_tech), (Rule::R8Vehicle, by_vehicle)] {
        for (key, ivs) in groups {
            if let Some(what) = first_overlap(ivs) {
                push(out, rule, format!("{key}: {what}"));
            }
        }
    }
}

/// The first overlap involving a job, described. Sweeps by start, keeping the latest end
/// so far of jobs and of busy blocks apart, so no overlapping pair is missed.
fn first_overlap(mut ivs: Vec<Held<'_>>) -> Option<String> {
    ivs.sort_unstable();
    let mut job_end: Option<(i64, &str)> = None;
    let mut busy_end: Option<i64> = None;
    for (s, e, id) in ivs {
        if let Some((je, other)) = job_end.filter(|(je, _)| s < *je) {
            let this = id.unwrap_or("a busy block");
            return Some(format!("{other} and {this} overlap (until {je})"));
        }
        if let (Some(id), Some(be)) = (id, busy_end.filter(|be| s < *be)) {
            return Some(format!("{id} overlaps a busy block (until {be})"));
        }
        match id {
            Some(id) if job_end.is_none_or(|(je, _)| e > je) => job_end = Some((e, id)),
            Some(_) => {}
            None => busy_end = Some(busy_end.map_or(e, |be| be.max(e))),
        }
    }
    None
}

/// R9: at no minute more jobs and busy blocks at a center than it has bays, while one of
/// the schedule's jobs runs there.
fn check_bays(
    instance: &Instance,
    placed: &[(&Job, &Center, &Assignment)],
    out: &mut Vec<Violation>,
) {
    // (minute, +1 start / -1 end, 1 for a job / 0 for a busy block)
    let mut events: BTreeMap<&str, Vec<(i64, i32, i32)>> = BTreeMap::new();
    for (job, center, a) in placed {
        let ev = events.entry(center.id.as_str()).or_default();
        ev.push((a.start_minute, 1, 1));
        ev.push((a.start_minute + job.duration_minutes, -1, 1));
    }
    for b in &instance.busy {
        if let Some(ev) = events.get_mut(b.center.as_str()) {
            ev.push((b.start_minute, 1, 0));
            ev.push((b.end_minute, -1, 0));
        }
    }
    let bays: HashMap<&str, u32> = placed
        .iter()
        .map(|(_, c, _)| (c.id.as_str(), c.bays))
        .collect();
    for (center, mut ev) in events {
        // Ends sort before starts at the same minute: intervals are half-open.
        ev.sort_unstable();
        let (mut running, mut jobs) = (0i64, 0i64);
        let limit = i64::from(bays.get(center).copied().unwrap_or(0));
        for (minute, delta, is_job) in ev {
            running += i64::from(delta);
            jobs += i64::from(delta * is_job);
            if running > limit && jobs > 0 {
                push(
                    out,
                    Rule::R9Bays,
                    format!("{center}: {running} jobs at minute {minute}"),
                );
                break;
            }
        }
    }
}

/// R10, stock half: jobs taking parts from stock never use more than the center holds.
fn check_stock(placed: &[(&Job, &Center, &Assignment)], out: &mut Vec<Violation>) {
    let mut used: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    let mut stock: HashMap<(&str, &str), u64> = HashMap::new();
    for (job, center, a) in placed.iter().filter(|(_, _, a)| a.parts_from_stock) {
        for (part, qty) in &job.parts {
            *used.entry((a.center.as_str(), part.as_str())).or_default() += u64::from(*qty);
            let have = center.stock.get(part).copied().unwrap_or(0);
            stock.insert((center.id.as_str(), part.as_str()), u64::from(have));
        }
    }
    for (key, n) in used {
        let have = stock.get(&key).copied().unwrap_or(0);
        if n > have {
            push(
                out,
                Rule::R10Parts,
                format!("{}: {n} {} taken from stock of {have}", key.0, key.1),
            );
        }
    }
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
