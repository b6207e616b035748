//! The decision-level evaluation (issue 14 §3): every decision the agent's rules take
//! on the engine's events, on several evaluation seeds, each figure with its spread.

use std::time::Instant;

use models::health::Engine;
use models_training::decisions::report::{
    print_alternatives, print_pooled, print_seed, print_targets,
};
use models_training::decisions::{self, RealisticSpec};

/// Replays and scores `spec`'s fleet on each seed, printing a line per seed, then the
/// pooled breakdowns and, last, the targets with their spreads.
pub(crate) fn run(engine: &Engine, spec: &RealisticSpec, seeds: &[u64], threads: usize) {
    eprintln!(
        "detection-bench: {} vehicles, {} days, realism {:?} ({} parameters), seeds {seeds:?}, model {}",
        spec.fleet.vehicles,
        spec.fleet.days,
        spec.realism.options.names(),
        spec.realism.params.name,
        engine.model_version()
    );
    let mut scores = Vec::new();
    for &seed in seeds {
        let mut spec = spec.clone();
        spec.fleet.seed = seed;
        let started = Instant::now();
        let runs = decisions::replay_fleet(engine, &spec, threads);
        let cfg = spec.fleet.sim_config();
        let s = decisions::score(&runs, cfg.start, cfg.end);
        let readings: u64 = runs.iter().map(|r| r.readings).sum();
        eprintln!(
            "seed {seed}: {readings} readings in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        print_seed(seed, &s);
        scores.push(s);
    }
    print_pooled(&scores);
    print_targets(&scores);
    print_alternatives(&scores);
}
