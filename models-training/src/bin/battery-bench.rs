//! NASA Ames Li-ion battery benchmark: the health engine's growth laws and RUL
//! intervals, learned leave-one-cell-out on the capacity fade of cells B0005, B0006,
//! B0007 and B0018 (`models_training::battery`), predict each held-out cell's end of life from
//! cycles 50, 80 and 100. Prints every prediction, then as its last lines the mean
//! errors and interval coverage per threshold beside those of the untrained engine and
//! of a naive straight line.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use models::health::growth::Law;
use models_training::battery::baseline::LINEAR_CYCLES;
use models_training::battery::score::{Errors, coverage};
use models_training::battery::{
    CELLS, Cell, Fold, Prediction, Setup, capacity_file, leave_one_cell_out, read_capacities,
    write_capacities,
};
use models_training::training::growth::LawChoice;

/// Leave-one-cell-out end-of-life prediction on the NASA Ames battery cells.
#[derive(Debug, Parser)]
#[command(name = "battery-bench", about)]
struct Args {
    /// Folder of the raw `B00xx.csv.gz` (e.g. ../shared/data/nasa-battery): capacities
    /// are integrated from it and checked against the committed ones (default: the
    /// committed `models-training/data/nasa-battery/capacity.csv`).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// With `--data-dir`: writes the integrated capacities here (how the committed file
    /// was made).
    #[arg(long, requires = "data_dir")]
    write_capacities: Option<PathBuf>,
    /// End-of-life capacities, Ah: 1.4 is the literature's; B0007 never reaches it,
    /// every cell reaches 1.45.
    #[arg(long, value_delimiter = ',', default_values_t = [1.4, 1.45])]
    thresholds: Vec<f64>,
    /// Cycles the end of life is predicted from.
    #[arg(long, value_delimiter = ',', default_values_t = [50, 80, 100])]
    starts: Vec<usize>,
    /// First cycle of the training histories.
    #[arg(long, default_value_t = 30)]
    train_from: usize,
    /// Cycles between two training histories of a cell.
    #[arg(long, default_value_t = 1)]
    every: usize,
    /// Nominal interval coverage.
    #[arg(long, default_value_t = 0.8)]
    coverage: f64,
    /// Fewest pairs an interval bin needs for its own quantiles (`calibrate-intervals`'
    /// value).
    #[arg(long, default_value_t = 40)]
    min_pairs: usize,
    /// Worker threads (folds run in parallel).
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (cells, source) = load(&args)?;
    println!(
        "NASA Ames Li-ion 18650 ageing cells (Saha & Goebel, NASA Prognostics Data Repository, 2007), {source}"
    );
    println!(
        "capacity of a cycle: the integral of its discharge current; end of life: the first cycle below the threshold"
    );
    print_cells(&cells, &args.thresholds);
    let started = Instant::now();
    let mut results = Vec::new();
    for &threshold_ah in &args.thresholds {
        let setup = Setup {
            threshold_ah,
            starts: args.starts.clone(),
            train_from: args.train_from,
            every: args.every,
            coverage: args.coverage,
            min_pairs: args.min_pairs,
        };
        let folds = leave_one_cell_out(&cells, &setup, args.threads);
        print_folds(&cells, &setup, &folds);
        results.push((setup, folds));
    }
    println!(
        "\nlearned and predicted in {:.1} s; summary (error = |predicted - true end of life|, relative = error / true cycles left):",
        started.elapsed().as_secs_f64()
    );
    for (setup, folds) in &results {
        print_summary(setup, folds);
    }
    Ok(())
}

/// The cells: integrated from the raw data (and checked against the committed
/// capacities, or written) or read from the committed capacities.
fn load(args: &Args) -> anyhow::Result<(Vec<Cell>, String)> {
    let committed = capacity_file();
    let Some(dir) = &args.data_dir else {
        return Ok((
            read_capacities(&committed)?,
            committed.display().to_string(),
        ));
    };
    let cells: Vec<Cell> = CELLS
        .iter()
        .map(|name| Cell::load(dir, name))
        .collect::<anyhow::Result<_>>()?;
    if let Some(path) = &args.write_capacities {
        write_capacities(path, &cells)?;
    } else {
        anyhow::ensure!(
            read_capacities(&committed)? == cells,
            "the capacities integrated from {} differ from {}",
            dir.display(),
            committed.display()
        );
    }
    Ok((cells, dir.display().to_string()))
}

fn print_cells(cells: &[Cell], thresholds: &[f64]) {
    print!(
        "{:<6} {:>6} {:>7} {:>7} {:>7}",
        "cell", "cycles", "new_Ah", "last_Ah", "min_Ah"
    );
    for t in thresholds {
        print!(" {:>9}", format!("eol@{t}"));
    }
    println!();
    for c in cells {
        let min = c.capacity_ah.iter().copied().fold(f64::INFINITY, f64::min);
        let last = c.capacity_ah.last().copied().unwrap_or(f64::NAN);
        print!(
            "{:<6} {:>6} {:>7.3} {:>7.3} {:>7.3}",
            c.name,
            c.cycles(),
            c.initial_ah(),
            last,
            min
        );
        for t in thresholds {
            let eol = c
                .eol_cycle(*t)
                .map_or_else(|| "never".to_owned(), |e| e.to_string());
            print!(" {eol:>9}");
        }
        println!();
    }
}

fn print_folds(cells: &[Cell], setup: &Setup, folds: &[Fold]) {
    println!("\n== end of life at {} Ah ==", setup.threshold_ah);
    for c in cells
        .iter()
        .filter(|c| c.eol_cycle(setup.threshold_ah).is_none())
    {
        println!(
            "{} never falls below {} Ah in its {} cycles: no end of life to predict or learn from",
            c.name,
            setup.threshold_ah,
            c.cycles()
        );
    }
    for f in folds {
        println!(
            "\nheld out {}; learned on {}: {}",
            f.held_out,
            f.trained_on.join(", "),
            describe_law(f.learned.law.as_ref())
        );
        match &f.learned.intervals {
            Some(iv) => println!("  80 % interval: {}", iv.calibrated_on),
            None => println!("  80 % interval: too few pairs to calibrate"),
        }
        println!(
            "  {:>5} {:>8} {:>10} {:>6} {:>15} {:>7} {:>10} {:>6}",
            "start",
            "true_eol",
            "engine_eol",
            "error",
            "interval80",
            "covers",
            "linear_eol",
            "error"
        );
        for p in &f.predictions {
            print_prediction(p);
        }
        for s in &f.past_eol {
            println!(
                "  {s:>5} at or past the end of life (cycle {}): not predicted",
                f.true_eol
            );
        }
    }
}

fn print_prediction(p: &Prediction) {
    let interval = p
        .interval
        .map_or_else(|| "-".to_owned(), |[lo, hi]| format!("[{lo:.0}, {hi:.0}]"));
    let covers = match p.covered() {
        Some(true) => "yes",
        Some(false) => "no",
        None => "-",
    };
    let t = p.true_eol as f64;
    println!(
        "  {:>5} {:>8} {:>10.1} {:>+6.1} {:>15} {:>7} {:>10.1} {:>+6.1}",
        p.start,
        p.true_eol,
        p.engine_eol,
        p.engine_eol - t,
        interval,
        covers,
        p.linear_eol,
        p.linear_eol - t
    );
}

fn describe_law(choice: Option<&LawChoice>) -> String {
    let Some(c) = choice else {
        return "no growth law beat the untrained extrapolation; the engine keeps it".to_owned();
    };
    let g = c.growth;
    let law = match g.law {
        Law::Power { k } => format!("power law k = {k}"),
        Law::Exponential { rate } => format!("exponential law rate = {rate}"),
    };
    format!(
        "{law}{}, limit {} ({} training histories: right urgency band {:.2}, median log error {:.3}; untrained extrapolation {:.2}, {:.3})",
        if g.offset { " from an offset" } else { "" },
        g.limit,
        c.accuracy.histories,
        c.accuracy.band,
        c.accuracy.log_error_p50,
        c.calibrated.band,
        c.calibrated.log_error_p50
    )
}

fn print_summary(setup: &Setup, folds: &[Fold]) {
    let all: Vec<&Prediction> = folds.iter().flat_map(|f| &f.predictions).collect();
    let engine = Errors::of(&all, |p| p.engine_eol);
    let linear = Errors::of(&all, |p| p.linear_eol);
    let (inside, with) = coverage(&all);
    let cells: Vec<&str> = folds.iter().map(|f| f.held_out.as_str()).collect();
    println!(
        "{} Ah, {} predictions on {}: engine MAE {:.1} cycles (median {:.1}), relative {:.2}, 80 % interval coverage {inside}/{with}; naive line (last {LINEAR_CYCLES} cycles) MAE {:.1} (median {:.1}), relative {:.2}",
        setup.threshold_ah,
        engine.predictions,
        cells.join(" "),
        engine.mae_cycles,
        engine.median_cycles,
        engine.relative,
        linear.mae_cycles,
        linear.median_cycles,
        linear.relative,
    );
    let by_start: Vec<String> = setup
        .starts
        .iter()
        .map(|s| {
            let at: Vec<&Prediction> = all.iter().copied().filter(|p| p.start == *s).collect();
            let (e, l) = (
                Errors::of(&at, |p| p.engine_eol),
                Errors::of(&at, |p| p.linear_eol),
            );
            format!(
                "from {s}: {:.1} vs {:.1} (n {})",
                e.mae_cycles, l.mae_cycles, e.predictions
            )
        })
        .collect();
    println!(
        "{} Ah, MAE engine vs naive line by start cycle: {}",
        setup.threshold_ah,
        by_start.join("; ")
    );
}
