//! `schedule-bench --instance FILE --out FILE [--time-limit-ms N]` (SPEC section 6):
//! reads an instance, runs the optimizer within the wall-clock budget (reading and
//! writing included), checks the schedule against R1-R10 and writes it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use scheduling::domain::optimizer::{Instance, Solution, SolveOptions, check, objective, solve};

/// Default budget when `--time-limit-ms` is absent (SPEC: at most 10 s).
const DEFAULT_LIMIT_MS: u64 = 10_000;

#[derive(Debug, Parser)]
#[command(about = "Batch maintenance scheduling: solve one instance within a time limit")]
struct Args {
    /// Instance JSON (SPEC section 2).
    #[arg(long)]
    instance: PathBuf,
    /// Where to write the solution JSON (SPEC section 3); created or replaced.
    #[arg(long)]
    out: PathBuf,
    /// Wall-clock budget for the whole process, in milliseconds.
    #[arg(long, default_value_t = DEFAULT_LIMIT_MS)]
    time_limit_ms: u64,
    /// Seed of the search (runs are reproducible for a given seed and iteration count).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Search workers (threads); defaults to the available cores, at most 2.
    #[arg(long)]
    workers: Option<usize>,
}

fn main() -> ExitCode {
    let started = Instant::now();
    match run(&Args::parse(), started) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("schedule-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Time kept back for writing the solution and exiting: a tenth of the budget, at most
/// 150 ms.
fn reserve(limit: Duration) -> Duration {
    (limit / 10).min(Duration::from_millis(150))
}

fn run(args: &Args, started: Instant) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.instance)
        .with_context(|| format!("reading {}", args.instance.display()))?;
    let instance = Instance::from_json(&text)
        .with_context(|| format!("parsing {}", args.instance.display()))?;
    let limit = Duration::from_millis(args.time_limit_ms);
    let mut options = SolveOptions::within(Duration::ZERO);
    options.deadline = started + limit.saturating_sub(reserve(limit));
    options.seed = args.seed;
    if let Some(w) = args.workers {
        options.workers = w.max(1);
    }
    let report = solve(&instance, options);
    let mut solution = report.solution;
    let violations = check(&instance, &solution);
    if !violations.is_empty() {
        // A bug in the optimizer: say so, and fall back to the always-feasible empty plan.
        for v in &violations {
            eprintln!(
                "schedule-bench: infeasible schedule: {:?} {}",
                v.rule, v.detail
            );
        }
        solution = Solution {
            unassigned: instance.jobs.iter().map(|j| j.id.clone()).collect(),
            ..Solution::default()
        };
    }
    let z = objective(&instance, &solution);
    solution.objective = Some(z);
    let json = serde_json::to_string_pretty(&solution)?;
    std::fs::write(&args.out, json).with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "construction={:.6} iterations={} assigned={} unassigned={} elapsed_ms={}",
        report.construction_objective,
        report.iterations,
        solution.assignments.len(),
        solution.unassigned.len(),
        started.elapsed().as_millis()
    );
    println!("objective={z:.6}");
    Ok(())
}
