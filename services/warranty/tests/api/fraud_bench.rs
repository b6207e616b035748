//! The fraud benchmark's pipeline runs end to end on a tiny fleet (simulation, health
//! replay, claims, histories, assessment, metrics) and prints its figures. The figures
//! are not held to the targets here: a few claims say nothing about them.

#![cfg(feature = "fraud-bench")]

use std::process::Command;

#[test]
fn the_bench_pipeline_runs_and_prints_its_metrics() {
    let out = Command::new(env!("CARGO_BIN_EXE_fraud-bench"))
        .args([
            "--seed",
            "3",
            "--claims",
            "16",
            "--days",
            "30",
            "--threads",
            "2",
        ])
        .output()
        .expect("run fraud-bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().expect("a last line");
    let fields: Vec<(&str, f64)> = last
        .split(' ')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k, v.parse().expect("a number")))
        .collect();
    let names: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        names,
        [
            "claims",
            "precision",
            "recall",
            "auto_approve_rate",
            "p99_ms"
        ]
    );
    assert!(fields[0].1 >= 1.0 && fields[0].1 <= 16.0, "{last}");
    for (k, v) in &fields[1..4] {
        assert!((0.0..=1.0).contains(v), "{k}={v}");
    }
    assert!(stdout.contains("pattern"), "{stdout}");
}
