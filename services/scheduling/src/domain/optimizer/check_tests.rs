//! Each rule broken by a hand-made solution of a hand-made instance is reported, and
//! only that rule; existing bookings (busy blocks) count in R7-R9.

use super::super::fixture::{busy, instance};
use super::super::instance::Instance;
use super::super::solution::{Assignment, Solution};
use super::{Rule, check};

fn assign(job: &str, center: &str, tech: &str, start: i64, stock: bool) -> Assignment {
    Assignment {
        job: job.into(),
        center: center.into(),
        technician: tech.into(),
        start_minute: start,
        parts_from_stock: stock,
    }
}

/// J1 at C1/T1 08:00 from stock, J2 at C1/T2 08:00, J3 at C2/T3 10:00.
fn feasible() -> Solution {
    Solution {
        assignments: vec![
            assign("J1", "C1", "T1", 480, true),
            assign("J2", "C1", "T2", 480, true),
            assign("J3", "C2", "T3", 600, true),
        ],
        unassigned: vec![],
        objective: None,
    }
}

/// The rules `solution` breaks, each once.
fn broken(instance: &Instance, solution: &Solution) -> Vec<Rule> {
    let mut rules: Vec<Rule> = check(instance, solution)
        .into_iter()
        .map(|v| v.rule)
        .collect();
    rules.dedup();
    rules
}

/// The feasible solution with assignment `i` replaced.
fn with(i: usize, a: Assignment) -> Solution {
    let mut s = feasible();
    s.assignments[i] = a;
    s
}

#[test]
fn the_base_solution_is_feasible() {
    assert_eq!(broken(&instance(), &feasible()), vec![]);
}

#[test]
fn r1_missing_duplicate_and_unknown_jobs() {
    let inst = instance();
    let mut missing = feasible();
    missing.assignments.pop();
    assert_eq!(broken(&inst, &missing), vec![Rule::R1Coverage]);
    let mut twice = feasible();
    twice.unassigned.push("J3".into());
    assert_eq!(broken(&inst, &twice), vec![Rule::R1Coverage]);
    let mut unknown = feasible();
    unknown.unassigned.push("J9".into());
    assert_eq!(broken(&inst, &unknown), vec![Rule::R1Coverage]);
}

#[test]
fn r2_technician_of_another_center() {
    assert_eq!(
        broken(&instance(), &with(2, assign("J3", "C2", "T2", 600, true))),
        vec![Rule::R2Technician]
    );
}

#[test]
fn r3_technician_without_the_skill() {
    assert_eq!(
        broken(&instance(), &with(2, assign("J3", "C2", "T4", 600, true))),
        vec![Rule::R3Skill]
    );
}

#[test]
fn r4_emergency_job_at_a_regular_center() {
    assert_eq!(
        broken(&instance(), &with(2, assign("J3", "C1", "T2", 600, true))),
        vec![Rule::R4Emergency]
    );
}

#[test]
fn r5_off_grid_start() {
    assert_eq!(
        broken(&instance(), &with(1, assign("J2", "C1", "T2", 490, true))),
        vec![Rule::R5GridRelease]
    );
}

#[test]
fn r6_past_the_shift_or_on_a_closed_day() {
    let inst = instance();
    assert_eq!(
        broken(&inst, &with(1, assign("J2", "C1", "T2", 990, true))),
        vec![Rule::R6ShiftHours]
    );
    assert_eq!(
        broken(&inst, &with(1, assign("J2", "C1", "T2", 1440 + 480, true))),
        vec![Rule::R6ShiftHours]
    );
}

#[test]
fn r7_one_technician_two_jobs_at_once() {
    assert_eq!(
        broken(&instance(), &with(1, assign("J2", "C1", "T1", 510, true))),
        vec![Rule::R7Technician]
    );
}

#[test]
fn r8_one_vehicle_in_two_places() {
    assert_eq!(
        broken(&instance(), &with(2, assign("J3", "C2", "T3", 510, true))),
        vec![Rule::R8Vehicle]
    );
}

#[test]
fn r9_more_jobs_than_bays() {
    let mut inst = instance();
    inst.centers[0].bays = 1;
    assert_eq!(broken(&inst, &feasible()), vec![Rule::R9Bays]);
    // Back to back is fine: intervals are half-open.
    assert_eq!(
        broken(&inst, &with(1, assign("J2", "C1", "T2", 540, true))),
        vec![]
    );
}

#[test]
fn r10_stock_overdrawn_or_parts_not_yet_arrived() {
    let mut inst = instance();
    inst.jobs[1].parts.insert("brake_pad_set".into(), 1);
    assert_eq!(broken(&inst, &feasible()), vec![Rule::R10Parts]);
    let ordered_too_early = with(0, assign("J1", "C1", "T1", 480, false));
    assert_eq!(
        broken(&instance(), &ordered_too_early),
        vec![Rule::R10Parts]
    );
}

#[test]
fn r7_a_job_over_its_technicians_busy_block() {
    let mut inst = instance();
    inst.centers[0].bays = 3; // the block's bay is not the point here
    inst.busy.push(busy("C1", "T1", "V9", 500, 530));
    assert_eq!(broken(&inst, &feasible()), vec![Rule::R7Technician]);
    // J1 holds T1 over [480, 540): a block from 540 on touches it only.
    inst.busy[0] = busy("C1", "T1", "V9", 540, 600);
    assert_eq!(broken(&inst, &feasible()), vec![]);
}

#[test]
fn r8_a_job_while_its_vehicle_is_booked_elsewhere() {
    let mut inst = instance();
    inst.busy.push(busy("", "", "V1", 450, 481));
    assert_eq!(broken(&inst, &feasible()), vec![Rule::R8Vehicle]);
    inst.busy[0] = busy("", "", "V7", 450, 481);
    assert_eq!(broken(&inst, &feasible()), vec![]);
}

#[test]
fn r9_busy_blocks_take_bays() {
    let mut inst = instance();
    inst.busy.push(busy("C1", "", "V9", 480, 490));
    assert_eq!(broken(&inst, &feasible()), vec![Rule::R9Bays]);
    inst.busy[0] = busy("C1", "", "V9", 400, 480);
    assert_eq!(broken(&inst, &feasible()), vec![]);
}

#[test]
fn overlapping_busy_blocks_alone_are_not_the_schedules_fault() {
    let mut inst = instance();
    inst.busy.push(busy("C1", "T1", "V1", 0, 100));
    inst.busy.push(busy("C1", "T1", "V1", 50, 150));
    inst.busy.push(busy("C1", "", "V8", 0, 100));
    assert_eq!(broken(&inst, &feasible()), vec![]);
}

#[test]
fn a_long_busy_block_is_caught_behind_a_short_one() {
    // Sorted by start: [400, 700) busy, [450, 470) busy, then J1 at 480: only the first
    // overlaps J1, and it is not J1's neighbour in the sorted order.
    let mut inst = instance();
    inst.centers[0].bays = 4;
    inst.busy.push(busy("C1", "T1", "V9", 400, 700));
    inst.busy.push(busy("C1", "T1", "V9", 450, 470));
    assert_eq!(broken(&inst, &feasible()), vec![Rule::R7Technician]);
}

#[test]
fn busy_blocks_naming_unknown_resources_are_refused() {
    for b in [
        busy("C9", "", "V1", 0, 30),
        busy("C1", "T3", "V1", 0, 30),
        busy("", "T1", "V1", 0, 30),
        busy("C1", "T1", "V1", 30, 30),
    ] {
        let mut inst = instance();
        inst.busy.push(b.clone());
        assert!(inst.validate().is_err(), "{b:?} accepted");
    }
}
