//! `train-health`: trains the health model on a simulated fleet with known failures and
//! writes `models/artifacts/health-rul.json` (see `models_training::training`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use models::health::growth::Law;
use models::health::rul::Normalization;
use models_training::fleet::FleetSpec;
use models_training::training::{self, Choice, growth::LawChoice};
use shared_schemas::events::Component;

/// Faults of a part the training fleet needs before a growth law is learned for it.
const MIN_FAULTS_FOR_A_LAW: usize = 5;

/// Trains the vehicle health model on a simulated fleet.
#[derive(Debug, Parser)]
#[command(name = "train-health", about)]
struct Args {
    /// Vehicles in the training fleet.
    #[arg(long, default_value_t = 400)]
    vehicles: u32,
    /// Simulated days.
    #[arg(long, default_value_t = 90)]
    days: u32,
    /// Training seed: keep it different from the benchmark's (42).
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Share of vehicles given a degradation.
    #[arg(long, default_value_t = 0.5)]
    degrade_fraction: f64,
    /// Cost of one false alarm, in failures warned 30 days ahead.
    #[arg(long, default_value_t = 3.0)]
    false_alarm_cost: f64,
    /// Model version written into the artifact.
    #[arg(long, default_value = "health-rul-v2")]
    version: String,
    /// Where to write the artifact.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/artifacts/health-rul.json"))]
    out: PathBuf,
    /// Worker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.seed != 42,
        "seed 42 is the benchmark's fleet: train on another"
    );
    let spec = FleetSpec {
        vehicles: args.vehicles,
        days: args.days,
        seed: args.seed,
        degrade_fraction: args.degrade_fraction,
        assess_every_s: 3600,
        interval_s: 60,
    };
    let started = Instant::now();
    let normalization = fit_normalization(&args, &spec, started)?;
    let records = training::record(&spec, args.threads, &normalization);
    let observations: usize = records.iter().map(|r| r.observations.len()).sum();
    eprintln!(
        "recorded {observations} observations of {} vehicles in {:.1} s",
        records.len(),
        started.elapsed().as_secs_f64()
    );
    let choices = training::train(&records, spec.sim_config().end, args.false_alarm_cost);
    print_choices(&choices);
    let laws = training::growth::train(&records, &choices, MIN_FAULTS_FOR_A_LAW, args.threads);
    print_laws(&laws);
    let trained_on = format!(
        "fleetsim seed {}, {} vehicles, {} days, {:.0} % degraded; RUL regression (linfa), trend thresholds per component and growth law per failure part, false alarm cost {}",
        spec.seed,
        spec.vehicles,
        spec.days,
        100.0 * spec.degrade_fraction,
        args.false_alarm_cost
    );
    let model = training::model(&choices, &laws, normalization, &args.version, &trained_on);
    let mut json = serde_json::to_string_pretty(&model)?;
    json.push('\n');
    std::fs::write(&args.out, json).with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "wrote {} ({}) in {:.1} s",
        args.out.display(),
        args.version,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The temperature normalization, fitted on a separate fleet of healthy vehicles.
fn fit_normalization(
    args: &Args,
    spec: &FleetSpec,
    started: Instant,
) -> anyhow::Result<Normalization> {
    let norm_spec = FleetSpec {
        vehicles: args.vehicles / 4,
        days: 40,
        seed: args.seed + 1000,
        degrade_fraction: 0.0,
        ..*spec
    };
    let normalization = training::fit_normalization(&norm_spec, args.threads)
        .context("too few warm driving days to fit the temperature normalization")?;
    eprintln!(
        "normalization ({:.1} s): coolant {:?}, transmission {:?}",
        started.elapsed().as_secs_f64(),
        normalization.coolant,
        normalization.transmission
    );
    Ok(normalization)
}

/// The table of trained gates and their outcome on the training fleet, per component.
fn print_choices(choices: &BTreeMap<Component, Choice>) {
    println!(
        "{:<14} {:>6} {:>6} {:>7} {:>6} {:>6} {:>9} {:>6} {:>6}",
        "component", "min_d", "min_t", "slope", "pace", "false", "detected", "lead", "rul_sd"
    );
    for (c, ch) in choices {
        let (cal, o) = (ch.calibration, ch.outcome);
        println!(
            "{:<14} {:>6.2} {:>6.1} {:>7.3} {:>6.1} {:>6} {:>5}/{:<3} {:>6.2} {:>6}",
            c.as_str(),
            cal.min_damage,
            cal.min_t,
            cal.min_slope,
            cal.min_pace_ratio,
            o.false_alarms,
            o.detected,
            o.failures,
            o.lead_score,
            if ch.fitted {
                format!("{:.2}", cal.residual_sd)
            } else {
                "-".to_owned()
            }
        );
    }
}

/// The table of learned growth laws and their accuracy, per failure part.
fn print_laws(laws: &BTreeMap<&'static str, LawChoice>) {
    println!(
        "{:<16} {:<22} {:>6} {:>5} {:>9} {:>14}",
        "part", "growth law", "offset", "limit", "histories", "band (calib.)"
    );
    for (part, ch) in laws {
        let law = match ch.growth.law {
            Law::Power { k } => format!("power k={k}"),
            Law::Exponential { rate } => format!("exponential rate={rate}"),
        };
        println!(
            "{:<16} {:<22} {:>6} {:>5.2} {:>9} {:>6.3} ({:.3})",
            part,
            law,
            ch.growth.offset,
            ch.growth.limit,
            ch.accuracy.histories,
            ch.accuracy.band,
            ch.calibrated.band
        );
    }
}
