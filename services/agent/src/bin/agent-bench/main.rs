//! `agent-bench`: runs the labelled scenario set (`scenarios/scenarios.json`) through
//! the agent and scores it. With no provider configured the rule-based diagnoser
//! decides; with `AGENT_LLM_BASE_URL` and `AGENT_LLM_MODEL` set the same command scores
//! the model (falling back to the rules as in production, and reporting how often).
//! The last line is `scenarios=<n> component_acc=<x> severity_acc=<x> p99_ms=<x>`.
//!
//!     cargo run --release -p agent --bin agent-bench [-- --scenarios PATH] [--check]
//!
//! With `--reviews PATH` (a saved `GET /v1/reviews/cases`) it scores the diagnoser on
//! the reviewers' labelled cases instead; the last line is then
//! `reviews=<n> severity_acc=<x> key_action_acc=<x>`.
//!
//! Targets of the rule-based diagnoser: component 0.95, severity 0.90, p99 5 ms. The
//! figures are printed as measured; `--check` exits 1 when one is missed (the severity
//! target is missed today: see docs/architecture.md, "Agent service").

mod reviews;
mod scenarios;
mod score;

use agent::config::LlmConfig;
use agent::llm::LlmClient;
use clap::Parser;

use scenarios::{DEFAULT_PATH, ScenarioSet};
use score::{Report, Scored, TARGET_COMPONENT, TARGET_P99_MS, TARGET_SEVERITY};

#[derive(Debug, Parser)]
#[command(
    name = "agent-bench",
    about = "Scores the agent on the labelled scenario set"
)]
struct Args {
    /// Scenario file.
    #[arg(long, default_value = DEFAULT_PATH)]
    scenarios: String,
    /// Exit 1 when the rule-based diagnoser misses a target.
    #[arg(long)]
    check: bool,
    /// Print every miss.
    #[arg(long)]
    verbose: bool,
    /// Score only the first N scenarios (e.g. to try a slow or paid model).
    #[arg(long)]
    limit: Option<usize>,
    /// Score on the reviewers' labelled cases (a saved `GET /v1/reviews/cases`)
    /// instead of the scenario set.
    #[arg(long)]
    reviews: Option<String>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(path) = &args.reviews {
        return score_reviews(path).await;
    }
    let mut set = score::load(&args.scenarios)?;
    if let Some(n) = args.limit {
        set.scenarios.truncate(n);
    }
    let llm = LlmConfig::from_env()?.map(LlmClient::new).transpose()?;
    let with_model = llm.is_some();
    let agent = score::agent(&set, llm);
    eprintln!(
        "agent-bench: {} scenarios ({}), decided by {}",
        set.scenarios.len(),
        set.generator,
        agent.llm().map_or_else(
            || "the rule-based diagnoser".to_owned(),
            |l| format!("{} {}", l.provider(), l.model())
        )
    );
    // One warm-up decision (lazy tables) not counted.
    if let Some(s) = set.scenarios.first() {
        let _ = agent.decide(s.case()).await;
    }
    let (r, scored) = score::run(&set, &agent).await;
    if args.verbose {
        print_misses(&set, &scored);
    }
    print_tables(&r);
    let missed = r.component_acc < TARGET_COMPONENT
        || r.severity_acc < TARGET_SEVERITY
        || (!with_model && r.p99_ms >= TARGET_P99_MS);
    if missed {
        println!(
            "below target: component >= {TARGET_COMPONENT}, severity >= {TARGET_SEVERITY}, p99 < {TARGET_P99_MS} ms"
        );
    }
    println!(
        "scenarios={} component_acc={:.3} severity_acc={:.3} p99_ms={:.3}",
        r.scenarios, r.component_acc, r.severity_acc, r.p99_ms
    );
    if missed && !with_model && args.check {
        anyhow::bail!(
            "targets: component >= {TARGET_COMPONENT}, severity >= {TARGET_SEVERITY}, p99 < {TARGET_P99_MS} ms: missed"
        );
    }
    Ok(())
}

/// Scores the configured diagnoser on the labelled cases of `path`.
async fn score_reviews(path: &str) -> anyhow::Result<()> {
    let set = reviews::load(path)?;
    let llm = LlmConfig::from_env()?.map(LlmClient::new).transpose()?;
    // The cases carry their evidence; nothing is fetched from a health service.
    let agent = agent::pipeline::Agent::new(
        llm,
        agent::tools::Toolbox::new(std::sync::Arc::new(agent::tools::FixedHealth::default())),
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

/// One line per scenario decided wrong on severity, action or mode, with its truth.
fn print_misses(set: &ScenarioSet, scored: &[Scored]) {
    for s in scored
        .iter()
        .filter(|s| !(s.severity_ok && s.action_ok && s.mode_ok))
    {
        let truth = set
            .scenarios
            .iter()
            .find(|x| x.id == s.id)
            .map(|x| &x.truth);
        println!(
            "miss {} {}: decided {} {} conf {:.2}; truth {:?}",
            s.id,
            s.event_type,
            s.decision.failure_mode.as_str(),
            s.decision.severity.as_str(),
            s.decision.confidence,
            truth.map(|t| (t.failure_mode.as_str(), t.severity.as_str(), t.ttf_days)),
        );
    }
}

/// The figures per failure mode and per event, the severity confusion, and the line
/// of the other rates.
fn print_tables(r: &Report) {
    println!(
        "{:<24} {:>9} {:>9} {:>9} {:>9}",
        "mode", "scenarios", "severity", "mode", "action"
    );
    for (mode, (n, sev, m, act)) in &r.by_mode {
        println!("{mode:<24} {n:>9} {sev:>9} {m:>9} {act:>9}");
    }
    println!(
        "{:<32} {:>9} {:>9}",
        "event (health reported)", "scenarios", "severity"
    );
    for ((event, trend), (n, sev)) in &r.by_event {
        let reported = if *trend { "trend" } else { "level" };
        println!("{:<32} {n:>9} {sev:>9}", format!("{event} ({reported})"));
    }
    println!("severity confusion (truth -> decided):");
    for ((t, d), n) in &r.confusion {
        println!("  {:<8} -> {:<8} {n}", t.as_str(), d.as_str());
    }
    println!(
        "mode_acc={:.3} action_acc={:.3} severity_under={:.3} escalation_rate={:.3} fallback_rate={:.3} p50_ms={:.3} tokens_in={} tokens_out={} cost_usd={:.4}",
        r.mode_acc,
        r.action_acc,
        r.severity_under,
        r.escalation_rate,
        r.fallback_rate,
        r.p50_ms,
        r.tokens.0,
        r.tokens.1,
        r.tokens.2
    );
}
