//! `calibrate-intervals`: replays a simulated fleet the model was not trained on
//! through the health engine, pairs the RUL of every truly failing part with its true
//! time to failure, and writes the 80 % interval calibration into the model artifact
//! (see `models::health::interval`). Training uses seed 7 (and 1007), the detection
//! benchmark 42 and up: calibrate on another. With `--profile realistic` it calibrates
//! on a realistic fleet, by default drawn from the `training` distributions (the
//! evaluation draws from disjoint ones).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use fleetsim::realism::RealismArgs;
use models::health::interval::RulIntervals;
use models::health::{Engine, RulModel};
use models_training::decisions::{self, RealisticSpec};
use models_training::fleet::{self, FleetSpec};

/// Bins of predicted RUL, days: the urgency guide's bands, then a month.
const EDGES: [f64; 4] = [3.0, 8.0, 15.0, 30.0];
/// Fewest pairs a bin needs for quantiles of its own.
const MIN_PAIRS: usize = 40;

/// Calibrates the RUL intervals of the health model.
#[derive(Debug, Parser)]
#[command(name = "calibrate-intervals", about)]
struct Args {
    /// Vehicles in the calibration fleet.
    #[arg(long, default_value_t = 300)]
    vehicles: u32,
    /// Simulated days.
    #[arg(long, default_value_t = 90)]
    days: u32,
    /// Calibration seed: neither training's (7, 1007) nor the benchmark's (42 and up).
    #[arg(long, default_value_t = 9)]
    seed: u64,
    /// Share of vehicles given a degradation.
    #[arg(long, default_value_t = 0.5)]
    degrade_fraction: f64,
    /// Nominal coverage.
    #[arg(long, default_value_t = 0.8)]
    coverage: f64,
    /// The artifact to read and rewrite.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/artifacts/health-rul.json"))]
    model: PathBuf,
    /// Worker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    #[command(flatten)]
    realism: RealismArgs,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.seed != 7 && args.seed != 1007 && !(42..=61).contains(&args.seed),
        "seed {} is training's or the benchmark's: calibrate on another",
        args.seed
    );
    let mut model = RulModel::from_path(&args.model)?;
    // Calibrate the point predictions alone, whatever intervals the artifact had.
    model.rul_intervals = None;
    let engine = Engine::new(model.clone());
    let spec = FleetSpec {
        vehicles: args.vehicles,
        days: args.days,
        seed: args.seed,
        degrade_fraction: args.degrade_fraction,
        assess_every_s: 15 * 60,
        interval_s: 60,
    };
    let started = Instant::now();
    let realism = args.realism.config()?;
    let profile = if realism.options.any() {
        format!("realistic ({} parameters)", realism.params.name)
    } else {
        "default".to_owned()
    };
    let (pairs, faults) = if realism.options.any() {
        realistic_pairs(
            &engine,
            RealisticSpec {
                fleet: spec,
                realism,
            },
            args.threads,
        )
    } else {
        default_pairs(&engine, &spec, args.threads)
    };
    let on = format!(
        "fleetsim seed {}, {profile} profile, {} vehicles, {} days, {:.0} % degraded: {} RULs of {} failing parts, every 6 h while degrading",
        spec.seed,
        spec.vehicles,
        spec.days,
        100.0 * spec.degrade_fraction,
        pairs.len(),
        faults
    );
    let intervals = RulIntervals::calibrate(&pairs, &EDGES, args.coverage, MIN_PAIRS, on)
        .context("too few RULs of failing parts to calibrate intervals")?;
    println!(
        "{:>10} {:>9} {:>10} {:>6}",
        "rul_up_to", "low_ratio", "high_ratio", "pairs"
    );
    for b in &intervals.bins {
        let up = b
            .up_to_days
            .map_or_else(|| "-".to_owned(), |d| format!("{d:.0}"));
        println!(
            "{up:>10} {:>9.3} {:>10.3} {:>6}",
            b.low_ratio, b.high_ratio, b.pairs
        );
    }
    model.rul_intervals = Some(intervals);
    let mut json = serde_json::to_string_pretty(&model)?;
    json.push('\n');
    std::fs::write(&args.model, json)
        .with_context(|| format!("writing {}", args.model.display()))?;
    println!(
        "calibrated on {} RULs of {faults} failing parts in {:.1} s; wrote {}",
        pairs.len(),
        started.elapsed().as_secs_f64(),
        args.model.display()
    );
    Ok(())
}

/// RULs of failing parts on the default profile (one fault per degraded vehicle), and
/// how many parts.
fn default_pairs(engine: &Engine, spec: &FleetSpec, threads: usize) -> (Vec<(f64, f64)>, usize) {
    let runs = fleet::replay_fleet(engine, spec, threads);
    let pairs = runs
        .iter()
        .flat_map(|r| r.degrading_checks.iter().map(|c| (c.predicted, c.truth)))
        .collect();
    let faults = runs
        .iter()
        .filter(|r| !r.degrading_checks.is_empty())
        .count();
    (pairs, faults)
}

/// RULs of failing parts on a realistic fleet, and how many parts (a vehicle's
/// component).
fn realistic_pairs(
    engine: &Engine,
    spec: RealisticSpec,
    threads: usize,
) -> (Vec<(f64, f64)>, usize) {
    let runs = decisions::replay_fleet(engine, &spec, threads);
    let pairs: Vec<(f64, f64)> = runs
        .iter()
        .flat_map(|r| r.degrading_ruls().map(|(c, truth)| (c.predicted, truth)))
        .collect();
    let faults = runs
        .iter()
        .map(|r| {
            let parts: std::collections::BTreeSet<_> =
                r.degrading_ruls().map(|(c, _)| c.component).collect();
            parts.len()
        })
        .sum();
    (pairs, faults)
}
