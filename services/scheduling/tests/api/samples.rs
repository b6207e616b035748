//! The checker and objective against CP-SAT's reference solutions, and the optimizer on
//! the samples, committed in `samples/` (`SCHEDULING_SAMPLES` names another directory of
//! the same layout); a missing directory fails the tests.

use std::path::PathBuf;
use std::time::Duration;

use scheduling::domain::optimizer::{
    Instance, Solution, SolveOptions, capacity_free_bound, check, objective, solve,
};
use serde_json::Value;

fn shared_dir() -> PathBuf {
    let dir = std::env::var_os("SCHEDULING_SAMPLES").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples"),
        PathBuf::from,
    );
    assert!(
        dir.is_dir(),
        "the scheduling samples are missing: {} (see samples/README.md)",
        dir.display()
    );
    dir
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn instance(name: &str) -> Instance {
    let text = read(shared_dir().join("instances").join(format!("{name}.json")));
    Instance::from_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `(objective, capacity_free_bound)` of `name` in reference.json.
fn reference(name: &str) -> (f64, f64) {
    let refs: Value =
        serde_json::from_str(&read(shared_dir().join("reference.json"))).expect("reference.json");
    let entry = refs["instances"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["name"] == name))
        .unwrap_or_else(|| panic!("{name} not in reference.json"));
    let value = |k: &str| entry[k].as_f64().unwrap_or_else(|| panic!("{name}: {k}"));
    (value("objective"), value("capacity_free_bound"))
}

const SAMPLES: [&str; 4] = ["tiny", "small", "medium", "large"];

#[test]
fn reference_solutions_are_feasible_with_the_reference_objective() {
    for name in SAMPLES {
        let inst = instance(name);
        let text = read(shared_dir().join("solutions").join(format!("{name}.json")));
        let solution: Solution =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let violations = check(&inst, &solution);
        assert!(violations.is_empty(), "{name}: {violations:?}");
        let (z_ref, _) = reference(name);
        let z = objective(&inst, &solution);
        assert!(
            (z - z_ref).abs() < 1e-5,
            "{name}: objective {z} but reference {z_ref}"
        );
    }
}

#[test]
fn capacity_free_bound_matches_the_reference() {
    for name in SAMPLES {
        let (_, bound) = reference(name);
        let ours = capacity_free_bound(&instance(name));
        assert!(
            (ours - bound).abs() < 1e-5,
            "{name}: bound {ours} but reference {bound}"
        );
    }
}

#[test]
fn optimizer_schedules_are_feasible_on_tiny_and_small() {
    for name in ["tiny", "small"] {
        let inst = instance(name);
        let mut options = SolveOptions::within(Duration::from_millis(300));
        options.workers = 1;
        let report = solve(&inst, options);
        let violations = check(&inst, &report.solution);
        assert!(violations.is_empty(), "{name}: {violations:?}");
        let z = objective(&inst, &report.solution);
        assert!(
            (z - report.objective).abs() < 1e-6 * z.max(1.0),
            "{name}: search says {} but Z = {z}",
            report.objective
        );
        assert!(
            z <= report.construction_objective + 1e-6,
            "{name}: search made it worse"
        );
        let (_, bound) = reference(name);
        assert!(
            z >= bound - 1e-6,
            "{name}: {z} below the capacity-free bound {bound}"
        );
    }
}

#[test]
fn optimizer_schedule_is_feasible_on_medium_after_construction_only() {
    let inst = instance("medium");
    let options = SolveOptions::within(Duration::ZERO);
    let report = solve(&inst, options);
    assert!(check(&inst, &report.solution).is_empty());
    assert_eq!(
        report.solution.assignments.len() + report.solution.unassigned.len(),
        inst.jobs.len()
    );
}

#[test]
fn a_float_start_minute_is_refused() {
    let text = r#"{"assignments":[{"job":"J1","center":"C1","technician":"T1","start_minute":450.0,"parts_from_stock":true}],"unassigned":[]}"#;
    assert!(serde_json::from_str::<Solution>(text).is_err());
}
