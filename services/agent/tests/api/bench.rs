//! The committed scenario set and the rule-based diagnoser's score on it.

use std::collections::BTreeSet;

// The benchmark lives in the `agent-bench` binary, not the library: its scoring is
// compiled into this test too. Not every figure the binary prints is checked here.
#[allow(dead_code)]
#[path = "../../src/bin/agent-bench/scenarios.rs"]
mod scenarios;
#[allow(dead_code)]
#[path = "../../src/bin/agent-bench/score.rs"]
mod score;

use score as bench;

/// Severity accuracy measured on the committed set (0.794, below the 0.90 target: the
/// rules band the health engine's RUL, and what the telemetry tells of the time to
/// failure when a fault first shows bounds it; docs/benchmarks.md). A regression
/// guard, not the target.
const SEVERITY_FLOOR: f64 = 0.77;

#[tokio::test]
async fn the_rule_based_diagnoser_on_the_scenario_set() {
    let set = bench::load(scenarios::DEFAULT_PATH).unwrap();
    assert!(
        set.scenarios.len() >= 100,
        "{} scenarios",
        set.scenarios.len()
    );
    let modes: BTreeSet<&str> = set.scenarios.iter().map(|s| s.sim_mode.as_str()).collect();
    assert_eq!(modes.len(), 10, "every fleetsim mode: {modes:?}");
    assert!(
        set.seeds.iter().all(|s| *s != 42 && *s != 7),
        "not the health benchmarks' seeds"
    );
    let agent = bench::agent(&set, None);
    let (r, _) = bench::run(&set, &agent).await;
    assert_eq!(r.scenarios, set.scenarios.len());
    assert!(
        r.component_acc >= bench::TARGET_COMPONENT,
        "component {}",
        r.component_acc
    );
    assert!(
        r.severity_acc >= SEVERITY_FLOOR,
        "severity {}",
        r.severity_acc
    );
    assert!(r.action_acc >= 0.95, "key action {}", r.action_acc);
    assert!(r.mode_acc >= 0.95, "failure mode {}", r.mode_acc);
    assert_eq!(r.fallback_rate, 0.0);
}
