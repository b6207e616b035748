//! `fraud-bench`: a labelled warranty claim set generated on a simulated fleet (each
//! vehicle's telemetry replayed through the real health engine) is run through the
//! warranty service's decision code, `domain::fraud::assess`. Prints recall per pattern
//! and, last, `claims=<n> precision=<x> recall=<x> auto_approve_rate=<x> p99_ms=<x>`.
//! p99 is the claim index (search and add, embedded Qdrant Edge on disk) plus
//! `assess()`; the service adds its REST lookups of the vehicle's record and its
//! history queries (measured under `make up`: docs/benchmarks.md).
//!
//! `--train` fits the score's weights on the given (training) seed and prints them for
//! `domain/fraud/score.rs`; score on other seeds.

mod build;
mod generate;
mod history;
mod index;
mod metrics;
mod report;
mod text;
mod timeline;
mod tune;

use std::collections::BTreeMap;
use std::time::Instant;

use clap::Parser;
use models::health::Engine;
use warranty::domain::fraud::{assess, features};
use warranty::domain::model::Recommendation;

use generate::Spec;
use metrics::Outcome;

/// Scores the warranty fraud analysis on a labelled simulated claim set.
#[derive(Debug, Parser)]
#[command(name = "fraud-bench", about)]
struct Args {
    /// Fleet and claim seed (the bundled weights were trained on seed 7).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Claims (one per simulated vehicle).
    #[arg(long, default_value_t = 600)]
    claims: usize,
    /// Simulated days.
    #[arg(long, default_value_t = 120)]
    days: u32,
    /// Seconds between a vehicle's readings (fleetsim's default is 60).
    #[arg(long, default_value_t = 60)]
    interval: u32,
    /// Replay threads.
    #[arg(long, default_value_t = 4)]
    threads: usize,
    /// Fit the weights on this seed and print them instead of scoring.
    #[arg(long)]
    train: bool,
    /// Training: loss weight of a legitimate claim relative to a fraudulent one.
    #[arg(long, default_value_t = 2.0)]
    legit_weight: f64,
    /// Tuning: fit on this (training) seed with each `--sweep` legit weight and score
    /// the fits on `--seed` (the tuning seed), instead of scoring the bundled weights.
    #[arg(long)]
    train_seed: Option<u64>,
    /// Tuning: the legit weights to try.
    #[arg(long, value_delimiter = ',', default_value = "1,1.5,2,3,4")]
    sweep: Vec<f64>,
    /// Print each misjudged claim (fraud approved, legitimate reviewed) with its score,
    /// confidence and strongest features.
    #[arg(long)]
    misses: bool,
    /// Print each feature's mean strength per pattern (which patterns a feature sees).
    #[arg(long)]
    feature_table: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.claims > 0 && args.days >= 30,
        "need claims and at least 30 days"
    );
    let engine = Engine::bundled()?;
    let spec = Spec {
        seed: args.seed,
        claims: args.claims,
        days: args.days,
        threads: args.threads,
        interval_s: args.interval,
    };
    let started = Instant::now();
    let (world, claims) = generate::generate(&spec, &engine);
    let mut histories = history::histories(&world, &claims);
    let index_micros = index::neighbours(&claims, &mut histories)?;
    eprintln!(
        "fraud-bench: seed {}, {} claims generated in {:.1} s",
        args.seed,
        claims.len(),
        started.elapsed().as_secs_f64()
    );
    if args.feature_table {
        report::print_feature_table(&claims, &histories);
    }
    if args.train {
        train(&claims, &histories, args.legit_weight);
        return Ok(());
    }
    if let Some(seed) = args.train_seed {
        let (tw, tc) = generate::generate(&Spec { seed, ..spec }, &engine);
        let mut th = history::histories(&tw, &tc);
        index::neighbours(&tc, &mut th)?;
        tune::sweep((&tc, &th), (&claims, &histories), &args.sweep);
        return Ok(());
    }
    let mut by_pattern: BTreeMap<&str, (usize, usize, f64)> = BTreeMap::new();
    let mut outcomes = Vec::with_capacity(claims.len());
    for ((c, h), index_us) in claims.iter().zip(&histories).zip(&index_micros) {
        let t = Instant::now();
        let a = assess(&c.claim, &c.eligibility, &c.record, h);
        let micros = t.elapsed().as_secs_f64() * 1e6 + index_us;
        outcomes.push(Outcome {
            label: c.label,
            recommendation: a.recommendation,
            micros,
        });
        if args.misses && report::misjudged(c.label, a.recommendation) {
            report::print_miss(c, &a);
        }
        let e = by_pattern.entry(c.pattern).or_default();
        e.0 += 1;
        e.1 += usize::from(a.recommendation != Recommendation::AutoApprove);
        e.2 += a.score;
    }
    println!(
        "{:<28} {:>6} {:>9} {:>10}",
        "pattern", "claims", "reviewed", "mean_score"
    );
    for (p, (n, flagged, total)) in &by_pattern {
        println!(
            "{p:<28} {n:>6} {:>9.3} {:>10.3}",
            *flagged as f64 / *n as f64,
            total / *n as f64
        );
    }
    let s = metrics::summarise(&outcomes);
    println!(
        "negligent (ignored warnings) sent to review: {:.3}",
        s.negligent_reviewed
    );
    println!(
        "claims={} precision={:.3} recall={:.3} auto_approve_rate={:.3} p99_ms={:.3}",
        s.claims, s.precision, s.recall, s.auto_approve_rate, s.p99_ms
    );
    Ok(())
}

/// Fits the weights on the claims and prints them for `domain/fraud/score.rs`.
fn train(
    claims: &[generate::Labelled],
    histories: &[warranty::domain::model::ClaimHistory],
    legit_weight: f64,
) {
    let w = tune::fit(claims, histories, legit_weight);
    println!("intercept: {:.3},\nw: {:.3?},", w.intercept, w.w);
    for (n, v) in features::NAMES.iter().zip(w.w) {
        println!("  {n:<28} {v:.3}");
    }
}
