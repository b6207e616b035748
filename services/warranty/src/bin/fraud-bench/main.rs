//! `fraud-bench`: a labelled warranty claim set generated on a simulated fleet (each
//! vehicle's telemetry replayed through the real health engine) is run through the
//! warranty service's decision code, `domain::fraud::assess`. Prints recall per pattern
//! and, last, `claims=<n> precision=<x> recall=<x> auto_approve_rate=<x> p99_ms=<x>`.
//! p99 is `assess()` alone; the service adds its telemetry and history lookups.
//!
//! `--train` fits the score's weights on the given (training) seed and prints them for
//! `domain/fraud/score.rs`; score on other seeds.

mod build;
mod generate;
mod history;
mod metrics;
mod text;
mod timeline;

use std::collections::BTreeMap;
use std::time::Instant;

use clap::Parser;
use models::health::Engine;
use warranty::domain::fraud::score::{self, TrainConfig};
use warranty::domain::fraud::{assess, features};
use warranty::domain::model::Recommendation;

use generate::{Label, Spec};
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
    /// Replay threads.
    #[arg(long, default_value_t = 4)]
    threads: usize,
    /// Fit the weights on this seed and print them instead of scoring.
    #[arg(long)]
    train: bool,
    /// Training: loss weight of a legitimate claim relative to a fraudulent one.
    #[arg(long, default_value_t = 2.0)]
    legit_weight: f64,
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
    };
    let started = Instant::now();
    let (world, claims) = generate::generate(&spec, &engine);
    let histories = history::histories(&world, &claims);
    eprintln!(
        "fraud-bench: seed {}, {} claims generated in {:.1} s",
        args.seed,
        claims.len(),
        started.elapsed().as_secs_f64()
    );
    if args.train {
        train(&claims, &histories, args.legit_weight);
        return Ok(());
    }
    let mut by_pattern: BTreeMap<&str, (usize, usize, f64)> = BTreeMap::new();
    let mut outcomes = Vec::with_capacity(claims.len());
    for (c, h) in claims.iter().zip(&histories) {
        let t = Instant::now();
        let a = assess(&c.claim, &c.eligibility, &c.record, h);
        let micros = t.elapsed().as_secs_f64() * 1e6;
        outcomes.push(Outcome {
            label: c.label,
            recommendation: a.recommendation,
            micros,
        });
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

/// Fits the weights on the claims (negligent ones left out) and prints them.
fn train(
    claims: &[generate::Labelled],
    histories: &[warranty::domain::model::ClaimHistory],
    legit_weight: f64,
) {
    let samples: Vec<_> = claims
        .iter()
        .zip(histories)
        .filter(|(c, _)| c.label != Label::Negligent)
        .map(|(c, h)| {
            let found = features::extract(&c.claim, &c.eligibility, &c.record, h);
            (
                warranty::domain::fraud::strengths(&found),
                c.label == Label::Fraud,
            )
        })
        .collect();
    let cfg = TrainConfig {
        legit_weight,
        ..TrainConfig::default()
    };
    let w = score::train(&samples, cfg);
    println!("intercept: {:.3},\nw: {:.3?},", w.intercept, w.w);
    for (n, v) in features::NAMES.iter().zip(w.w) {
        println!("  {n:<28} {v:.3}");
    }
}
