//! NASA C-MAPSS benchmark: trains on a training file, scores the last cycle of each test
//! unit, and prints `FD00x rmse=.. phm08=.. train_s=..` as its last line.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use models::cmapss::bench::{self, BenchOptions};

/// Train and score a C-MAPSS subset (defaults: the committed FD001 files).
#[derive(Debug, Parser)]
#[command(name = "cmapss-bench")]
struct Args {
    /// Training series (run to failure).
    #[arg(long)]
    train: Option<PathBuf>,
    /// Test series.
    #[arg(long)]
    test: Option<PathBuf>,
    /// True RUL of the test units.
    #[arg(long)]
    rul: Option<PathBuf>,
    /// Skip the cross-validation estimate printed before training.
    #[arg(long)]
    no_cv: bool,
    /// Run the hyperparameter and feature search by cross-validation on the training
    /// file only (the test files are not read), print it, and exit.
    #[arg(long, conflicts_with = "write_artifact")]
    tune: bool,
    /// Write the trained model to models/artifacts/<model_version>.json (or to PATH).
    #[arg(long, value_name = "PATH", num_args = 0..=1, default_missing_value = "")]
    write_artifact: Option<String>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut options = BenchOptions::fd001();
    if let Some(p) = args.train {
        options.train = p;
    }
    if let Some(p) = args.test {
        options.test = p;
    }
    if let Some(p) = args.rul {
        options.rul = p;
    }
    options.cv_estimate = !args.no_cv;
    if args.tune {
        bench::tune(&options, &mut |line| println!("{line}")).context("tuning failed")?;
        return Ok(());
    }
    let report =
        bench::run(&options, &mut |line| println!("{line}")).context("benchmark failed")?;
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
