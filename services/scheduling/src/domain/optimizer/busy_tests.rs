//! The optimizer plans around fixed busy blocks: their technician, vehicle and bay
//! slots (every slot a block touches) are never offered to a job.

use std::time::Duration;

use super::fixture::{busy, instance};
use super::instance::Instance;
use super::{Solution, SolveOptions, check, solve};

/// Solves briefly with one worker and checks the schedule against R1-R10.
fn solved(inst: &Instance) -> Solution {
    let mut options = SolveOptions::within(Duration::from_millis(50));
    options.workers = 1;
    let solution = solve(inst, options).solution;
    let violations = check(inst, &solution);
    assert!(violations.is_empty(), "{violations:?}");
    solution
}

fn start_of(s: &Solution, job: &str) -> Option<(String, i64)> {
    s.assignments
        .iter()
        .find(|a| a.job == job)
        .map(|a| (a.technician.clone(), a.start_minute))
}

#[test]
fn a_technician_busy_off_the_grid_loses_every_slot_touched() {
    let mut inst = instance();
    // T1 busy all day; T2 busy [490, 545): slots 480, 510 and 540 are gone.
    inst.busy.push(busy("C1", "T1", "V8", 480, 1020));
    inst.busy.push(busy("C1", "T2", "V9", 490, 545));
    let s = solved(&inst);
    let (j1, j2) = (start_of(&s, "J1"), start_of(&s, "J2"));
    for (tech, start) in [j1.clone(), j2.clone()].into_iter().flatten() {
        assert_eq!(tech, "T2");
        assert!(start >= 570, "starts at {start}");
    }
    assert!(j1.is_some() && j2.is_some(), "{s:?}");
}

#[test]
fn a_booked_vehicle_is_never_planned_twice() {
    let mut inst = instance();
    inst.busy.push(busy("", "", "V1", 0, 2880));
    let s = solved(&inst);
    assert_eq!(s.unassigned, ["J1", "J3"]);
}

#[test]
fn busy_bays_push_a_job_back() {
    let mut inst = instance();
    // C2 has one bay, held until 11:00 by a booking of no technician of ours.
    inst.busy.push(busy("C2", "", "V7", 0, 660));
    let s = solved(&inst);
    assert_eq!(start_of(&s, "J3"), Some(("T3".into(), 660)));
    inst.busy.clear();
    let s = solved(&inst);
    assert_eq!(start_of(&s, "J3"), Some(("T3".into(), 480)));
}
