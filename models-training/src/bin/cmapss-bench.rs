//! NASA C-MAPSS benchmark: trains on a training file, scores the last cycle of each test
//! unit, and prints `FD00x rmse=.. phm08=.. coverage80=.. train_s=..` as its last line
//! (with `--all`, one such line per subset, FD001, FD002 and FD004, at the end).

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use models_training::cmapss::bench::{self, ALL_SUBSETS, BenchOptions, BenchReport};

/// Train and score a C-MAPSS subset (defaults: the committed FD001 files).
#[derive(Debug, Parser)]
#[command(name = "cmapss-bench")]
struct Args {
    /// Run FD001, FD002 and FD004 from `--data-dir` and print one line per subset.
    #[arg(long, conflicts_with_all = ["train", "test", "rul", "write_artifact"])]
    all: bool,
    /// Directory of the subsets' files (`train_FD00x.txt[.gz]`, `test_..`, `RUL_..`);
    /// default: the copies the project keeps in models-training/data/cmapss.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Training series (run to failure).
    #[arg(long)]
    train: Option<PathBuf>,
    /// Test series.
    #[arg(long)]
    test: Option<PathBuf>,
    /// True RUL of the test units.
    #[arg(long)]
    rul: Option<PathBuf>,
    /// Train with this RUL cap instead of 125 (the cross-validated choice, and the
    /// setting of most published C-MAPSS work).
    #[arg(long, value_parser = parse_cap)]
    cap: Option<f64>,
    /// Skip the cross-validation, and with it the 80 % intervals calibrated on it.
    #[arg(long)]
    no_cv: bool,
    /// Run the hyperparameter and feature search by cross-validation on the training
    /// file only (the test files are not read), print it, and exit.
    #[arg(long, conflicts_with_all = ["write_artifact", "all"])]
    tune: bool,
    /// Measure by cross-validation on the training file only (the test files are not
    /// read) how the training cap trades accuracy near failure against long lives; print
    /// and exit.
    #[arg(long, conflicts_with_all = ["write_artifact", "all", "tune"])]
    cap_study: bool,
    /// Write the trained model to models-training/artifacts/<model_version>.json (or to PATH).
    #[arg(long, value_name = "PATH", num_args = 0..=1, default_missing_value = "")]
    write_artifact: Option<String>,
}

fn parse_cap(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(cap) if cap.is_finite() && cap >= 1.0 => Ok(cap),
        _ => Err(format!("`{text}` is not a cap of at least 1 cycle")),
    }
}

fn options(args: &Args, subset: &str) -> BenchOptions {
    let dir = args
        .data_dir
        .clone()
        .unwrap_or_else(bench::default_data_dir);
    let mut options = BenchOptions::subset(&dir, subset);
    if let Some(p) = &args.train {
        options.train.clone_from(p);
    }
    if let Some(p) = &args.test {
        options.test.clone_from(p);
    }
    if let Some(p) = &args.rul {
        options.rul.clone_from(p);
    }
    options.cv_estimate = !args.no_cv;
    if let Some(cap) = args.cap {
        options.config.rul_cap = cap;
    }
    options
}

fn run(options: &BenchOptions) -> anyhow::Result<BenchReport> {
    let report = bench::run(options, &mut |line| println!("{line}"))
        .with_context(|| format!("benchmark of {} failed", options.train.display()))?;
    println!("{}", report.literature_line());
    Ok(report)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.all {
        let mut lines = Vec::new();
        for subset in ALL_SUBSETS {
            lines.push(run(&options(&args, subset))?.result_line());
        }
        for line in lines {
            println!("{line}");
        }
        return Ok(());
    }
    let options = options(&args, "FD001");
    if args.tune {
        bench::tune(&options, &mut |line| println!("{line}")).context("tuning failed")?;
        return Ok(());
    }
    if args.cap_study {
        bench::cap_study(&options, &mut |line| println!("{line}"))
            .context("the cap study failed")?;
        return Ok(());
    }
    let report = run(&options)?;
    if let Some(target) = args.write_artifact {
        let path = if target.is_empty() {
            bench::default_artifact_dir().join(format!("{}.json", report.model.model_version))
        } else {
            PathBuf::from(target)
        };
        report.model.save(&path)?;
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        println!("artifact written: {} ({size} bytes)", path.display());
    }
    println!("{}", report.result_line());
    Ok(())
}
