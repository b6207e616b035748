//! Every template against DESIGN's durations, the SPEC's skills and the samples' parts.

use std::collections::BTreeSet;

use shared_schemas::events::{AppointmentKind, Component, Severity};

use super::{SKILLS, duration_range, validate_skills, work_for};
use crate::domain::optimizer::instance::JobKind;

const SEVERITIES: [Severity; 4] = [
    Severity::Low,
    Severity::Medium,
    Severity::High,
    Severity::Critical,
];

/// Part names stocked in the large sample instance.
fn sample_parts() -> BTreeSet<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/instances/large.json");
    let text = std::fs::read_to_string(path).expect("large sample");
    let value: serde_json::Value = serde_json::from_str(&text).expect("json");
    value["centers"]
        .as_array()
        .expect("centers")
        .iter()
        .flat_map(|c| c["stock"].as_object().expect("stock").keys().cloned())
        .collect()
}

#[test]
fn every_template_fits_design_spec_and_samples() {
    let parts = sample_parts();
    assert!(parts.len() > 20, "{parts:?}");
    for component in Component::ALL {
        for severity in SEVERITIES {
            let w = work_for(component, severity);
            let (lo, hi) = duration_range(w.kind);
            let at = format!("{component:?}/{severity:?}");
            assert!((lo..=hi).contains(&w.duration_minutes), "{at}: {w:?}");
            assert_eq!(w.duration_minutes % 30, 0, "{at}: off the grid");
            assert!(SKILLS.contains(&w.skill), "{at}: {}", w.skill);
            assert!(!w.title.is_empty());
            let d = super::work(component, AppointmentKind::Diagnostic);
            assert!(
                (120..=180).contains(&d.duration_minutes),
                "{at}: diagnosis {d:?}"
            );
            for (p, q) in w.parts {
                assert!(parts.contains(*p) && *q >= 1, "{at}: part {p}");
            }
        }
    }
}

#[test]
fn severity_picks_the_kind_and_critical_is_the_repair_as_an_emergency() {
    for component in Component::ALL {
        let kinds: Vec<(AppointmentKind, JobKind)> = SEVERITIES
            .iter()
            .map(|s| work_for(component, *s))
            .map(|w| (w.kind, w.job_kind))
            .collect();
        assert_eq!(
            kinds,
            [
                (AppointmentKind::Routine, JobKind::Routine),
                (AppointmentKind::ComponentRepair, JobKind::Repair),
                (AppointmentKind::ComponentRepair, JobKind::Repair),
                (AppointmentKind::Emergency, JobKind::Emergency),
            ]
        );
        let (high, critical) = (
            work_for(component, Severity::High),
            work_for(component, Severity::Critical),
        );
        assert_eq!(
            (high.skill, high.duration_minutes, high.parts, high.title),
            (
                critical.skill,
                critical.duration_minutes,
                critical.parts,
                critical.title
            )
        );
        assert!(
            !high.parts.is_empty(),
            "{component:?}: a repair replaces something"
        );
    }
}

#[test]
fn skill_validation_names_the_bad_one() {
    assert!(validate_skills(&["brakes", "general"]).is_ok());
    let err = validate_skills(&["brakes", "welding"]).expect_err("welding");
    assert!(err.contains("\"welding\""), "{err}");
    assert!(validate_skills::<&str>(&[]).is_ok());
}

#[test]
fn parts_map_carries_every_part() {
    let w = work_for(Component::Cooling, Severity::High);
    let map = w.parts_map();
    assert_eq!(map.get("water_pump"), Some(&1));
    assert_eq!(map.get("coolant_5l"), Some(&2));
    assert_eq!(map.len(), w.parts.len());
}

#[test]
fn the_table_lists_every_component_once() {
    let listed: Vec<Component> = super::TABLE.iter().map(|(c, _)| *c).collect();
    assert_eq!(listed, Component::ALL);
}
