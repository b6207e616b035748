//! `plan`: the batch optimizer on the snapshot; its plans pass the checker.

use std::time::Duration;

use super::super::{JobRequest, Plan, Snapshot, plan, to_instance};
use super::fixture::{A, A1, at, brake_job, id, snapshot, with_parts};
use crate::domain::booking::Busy;
use crate::domain::optimizer::instance::{JobKind, Severity};
use crate::domain::optimizer::{Assignment, Solution, check, objective};

fn jobs() -> Vec<JobRequest> {
    let mut out = Vec::new();
    for (i, parts) in [&[][..], &[("brake_pad_set", 1)], &[("brake_pad_set", 2)]]
        .into_iter()
        .enumerate()
    {
        let mut j = with_parts(brake_job(), parts);
        j.key = format!("brakes-{i}");
        j.vehicle_id = format!("V{i}");
        out.push(j);
    }
    let mut shared = brake_job();
    shared.key = "same-vehicle".into();
    shared.vehicle_id = "V0".into();
    out.push(shared);
    let mut emergency = brake_job();
    emergency.key = "emergency".into();
    emergency.kind = JobKind::Emergency;
    emergency.skill = "engine".into();
    emergency.severity = Severity::Critical;
    emergency.duration_minutes = 240;
    out.push(emergency);
    out
}

/// The plan as a SPEC solution of the same instance, checked against R1-R10.
fn checked(s: &Snapshot, jobs: &[JobRequest], p: &Plan) -> f64 {
    let (instance, frame) = to_instance(s, jobs).expect("valid");
    let solution = Solution {
        assignments: p
            .assignments
            .iter()
            .map(|(key, slot)| Assignment {
                job: key.clone(),
                center: slot.center_id.to_string(),
                technician: slot.technician_id.to_string(),
                start_minute: frame.minute(slot.starts_at),
                parts_from_stock: slot.parts_from_stock,
            })
            .collect(),
        unassigned: p.unassigned.clone(),
        objective: None,
    };
    let violations = check(&instance, &solution);
    assert!(violations.is_empty(), "{violations:?}");
    objective(&instance, &solution)
}

#[test]
fn a_plan_passes_the_checker_around_existing_bookings() {
    let mut s = snapshot();
    s.busy.push(Busy {
        center_id: id(A),
        technician_id: id(A1),
        vehicle_id: "V9".into(),
        starts_at: at(4, 10, 0),
        ends_at: at(4, 17, 0),
    });
    let jobs = jobs();
    let p = plan(&s, &jobs, Duration::from_millis(100), 7);
    assert_eq!(p.assignments.len() + p.unassigned.len(), jobs.len());
    assert_eq!(p.assignments.len(), jobs.len(), "{p:?}");
    let z = checked(&s, &jobs, &p);
    assert!((z - p.objective).abs() < 1e-6, "{z} vs {}", p.objective);
    for (_, slot) in &p.assignments {
        assert!(slot.score > 0.0 && slot.score <= 1.0);
        assert!(!(slot.technician_id == id(A1) && slot.starts_at < at(4, 17, 0)));
    }
    let emergency = p
        .assignments
        .iter()
        .find(|a| a.0 == "emergency")
        .expect("booked");
    assert_eq!(emergency.1.center_id, id(super::fixture::B));
}

#[test]
fn jobs_competing_for_one_slot_are_spread() {
    let s = snapshot();
    let jobs = jobs();
    let p = plan(&s, &jobs[..2], Duration::from_millis(50), 1);
    checked(&s, &jobs[..2], &p);
    let starts: Vec<_> = p
        .assignments
        .iter()
        .map(|a| (a.1.center_id, a.1.starts_at))
        .collect();
    assert_eq!(starts.len(), 2);
    assert_ne!(starts[0], starts[1]);
    // One of them had to give up its cheapest slot.
    assert!(p.assignments.iter().any(|a| a.1.score < 1.0), "{p:?}");
}

#[test]
fn duplicate_keys_plan_nothing() {
    let mut jobs = jobs();
    jobs[1].key = jobs[0].key.clone();
    let p = plan(&snapshot(), &jobs, Duration::from_millis(10), 1);
    assert!(p.assignments.is_empty());
    assert_eq!(p.unassigned.len(), jobs.len());
}
