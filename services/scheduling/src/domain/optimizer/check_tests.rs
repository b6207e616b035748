//! Each rule broken by a hand-made solution of a hand-made instance is reported, and
//! only that rule.

use serde_json::json;

use super::super::instance::Instance;
use super::super::solution::{Assignment, Solution};
use super::{Rule, check};

/// Two days from a Monday. C1: 2 bays, open Monday 8:00-17:00; T1 (brakes) and T2
/// (brakes, engine) on shift 8:00-17:00; one brake pad set, ordered in 24 h. C2: the
/// emergency center, open around the clock; T3 (engine), T4 (general).
fn instance() -> Instance {
    let shift = json!([{"day": 0, "start_minute": 480, "end_minute": 1020}]);
    let closed = json!(null);
    let value = json!({
        "format_version": 1, "name": "hand",
        "horizon": {"start": "2026-03-02T00:00:00Z", "days": 2, "slot_minutes": 30},
        "centers": [
            {"id": "C1", "lat": 41.9, "lon": -87.7, "bays": 2,
             "hours": [[480, 1020], closed, closed, closed, closed, closed, closed],
             "technicians": [
                {"id": "T1", "skills": ["brakes"], "shifts": shift},
                {"id": "T2", "skills": ["brakes", "engine"], "shifts": shift}],
             "stock": {"brake_pad_set": 1}, "lead_time_hours": {"brake_pad_set": 24},
             "rating": 4.0, "emergency": false},
            {"id": "C2", "lat": 41.8, "lon": -87.6, "bays": 1,
             "hours": [[0, 1440], [0, 1440], [0, 1440], [0, 1440], [0, 1440], [0, 1440], [0, 1440]],
             "technicians": [
                {"id": "T3", "skills": ["engine"], "shifts": shift},
                {"id": "T4", "skills": ["general"], "shifts": shift}],
             "stock": {}, "lead_time_hours": {"brake_pad_set": 48},
             "rating": 4.5, "emergency": true}],
        "jobs": [
            {"id": "J1", "vehicle_id": "V1", "lat": 41.9, "lon": -87.7, "kind": "repair",
             "duration_minutes": 60, "skill": "brakes", "parts": {"brake_pad_set": 1},
             "release_minute": 0, "due_minute": 1440, "severity": "high"},
            {"id": "J2", "vehicle_id": "V2", "lat": 41.9, "lon": -87.7, "kind": "routine",
             "duration_minutes": 60, "skill": "brakes", "parts": {},
             "release_minute": 0, "due_minute": 1440, "severity": "low", "extra": 1},
            {"id": "J3", "vehicle_id": "V1", "lat": 41.8, "lon": -87.6, "kind": "emergency",
             "duration_minutes": 60, "skill": "engine", "parts": {},
             "release_minute": 0, "due_minute": 600, "severity": "critical"}],
        "weights": {"travel_per_km": 1.5, "rating_per_point": 25.0, "preference_miss": 60.0,
            "wait_per_hour": {"low": 1.0, "medium": 3.0, "high": 12.0, "critical": 40.0},
            "late_per_hour": {"low": 4.0, "medium": 12.0, "high": 50.0, "critical": 200.0},
            "unassigned": {"low": 3000.0, "medium": 8000.0, "high": 25000.0, "critical": 100000.0}}
    });
    Instance::from_json(&value.to_string()).expect("hand-made instance")
}

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
