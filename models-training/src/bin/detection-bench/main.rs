//! `detection-bench`: replays a simulated fleet with injected degradations through the
//! health engine and scores its `component.degraded` alarms against the ground truth.
//! The last line is `precision=<x> recall=<x> fpr=<x> lead_days_p50=<x>`.
//!
//! With a realistic profile (`--profile realistic`, `--realism LIST`) it scores every
//! decision the agent's rules take instead, on each of `--seeds`, and prints the
//! targets of issue 14 §3 last, each as mean ± 95 % interval over the seeds.

mod realistic;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use fleetsim::realism::RealismArgs;
use models::health::{Engine, RulModel};
use models_training::decisions::RealisticSpec;
use models_training::fleet::{self, FleetSpec};
use models_training::pages::{self, PagePolicy};

/// Scores the health engine's degradation alarms on a simulated fleet.
#[derive(Debug, Parser)]
#[command(name = "detection-bench", about)]
struct Args {
    /// Vehicles (30 % of them degrade by default).
    #[arg(long, default_value_t = 200)]
    vehicles: u32,
    /// Simulated days.
    #[arg(long, default_value_t = 90)]
    days: u32,
    /// Simulation seed (training uses another one; see `train-health`).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Share of vehicles given a degradation.
    #[arg(long, default_value_t = 0.3)]
    degrade_fraction: f64,
    /// Simulated minutes between assessments of a vehicle (0: after every reading, as
    /// the service may under load).
    #[arg(long, default_value_t = 15)]
    assess_every_min: i64,
    /// Model artifact (default: the bundled `models/artifacts/health-rul.json`).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Worker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Evaluation seeds of a realistic run, comma-separated (default: `--seed`).
    #[arg(long, value_delimiter = ',')]
    seeds: Vec<u64>,
    #[command(flatten)]
    realism: RealismArgs,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let model = match &args.model {
        Some(path) => RulModel::from_path(path)?,
        None => RulModel::bundled()?,
    };
    let engine = Engine::new(model);
    let spec = FleetSpec {
        vehicles: args.vehicles,
        days: args.days,
        seed: args.seed,
        degrade_fraction: args.degrade_fraction,
        assess_every_s: args.assess_every_min * 60,
        interval_s: 60,
    };
    anyhow::ensure!(spec.vehicles > 0 && spec.days > 0, "need vehicles and days");
    let realism = args.realism.config()?;
    if realism.options.any() {
        let seeds = if args.seeds.is_empty() {
            vec![args.seed]
        } else {
            args.seeds.clone()
        };
        let spec = RealisticSpec {
            fleet: spec,
            realism,
        };
        realistic::run(&engine, &spec, &seeds, args.threads);
        return Ok(());
    }
    anyhow::ensure!(args.seeds.is_empty(), "--seeds needs a realistic profile");
    eprintln!(
        "detection-bench: {} vehicles, {} days, seed {}, model {}",
        spec.vehicles,
        spec.days,
        spec.seed,
        engine.model_version()
    );
    let started = Instant::now();
    let runs = fleet::replay_fleet(&engine, &spec, args.threads);
    let readings: u64 = runs.iter().map(|r| r.readings).sum();
    let elapsed = started.elapsed().as_secs_f64();
    let s = fleet::score(&runs, spec.sim_config().end);
    println!(
        "{readings} readings in {elapsed:.1} s ({:.0}/s)",
        readings as f64 / elapsed
    );
    println!(
        "{:<24} {:>8} {:>9} {:>10}",
        "mode", "failures", "detected", "lead_p50"
    );
    for (mode, (n, detected, lead)) in &s.by_mode {
        let lead = lead.map_or_else(|| "-".to_owned(), |l| format!("{l:.1}"));
        println!("{mode:<24} {n:>8} {detected:>9} {lead:>10}");
    }
    print_false_alarms(&runs);
    println!(
        "alarms {} (right {}, repeated {}), failures {} (warned {}), healthy {} (false alarms {})",
        s.alarms,
        s.true_alarms,
        s.repeated_alarms,
        s.failures,
        s.detected,
        s.healthy,
        s.false_alarmed
    );
    print_rul(&s);
    print_pages(&runs, spec.sim_config().end);
    let line = format!(
        "precision={:.3} recall={:.3} fpr={:.3} lead_days_p50={:.1} coverage80={}",
        s.precision(),
        s.recall(),
        s.fpr(),
        s.lead_p50(),
        s.interval_coverage()
            .map_or_else(|| "-".to_owned(), |(c, _)| format!("{c:.3}"))
    );
    println!("{line}");
    std::io::Write::flush(&mut std::io::stdout()).context("writing the result")?;
    Ok(())
}

/// Alarms about a component that is not the vehicle's faulty one, per component.
fn print_false_alarms(runs: &[fleet::VehicleRun]) {
    let mut false_by_component = std::collections::BTreeMap::new();
    for run in runs {
        let truth = run.vehicle.degradation.as_ref().map(fleet::truth_component);
        for c in run.first_degraded.keys().filter(|c| Some(**c) != truth) {
            *false_by_component.entry(c.as_str()).or_insert(0) += 1;
        }
    }
    println!("false alarms by component: {false_by_component:?}");
}

/// The pages (SMS, push) of the fleet under both policies.
fn print_pages(runs: &[fleet::VehicleRun], end: i64) {
    for (name, policy) in [
        (
            "health band (component.critical pages)",
            PagePolicy::HealthBand,
        ),
        (
            "urgency band (RUL under 8 days pages)",
            PagePolicy::UrgencyBand,
        ),
    ] {
        let p = pages::score_pages(runs, end, policy);
        println!(
            "pages by {name}: {} pages, {} ({:.1} %) with over 14 days left; faults paged a day or more ahead {}/{}",
            p.pages,
            p.early,
            100.0 * p.early_share(),
            p.paged_in_time,
            p.failures
        );
    }
}

/// How right the RULs were, and how often the truth fell in their intervals.
fn print_rul(s: &fleet::Score) {
    println!(
        "RUL while poor or critical: {} checks, median |ln(predicted/true)| {:.2}, urgency band right {:.3}",
        s.rul_checks.len(),
        s.rul_log_error_p50(),
        s.urgency_band_accuracy()
    );
    let (one, two) = s.bands_too_low();
    println!(
        "urgency band of those checks, one band too low {:.3}, two or more too low {:.3}; rows true, columns predicted (low, medium, high, critical):",
        one, two
    );
    for (row, name) in s
        .band_confusion()
        .iter()
        .zip(["low", "medium", "high", "critical"])
    {
        println!(
            "  {name:<8} {:>6} {:>6} {:>6} {:>6}",
            row[0], row[1], row[2], row[3]
        );
    }
    match s.interval_coverage() {
        Some((coverage, n)) => println!(
            "RUL interval (80 % nominal) of degrading faulty parts: {n} checks, coverage {coverage:.3}, median width {:.2} × the RUL",
            s.interval_width_p50()
        ),
        None => println!("RUL interval: the model has none (calibrate-intervals)"),
    }
}
