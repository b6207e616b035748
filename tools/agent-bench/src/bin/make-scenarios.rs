//! `make-scenarios`: writes a scenario file for `agent-bench` — realistic fleets (the
//! evaluation distributions) replayed through the health engine, every event the
//! agent decides on, with the fleet's truth. The committed file
//! (`scenarios/small-realistic.json`, what `make test` scores) is one fleet of 40
//! vehicles over 90 days, seed 48: not a seed the engine was trained (9) or evaluated
//! (42–47) on.
//!
//!     cargo run --release -p agent-bench --bin make-scenarios [-- --seeds 48 --vehicles 40 --days 90 --out PATH]

use std::path::PathBuf;

use agent_bench::set::{DEFAULT_PATH, Fleet, ScenarioSet};
use clap::Parser;
use fleetsim::realism::{Profile, RealismArgs};
use models::health::Engine;
use models_training::decisions::RealisticSpec;
use models_training::fleet::FleetSpec;

#[derive(Debug, Parser)]
#[command(
    name = "make-scenarios",
    about = "Writes a scenario file for agent-bench"
)]
struct Args {
    /// One fleet per seed.
    #[arg(long, value_delimiter = ',', default_value = "48")]
    seeds: Vec<u64>,
    /// Vehicles per fleet.
    #[arg(long, default_value_t = 40)]
    vehicles: u32,
    /// Simulated days.
    #[arg(long, default_value_t = 90)]
    days: u32,
    /// Share of vehicles given a fault.
    #[arg(long, default_value_t = 0.5)]
    degrade_fraction: f64,
    /// Where to write it.
    #[arg(long, default_value = DEFAULT_PATH)]
    out: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let engine = Engine::bundled()?;
    let realism = RealismArgs {
        profile: Profile::Realistic,
        ..RealismArgs::default()
    }
    .config()?;
    let mut fleets = Vec::new();
    for &seed in &args.seeds {
        let spec = RealisticSpec {
            fleet: FleetSpec {
                vehicles: args.vehicles,
                days: args.days,
                seed,
                degrade_fraction: args.degrade_fraction,
                assess_every_s: 3600,
                interval_s: 300,
            },
            realism: realism.clone(),
        };
        let fleet = Fleet::replay(&engine, &spec, 2);
        eprintln!("seed {seed}: {} events", fleet.events());
        fleets.push(fleet);
    }
    let set = ScenarioSet {
        generator: format!(
            "make-scenarios: fleetsim realistic profile ({} parameters), {} vehicles x {} days, {:.0} % given a fault, hourly assessment, 5-minute readings, health model {}",
            realism.params.name,
            args.vehicles,
            args.days,
            args.degrade_fraction * 100.0,
            engine.model_version()
        ),
        fleets,
    };
    set.save(&args.out)?;
    eprintln!("wrote {}", args.out.display());
    Ok(())
}
