//! The `simulate` command: its options, and the run that builds the fleet, writes the
//! truth and feeds one of the sinks.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};

use super::{
    MAX_BATCH, PostOptions, RunStats, SimConfig, build_realistic_fleet, fmt_time, ground_truth,
    post_fleet, realism_run_truth, write_jsonl,
};
use crate::client::IngestClient;
use crate::odometer::assign_odometer_faults;
use crate::realism::{RealismArgs, RealismConfig};
use crate::runtime;
use crate::vehicle::Vehicle;

/// `simulate` options.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Ingestion rejects readings older than its configured maximum age (INGESTION_MAX_AGE_S, \
30 days by default) and readings stamped more than a few minutes in the future. The \
default --start (now minus --days) keeps a run of up to 30 days acceptable; with \
--speedup, simulated time must not overtake the wall clock.

--odometer-fault-fraction F gives that share of vehicles one odometer fault each \
(instrument cluster reset, miles sent as km, rollback, or a single corrupt reading), \
cycling through the four kinds; only the reported odometer changes, and the truth file \
records each fault's switch reading under `odometer_fault`.")]
pub struct SimulateArgs {
    /// Number of vehicles (a mix of diesel trucks and petrol cars).
    #[arg(long, default_value_t = 10)]
    pub vehicles: u32,
    /// Simulated days (fractions allowed).
    #[arg(long, default_value_t = 7.0)]
    pub days: f64,
    /// Pace simulated time at X times wall time (0 = as fast as possible).
    #[arg(long, default_value_t = 0.0)]
    pub speedup: f64,
    /// Post to ingestion at this base URL (e.g. http://localhost:8001).
    #[arg(long, required_unless_present = "out", conflicts_with = "out")]
    pub url: Option<String>,
    /// Write JSON lines sorted by time to this file (`-` for stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Seed of every random choice; the same seed and start give the same output.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Seconds of simulated time between readings while an engine runs.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub interval_s: u32,
    /// Ground-truth JSON file [default: the --out path with its extension replaced
    /// by -truth.json, or ./fleetsim-truth.json].
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// Fraction of vehicles that get an injected degradation.
    #[arg(long, default_value_t = 0.3)]
    pub degrade_fraction: f64,
    /// Fraction of vehicles that get an injected odometer fault (reset, unit switch,
    /// rollback or spike; independent of degradations).
    #[arg(long, default_value_t = 0.0)]
    pub odometer_fault_fraction: f64,
    /// First simulated instant, RFC 3339 [default: now minus --days].
    #[arg(long, value_parser = parse_rfc3339)]
    pub start: Option<DateTime<Utc>>,
    /// Readings per POST (1 = the single-reading endpoint).
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// Concurrent shards posting to ingestion (each owns a subset of vehicles, so a
    /// vehicle's readings arrive in order); also the bound on in-flight requests.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Device API key sent as `x-api-key`.
    #[arg(long, env = "FLEET_DEVICE_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Do not print progress.
    #[arg(long)]
    pub quiet: bool,
    /// The realistic profile and its switches.
    #[command(flatten)]
    pub realism: RealismArgs,
}

fn parse_rfc3339(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("not an RFC 3339 timestamp: {e}"))
}

/// The default truth path next to `out`: `/tmp/x.jsonl` → `/tmp/x-truth.json`.
pub fn default_truth_path(out: Option<&Path>) -> PathBuf {
    match out {
        Some(p) if p != Path::new("-") => {
            let stem = p
                .file_stem()
                .map_or_else(|| "fleetsim".into(), |s| s.to_string_lossy().into_owned());
            p.with_file_name(format!("{stem}-truth.json"))
        }
        _ => PathBuf::from("fleetsim-truth.json"),
    }
}

/// Refuses options the simulation cannot honour.
fn check_args(args: &SimulateArgs) -> anyhow::Result<()> {
    if args.vehicles == 0 {
        bail!("--vehicles must be at least 1");
    }
    if !(args.days > 0.0 && args.days <= 3650.0) {
        bail!("--days must be in (0, 3650]");
    }
    if !(0.0..=1.0).contains(&args.degrade_fraction) {
        bail!("--degrade-fraction must be within 0..=1");
    }
    if !(0.0..=1.0).contains(&args.odometer_fault_fraction) {
        bail!("--odometer-fault-fraction must be within 0..=1");
    }
    if !(args.speedup >= 0.0 && args.speedup.is_finite()) {
        bail!("--speedup must be 0 or positive");
    }
    if args.batch == 0 || args.batch > MAX_BATCH {
        bail!("--batch must be within 1..={MAX_BATCH}");
    }
    Ok(())
}

/// Warns when ingestion will reject readings for their age or for lying in the future.
fn warn_outside_ingestion_window(cfg: &SimConfig, speedup: f64) {
    let now = Utc::now().timestamp();
    if cfg.start < now - 30 * 86_400 {
        eprintln!(
            "fleetsim: warning: readings from before {} are older than ingestion's default \
             maximum age (30 days) and will be rejected unless INGESTION_MAX_AGE_S allows them",
            fmt_time(now - 30 * 86_400)
        );
    }
    let paced_end = if speedup > 0.0 {
        now + ((cfg.end - cfg.start) as f64 / speedup) as i64
    } else {
        now
    };
    if cfg.end > paced_end.max(now) + 300 {
        eprintln!(
            "fleetsim: warning: simulated time runs past the wall clock; ingestion rejects \
             readings stamped more than a few minutes in the future"
        );
    }
}

/// The progress-line note and the summary-line field about odometer faults: empty
/// without faults, so the output of runs without them is unchanged.
fn odometer_fault_notes(faults: usize) -> (String, String) {
    if faults == 0 {
        return (String::new(), String::new());
    }
    (
        format!(", {faults} odometer faults"),
        format!(" odometer_faults={faults}"),
    )
}

/// Runs the `simulate` command.
pub fn run(args: SimulateArgs) -> anyhow::Result<()> {
    check_args(&args)?;
    let cfg = sim_config(&args);
    if args.url.is_some() {
        warn_outside_ingestion_window(&cfg, args.speedup);
    }
    let realism = args.realism.config()?;
    let mut fleet = build_realistic_fleet(args.vehicles, &cfg, args.degrade_fraction, &realism);
    assign_odometer_faults(&mut fleet, &cfg, args.odometer_fault_fraction);
    let truth_path = write_truth(&args, &fleet, &cfg, &realism)?;
    let degraded = fleet
        .iter()
        .filter(|v| {
            v.degradation.is_some() || v.realism.as_ref().is_some_and(|r| !r.faults.is_empty())
        })
        .count();
    let odometer_faults = fleet.iter().filter(|v| v.odometer_fault.is_some()).count();
    let (faults_note, faults_field) = odometer_fault_notes(odometer_faults);
    if !args.quiet {
        eprintln!(
            "fleetsim: {} vehicles ({degraded} degraded{faults_note}), {} → {}, every {} s, seed {}; truth in {}",
            fleet.len(),
            fmt_time(cfg.start),
            fmt_time(cfg.end),
            cfg.interval_s,
            cfg.seed,
            truth_path.display()
        );
    }
    let started = Instant::now();
    let (stats, target) = feed_sink(&args, fleet, cfg)?;
    let secs = started.elapsed().as_secs_f64();
    let line = format!(
        "fleetsim simulate: target={target} vehicles={} degraded={degraded} readings={} accepted={} duplicates={} rejected={} failed={} clamped={} elapsed_s={secs:.2} readings_per_s={:.0}{faults_field}",
        args.vehicles,
        stats.readings,
        stats.accepted,
        stats.duplicates,
        stats.rejected,
        stats.failed,
        stats.clamped,
        stats.readings as f64 / secs.max(1e-9),
    );
    // With the readings on stdout, the summary must not mix into them.
    if writes_to_stdout(&args) {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
    Ok(())
}

/// The simulated span of `args`: `--days` ending now unless `--start` is given.
fn sim_config(args: &SimulateArgs) -> SimConfig {
    let span = (args.days * 86_400.0).round() as i64;
    let start = args
        .start
        .map_or_else(|| Utc::now().timestamp() - span, |t| t.timestamp());
    SimConfig {
        start,
        end: start + span,
        interval_s: args.interval_s,
        seed: args.seed,
    }
}

/// Writes the ground truth of `fleet` where `args` says; returns that path.
fn write_truth(
    args: &SimulateArgs,
    fleet: &[Vehicle],
    cfg: &SimConfig,
    realism: &RealismConfig,
) -> anyhow::Result<PathBuf> {
    let truth_path = args
        .truth
        .clone()
        .unwrap_or_else(|| default_truth_path(args.out.as_deref()));
    let mut truth = ground_truth(fleet, cfg, args.degrade_fraction);
    truth.odometer_fault_fraction = args.odometer_fault_fraction;
    truth.realism = realism_run_truth(realism);
    if realism.options.repairs {
        truth.after_failure = "repaired_after_delay";
    }
    let json = serde_json::to_vec_pretty(&truth).context("encoding the ground truth")?;
    std::fs::write(&truth_path, json)
        .with_context(|| format!("writing {}", truth_path.display()))?;
    Ok(truth_path)
}

fn writes_to_stdout(args: &SimulateArgs) -> bool {
    args.out.as_deref() == Some(Path::new("-"))
}

/// Sends the readings of `fleet` to ingestion or to the output file; returns what was
/// sent and where to.
fn feed_sink(
    args: &SimulateArgs,
    fleet: Vec<Vehicle>,
    cfg: SimConfig,
) -> anyhow::Result<(RunStats, String)> {
    let progress = !args.quiet;
    if let Some(url) = &args.url {
        let client = IngestClient::new(url, args.api_key.as_deref(), args.concurrency)?;
        let opts = PostOptions {
            batch: args.batch,
            concurrency: args.concurrency,
            speedup: args.speedup,
            progress,
        };
        let stats = runtime::build(2)?.block_on(post_fleet(fleet, cfg, client, opts))?;
        return Ok((stats, url.clone()));
    }
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("-"));
    let stats = if writes_to_stdout(args) {
        write_jsonl(&fleet, &cfg, &mut io::stdout(), progress)?
    } else {
        let file = File::create(&out).with_context(|| format!("creating {}", out.display()))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        write_jsonl(&fleet, &cfg, &mut w, progress)?
    };
    Ok((stats, out.display().to_string()))
}

#[cfg(test)]
mod tests {
    use shared_schemas::signals;
    use shared_schemas::telemetry::TelemetryReading;

    use super::*;
    use crate::vehicle::is_valid_vin;

    fn temp_path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("fleetsim-test-{}-{name}", std::process::id()))
    }

    #[test]
    fn simulate_command_writes_sorted_canonical_jsonl_and_truth() {
        let out = temp_path("run.jsonl");
        let truth = temp_path("run-truth.json");
        let args = SimulateArgs {
            vehicles: 5,
            days: 2.0,
            speedup: 0.0,
            url: None,
            out: Some(out.clone()),
            seed: 5,
            interval_s: 60,
            truth: None,
            degrade_fraction: 0.4,
            odometer_fault_fraction: 0.0,
            start: None,
            batch: 500,
            concurrency: 4,
            api_key: None,
            quiet: true,
            realism: RealismArgs::default(),
        };
        run(args).expect("simulate");
        let text = std::fs::read_to_string(&out).expect("jsonl");
        let readings: Vec<TelemetryReading> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("a TelemetryReading per line"))
            .collect();
        assert!(readings.len() > 300, "{} readings", readings.len());
        assert!(
            readings
                .windows(2)
                .all(|w| w[0].recorded_at <= w[1].recorded_at),
            "sorted by time"
        );
        let now = Utc::now();
        let mut ids = std::collections::HashSet::new();
        for r in &readings {
            assert!(
                ids.insert(r.reading_id.clone().expect("reading id")),
                "unique reading ids"
            );
            assert!(
                r.recorded_at <= now
                    && now - r.recorded_at
                        <= chrono::Duration::days(2) + chrono::Duration::minutes(5)
            );
            assert!(is_valid_vin(r.vin.as_deref().expect("vin")));
            for name in r.signals.keys() {
                assert!(signals::spec(name).is_some(), "{name} not in catalog");
            }
        }
        let truth_json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&truth).expect("default truth path"))
                .expect("truth JSON");
        let vehicles = truth_json["vehicles"].as_array().expect("vehicles");
        assert_eq!(vehicles.len(), 5);
        let degraded: Vec<_> = vehicles.iter().filter(|v| v["degraded"] == true).collect();
        assert_eq!(degraded.len(), 2);
        for v in degraded {
            let d = &v["degradation"];
            assert!(d["component"].is_string() && d["mode"].is_string());
            let onset = parse_rfc3339(d["onset_at"].as_str().expect("onset")).expect("ts");
            let failure = parse_rfc3339(d["failure_at"].as_str().expect("failure")).expect("ts");
            assert!(onset < failure);
        }
        let _ = std::fs::remove_file(out);
        let _ = std::fs::remove_file(truth);
    }

    #[test]
    fn default_truth_path_sits_next_to_the_output() {
        assert_eq!(
            default_truth_path(Some(Path::new("/tmp/x.jsonl"))),
            PathBuf::from("/tmp/x-truth.json")
        );
        assert_eq!(
            default_truth_path(None),
            PathBuf::from("fleetsim-truth.json")
        );
        assert_eq!(
            default_truth_path(Some(Path::new("-"))),
            PathBuf::from("fleetsim-truth.json")
        );
    }
}
