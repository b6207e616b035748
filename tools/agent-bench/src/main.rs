//! `agent-bench`: the agent decides on every health event of replayed fleets and is
//! scored against their truth (issue 14 §3); the targets print last, each as mean ±
//! 95 % interval over the fleets. With no provider configured the rule-based diagnoser
//! decides; with `AGENT_LLM_BASE_URL` and `AGENT_LLM_MODEL` set the same command scores
//! the model (falling back to the rules as in production, and reporting how often).
//!
//!     cargo run --release -p agent-bench -- --profile realistic --days 180 --seeds 42,43,44,45,46
//!     cargo run --release -p agent-bench -- --scenarios FILE     # a saved set (default: the committed one)
//!     cargo run --release -p agent-bench -- --reviews FILE       # a saved GET /v1/reviews/cases

use std::path::PathBuf;
use std::sync::Arc;

use agent::config::LlmConfig;
use agent::llm::LlmClient;
use agent::tools::{FixedHealth, Toolbox};
use agent_bench::decide::decide_fleet;
use agent_bench::figures::{print_mode_misses, print_spreads};
use agent_bench::reviews;
use agent_bench::set::{DEFAULT_PATH, Fleet, ScenarioSet};
use clap::Parser;
use fleetsim::realism::RealismArgs;
use models::health::{Engine, RulModel};
use models_training::decisions::report::{
    print_alternatives, print_pooled, print_seed, print_targets,
};
use models_training::decisions::{self, RealisticSpec};
use models_training::fleet::FleetSpec;

#[derive(Debug, Parser)]
#[command(
    name = "agent-bench",
    about = "Scores the agent's decisions on replayed fleets"
)]
struct Args {
    /// A scenario file (written by make-scenarios); used without a realistic profile.
    #[arg(long, default_value = DEFAULT_PATH)]
    scenarios: PathBuf,
    /// Score on the reviewers' labelled cases (a saved `GET /v1/reviews/cases`).
    #[arg(long)]
    reviews: Option<String>,
    /// Replayed fleets: vehicles each.
    #[arg(long, default_value_t = 200)]
    vehicles: u32,
    /// Replayed fleets: simulated days.
    #[arg(long, default_value_t = 180)]
    days: u32,
    /// Replayed fleets: one per seed (not the training fleet's).
    #[arg(long, value_delimiter = ',', default_value = "42,43,44,45,46")]
    seeds: Vec<u64>,
    /// Replayed fleets: share of vehicles given a fault.
    #[arg(long, default_value_t = 0.3)]
    degrade_fraction: f64,
    /// Replayed fleets: minutes between two assessments of a vehicle.
    #[arg(long, default_value_t = 15)]
    assess_every_min: i64,
    /// Health model file (default: the bundled one).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Replay threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    #[command(flatten)]
    realism: RealismArgs,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let llm = LlmConfig::from_env()?.map(LlmClient::new).transpose()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    if let Some(path) = &args.reviews {
        return runtime.block_on(score_reviews(path, llm));
    }
    let decider = llm.as_ref().map_or_else(
        || "the rule-based diagnoser".to_owned(),
        |l| format!("{} {}", l.provider(), l.model()),
    );
    let (mut scores, mut figures) = (Vec::new(), Vec::new());
    for fleet in fleets(&args)? {
        let (decided, f) = runtime.block_on(decide_fleet(&fleet, llm.as_ref()));
        let s = decisions::score(&decided.vehicles, decided.start, decided.end);
        let rules = decisions::score(&fleet.vehicles, fleet.start, fleet.end);
        eprintln!(
            "fleet {}: {} events decided by {decider}",
            fleet.seed, f.events
        );
        print_seed(fleet.seed, &s);
        println!("seed {}: {}", fleet.seed, f.line());
        println!(
            "seed {}: the replay's rules on the same events: warned {:.3}, unused life p50 {:.3}, bands too low {:.3}/{:.3}, false alarms {}, critical {} ({} over 14 days)",
            fleet.seed,
            rules.warned_share(),
            rules.unused_life_p50(),
            rules.bands_too_low().0,
            rules.bands_too_low().1,
            rules.false_alarms,
            rules.critical.0,
            rules.critical.1
        );
        scores.push(s);
        figures.push(f);
    }
    anyhow::ensure!(!scores.is_empty(), "no fleet to score");
    print_pooled(&scores);
    print_mode_misses(&figures);
    print_spreads(&figures);
    print_targets(&scores);
    print_alternatives(&scores);
    Ok(())
}

/// The fleets to decide on: replayed afresh with a realistic profile, else the
/// scenario file's.
fn fleets(args: &Args) -> anyhow::Result<Box<dyn Iterator<Item = Fleet> + '_>> {
    let realism = args.realism.config()?;
    if !realism.options.any() {
        let set = ScenarioSet::load(&args.scenarios)?;
        eprintln!(
            "agent-bench: {} ({} fleets)",
            set.generator,
            set.fleets.len()
        );
        return Ok(Box::new(set.fleets.into_iter()));
    }
    let model = match &args.model {
        Some(path) => RulModel::from_path(path)?,
        None => RulModel::bundled()?,
    };
    let engine = Engine::new(model);
    let spec = RealisticSpec {
        fleet: FleetSpec {
            vehicles: args.vehicles,
            days: args.days,
            seed: 0,
            degrade_fraction: args.degrade_fraction,
            assess_every_s: args.assess_every_min * 60,
            interval_s: 60,
        },
        realism,
    };
    anyhow::ensure!(args.vehicles > 0 && args.days > 0, "need vehicles and days");
    eprintln!(
        "agent-bench: {} vehicles, {} days, realism {:?} ({} parameters), seeds {:?}, model {}",
        args.vehicles,
        args.days,
        spec.realism.options.names(),
        spec.realism.params.name,
        args.seeds,
        engine.model_version()
    );
    Ok(Box::new(args.seeds.iter().map(move |&seed| {
        let mut spec = spec.clone();
        spec.fleet.seed = seed;
        Fleet::replay(&engine, &spec, args.threads)
    })))
}

/// Scores the configured diagnoser on the labelled cases of `path`.
async fn score_reviews(path: &str, llm: Option<LlmClient>) -> anyhow::Result<()> {
    let set = reviews::load(path)?;
    // The cases carry their evidence; nothing is fetched from a health service.
    let agent = agent::pipeline::Agent::new(
        llm,
        Toolbox::new(Arc::new(FixedHealth::default())),
        "USD".to_owned(),
    );
    let r = reviews::run(&set, &agent).await;
    println!(
        "severity_under={:.3} as_reviewed_severity_acc={:.3}",
        r.severity_under, r.reviewed_severity_acc
    );
    println!(
        "reviews={} severity_acc={:.3} key_action_acc={:.3}",
        r.cases, r.severity_acc, r.key_action_acc
    );
    Ok(())
}
