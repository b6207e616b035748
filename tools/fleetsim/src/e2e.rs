//! The `e2e` command: telemetry-to-email latency through the whole running platform
//! (ingestion → health → agent → alert → SMTP) under a steady background load.
//!
//! 1. `--probes` trucks whose DPF will clog post their history up to the clogging's
//!    onset (warm-up), and the run waits until health has folded it.
//! 2. With `--burst-seconds`, a flat-out burst of readings stamped in the past.
//! 3. A paced background load (`--rate` readings/s, the `load` generator) runs for
//!    `--seconds`. Meanwhile each probe posts live readings of its DPF clogged past the
//!    limit, stamped when sent, one per request, each request with its own
//!    `x-correlation-id`; the wall-clock send time of every correlation id is kept.
//! 4. An owner contact created for the probes (through the alert service) gets their
//!    emails at a run-specific address; the devinbox receiver keeps them with their
//!    arrival time and `X-Fleet-*` headers.
//! 5. After the load, up to `--wait-seconds` for every probe to have a critical or
//!    emergency email; latency = arrival − send time of the email's correlation id.
//!
//! The probes' alerts are resolved and the contact deleted at the end, so nothing
//! escalates to real people later. The last stdout line is
//! `e2e_alert_p50_ms=<x> e2e_alert_p99_ms=<x> lost=<n> duplicated=<n>`.

mod account;
mod burst;
mod platform;
mod probe;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use uuid::Uuid;

use self::account::{Email, Outcome, Sent};
use self::platform::Platform;
use self::probe::{Posted, Probe};
use crate::client::{IngestClient, RetryPolicy};
use crate::load::{self, LoadConfig, LoadReport};
use crate::runtime;
use crate::simulate::MAX_BATCH;

/// `e2e` options.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Needs the platform of `make up` (every service plus devinbox). FLEET_DEVICE_KEY and \
FLEET_ADMIN_TOKEN are what `make up` prints; an admin token comes from \
`FLEET_PASSWORD=… target/release/fleetctl login --email admin@fleet.local`.")]
pub struct E2eArgs {
    /// Ingestion base URL.
    #[arg(long, default_value = "http://127.0.0.1:8001")]
    pub url: String,
    /// Alert service base URL (contacts, alerts).
    #[arg(long, default_value = "http://127.0.0.1:8004")]
    pub alert_url: String,
    /// devinbox HTTP base URL (the emails the alert service sent).
    #[arg(long, default_value = "http://127.0.0.1:8025")]
    pub inbox_url: String,
    /// How long the background load runs, seconds (the probes post within it).
    #[arg(long, default_value_t = 30.0)]
    pub seconds: f64,
    /// Background load, readings per second (0 = none).
    #[arg(long, default_value_t = 10_000.0)]
    pub rate: f64,
    /// Readings per background request.
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// Distinct vehicles of the background load.
    #[arg(long, default_value_t = 1_000)]
    pub vehicles: u32,
    /// Background load workers, each with one request in flight.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Probe trucks (DPF clogging to critical).
    #[arg(long, default_value_t = 4)]
    pub probes: u32,
    /// Live readings per second of all probes together (on top of --rate); each probe
    /// posts 10 per request, one request a second at the default.
    #[arg(long, default_value_t = 40.0)]
    pub probe_rate: f64,
    /// Device API key sent as `x-api-key`.
    #[arg(long, env = "FLEET_DEVICE_KEY", hide_env_values = true)]
    pub api_key: String,
    /// Admin JWT for the alert service (contacts) and ingestion (the key's organization).
    #[arg(long, env = "FLEET_ADMIN_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Organization of the probes' alerts [default: the device key's, from ingestion].
    #[arg(long)]
    pub org: Option<String>,
    /// After the load, how long to wait for every probe's urgent email, seconds.
    #[arg(long, default_value_t = 60.0)]
    pub wait_seconds: f64,
    /// Once every probe has one, how long to keep watching for duplicates, seconds.
    #[arg(long, default_value_t = 5.0)]
    pub settle_seconds: f64,
    /// Runtime threads of the generator (1 leaves the other core to the platform).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Before the probes, send batches of 1,000 readings stamped in the past flat out
    /// for this long (gateways flushing after an outage); 0 = no burst.
    #[arg(long, default_value_t = 0.0)]
    pub burst_seconds: f64,
    /// How far in the past the burst's readings are stamped, seconds.
    #[arg(long, default_value_t = 7_200)]
    pub burst_backdate_seconds: u64,
    /// Health service base URL (its /metrics tell when the burst is folded).
    #[arg(long, default_value = "http://127.0.0.1:8002")]
    pub health_url: String,
}

impl E2eArgs {
    fn check(&self) -> anyhow::Result<()> {
        let positive = |v: f64| v > 0.0 && v.is_finite();
        if !positive(self.seconds) {
            bail!("--seconds must be positive");
        }
        if !(self.rate >= 0.0 && self.rate.is_finite()) {
            bail!("--rate must be 0 or more readings per second");
        }
        if !positive(self.probe_rate) {
            bail!("--probe-rate must be positive");
        }
        if !(1..=1_000).contains(&self.probes) {
            bail!("--probes must be within 1..=1000");
        }
        if self.batch == 0 || self.batch > MAX_BATCH {
            bail!("--batch must be within 1..={MAX_BATCH}");
        }
        // Caught here, a stray space or newline would surface as a transport error.
        let header_safe =
            |v: &str| !v.trim().is_empty() && v.trim().bytes().all(|b| b.is_ascii_graphic());
        if !header_safe(&self.token) {
            bail!(
                "--token (FLEET_ADMIN_TOKEN) is not a JWT: empty, or spaces or control characters inside"
            );
        }
        if !header_safe(&self.api_key) {
            bail!(
                "--api-key (FLEET_DEVICE_KEY) is empty or has spaces or control characters inside"
            );
        }
        if !(self.burst_seconds >= 0.0 && self.burst_seconds.is_finite()) {
            bail!("--burst-seconds must be 0 or more");
        }
        if !(self.wait_seconds >= 0.0 && self.settle_seconds >= 0.0) {
            bail!("--wait-seconds and --settle-seconds must not be negative");
        }
        Ok(())
    }
}

/// Runs the `e2e` command: details on stderr, a summary, then the summary line last.
pub fn run(args: E2eArgs) -> anyhow::Result<()> {
    args.check()?;
    let runtime = runtime::build(args.threads)?;
    runtime.block_on(measure(&args))
}

/// Checks the platform, sets up the probes and their contact, measures, cleans up,
/// reports.
async fn measure(args: &E2eArgs) -> anyhow::Result<()> {
    let trim = |u: &str| u.trim_end_matches('/').to_owned();
    let platform = Platform {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .context("building the HTTP client")?,
        ingestion: trim(&args.url),
        alert: trim(&args.alert_url),
        health: trim(&args.health_url),
        inbox: trim(&args.inbox_url),
        token: args.token.trim().to_owned(),
        api_key: args.api_key.trim().to_owned(),
    };
    let uuid = Uuid::new_v4();
    let run = uuid.simple().to_string()[..8].to_owned();
    let address = format!("e2e-{run}@fleet.test");
    // Fail before anything is created: every service answers, the key and token work.
    platform.emails(&address, 0).await?;
    platform.check_device_key().await?;
    let org = match &args.org {
        Some(o) => o.clone(),
        None => platform.org_of_device_key().await?,
    };
    let end = chrono::Utc::now().timestamp() - 60;
    let run_seed = uuid.as_u64_pair().0;
    let probes: Vec<Arc<Probe>> = (0..args.probes)
        .map(|k| Arc::new(Probe::build(&run, run_seed, k, end)))
        .collect();
    let vehicles: Vec<String> = probes.iter().map(|p| p.vehicle_id.clone()).collect();
    let contact = platform.create_contact(&org, &vehicles, &address).await?;
    eprintln!(
        "fleetsim e2e: run {run}, org {org}, {} probes ({} … {}, {} warm-up and {} live \
         readings) emailing {address}; background {:.0} readings/s for {:.0} s",
        probes.len(),
        vehicles[0],
        vehicles[vehicles.len() - 1],
        probes.iter().map(|p| p.warmup_readings()).sum::<usize>(),
        probes.iter().map(|p| p.live_readings()).sum::<usize>(),
        args.rate,
        args.seconds
    );
    // Ctrl-C still cleans up: an open emergency would escalate to the organization's
    // other contacts a quarter of an hour later.
    let measured = tokio::select! {
        r = drive(args, &platform, &probes, &vehicles, &address) => r,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    // Whatever happened: nothing of this run escalates to anyone later.
    for v in &vehicles {
        if let Err(e) = platform.resolve_alerts(v).await {
            eprintln!("fleetsim e2e: warning: resolving {v}'s alerts: {e:#}");
        }
    }
    if let Err(e) = platform.delete_contact(contact).await {
        eprintln!("fleetsim e2e: warning: deleting contact {contact}: {e:#}");
    }
    let m = measured?;
    if let Some(b) = &m.burst {
        println!("{}", b.human());
    }
    report(&vehicles, m.load.as_ref(), &m.posted, &m.outcome)
}

/// What a run measured.
struct Measured {
    load: Option<LoadReport>,
    posted: Posted,
    outcome: Outcome,
    burst: Option<burst::Burst>,
}

/// Runs the burst (if any), the load and the probes, then collects the emails.
async fn drive(
    args: &E2eArgs,
    platform: &Platform,
    probes: &[Arc<Probe>],
    vehicles: &[String],
    address: &str,
) -> anyhow::Result<Measured> {
    let counts: Vec<Vec<usize>> = probes.iter().map(|p| p.live_request_sizes()).collect();
    let (times, warning) = probe::plan(&counts, args.seconds, args.probe_rate);
    if let Some(w) = warning {
        eprintln!("fleetsim e2e: warning: {w}");
    }
    let client = IngestClient::new(&args.url, Some(&platform.api_key), probes.len())?.with_policy(
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        },
    );
    let inbox_from = warm_up(&client, platform, probes, address).await?;
    let burst = send_burst(args, platform).await?;
    let t0 = tokio::time::Instant::now();
    let load = (args.rate > 0.0).then(|| {
        let cfg = LoadConfig {
            url: args.url.clone(),
            vehicles: args.vehicles.max(1),
            duration: Duration::from_secs_f64(args.seconds),
            batch: args.batch,
            batch_ids: false,
            concurrency: args.concurrency.max(1),
            api_key: Some(platform.api_key.clone()),
            rate: Some(args.rate),
            backdate: Duration::ZERO,
        };
        tokio::spawn(async move { load::drive(&cfg).await })
    });
    let mut posting = tokio::task::JoinSet::new();
    for (k, (p, t)) in probes.iter().zip(times).enumerate() {
        posting.spawn(probe::post(client.clone(), Arc::clone(p), k, t, t0));
    }
    let posted = join_probes(posting).await;
    if posted.is_err()
        && let Some(task) = &load
    {
        // Stop loading a platform the run has given up on.
        task.abort();
    }
    let posted = posted?;
    let load = match load {
        Some(task) => Some(task.await.context("the load task panicked")??),
        None => None,
    };
    tokio::time::sleep_until(t0 + Duration::from_secs_f64(args.seconds)).await;
    let emails = collect(args, platform, vehicles, address, inbox_from).await?;
    let outcome = account::score(vehicles, address, &emails, &posted.sent);
    let burst = match burst {
        Some((report, watch)) => Some(burst::Burst {
            report,
            folded_after: watch.await.context("the burst watch panicked")??,
        }),
        None => None,
    };
    Ok(Measured {
        load,
        posted,
        outcome,
        burst,
    })
}

/// When health had read the whole burst, measured from its start (`None` if not
/// within the wait).
type FoldWatch = tokio::task::JoinHandle<anyhow::Result<Option<Duration>>>;

/// The backfill burst of `--burst-seconds`, if any: what ingestion answered, and a
/// task that watches, from the burst's end on, when health has read all of it.
async fn send_burst(
    args: &E2eArgs,
    platform: &Platform,
) -> anyhow::Result<Option<(LoadReport, FoldWatch)>> {
    if args.burst_seconds <= 0.0 {
        return Ok(None);
    }
    let started = tokio::time::Instant::now();
    eprintln!(
        "fleetsim e2e: backfill burst for {:.0} s",
        args.burst_seconds
    );
    let report = burst::send(args, &platform.api_key).await?;
    let within = Duration::from_secs_f64(args.seconds + args.wait_seconds.max(60.0));
    let (http, health) = (platform.http.clone(), platform.health.clone());
    let watch =
        tokio::spawn(async move { burst::wait_folded(&http, &health, started, within).await });
    Ok(Some((report, watch)))
}

async fn join_probes(
    mut posting: tokio::task::JoinSet<anyhow::Result<Posted>>,
) -> anyhow::Result<Posted> {
    let mut posted = Posted::default();
    while let Some(joined) = posting.join_next().await {
        let p = joined.context("a probe task panicked")??;
        posted.sent.extend(p.sent);
        posted.accepted += p.accepted;
        posted.duplicates += p.duplicates;
        posted.rejected += p.rejected;
        posted.failed += p.failed;
    }
    Ok(posted)
}

/// Posts every probe's warm-up and waits until health has folded it (at most a
/// minute) and its emails are out; returns the devinbox id after which the
/// measurement's emails come.
async fn warm_up(
    client: &IngestClient,
    platform: &Platform,
    probes: &[Arc<Probe>],
    address: &str,
) -> anyhow::Result<u64> {
    let mut posting = tokio::task::JoinSet::new();
    for p in probes {
        posting.spawn(probe::warm_up(client.clone(), Arc::clone(p)));
    }
    while let Some(joined) = posting.join_next().await {
        joined.context("a warm-up task panicked")??;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    for p in probes {
        let Some(end) = p.warmup_end else { continue };
        loop {
            let at = platform.newest_reading_at(&p.vehicle_id).await?;
            if at.is_some_and(|t| t.timestamp() >= end) {
                break;
            }
            if tokio::time::Instant::now() >= deadline {
                bail!(
                    "health had not folded probe {}'s warm-up within a minute",
                    p.vehicle_id
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    // Whatever the warm-up raises (a DPF starting to wear) is mailed within this.
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok(platform
        .emails(address, 0)
        .await?
        .last()
        .map_or(0, |e| e.id))
}

/// Polls devinbox (after id `from`) until every probe has an urgent email (then `--settle-seconds`
/// more, for late duplicates) or `--wait-seconds` passed.
async fn collect(
    args: &E2eArgs,
    platform: &Platform,
    vehicles: &[String],
    address: &str,
    from: u64,
) -> anyhow::Result<Vec<Email>> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(args.wait_seconds);
    let mut emails: Vec<Email> = Vec::new();
    let mut settle_until = None;
    loop {
        let after = emails.last().map_or(from, |e| e.id);
        emails.extend(platform.emails(address, after).await?);
        let now = tokio::time::Instant::now();
        if settle_until.is_none()
            && account::urgent_probes(vehicles, address, &emails) == vehicles.len()
        {
            settle_until = Some(now + Duration::from_secs_f64(args.settle_seconds));
        }
        if settle_until.is_some_and(|t| now >= t) || (settle_until.is_none() && now >= deadline) {
            return Ok(emails);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Nearest-rank quantile `q` of `sorted`: exact, which matters with a handful of
/// emails (a histogram's buckets would blur them), and p99 of fewer than 100 samples
/// is their maximum.
fn quantile_ms(sorted: &[f64], q: f64) -> String {
    if sorted.is_empty() {
        // No email to measure: a number here would read as a result.
        return "nan".to_owned();
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    format!("{:.1}", sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The last stdout line.
fn summary_line(o: &Outcome) -> String {
    let mut sorted = o.latencies_ms.clone();
    sorted.sort_by(f64::total_cmp);
    format!(
        "e2e_alert_p50_ms={} e2e_alert_p99_ms={} lost={} duplicated={}",
        quantile_ms(&sorted, 0.5),
        quantile_ms(&sorted, 0.99),
        o.lost.len(),
        o.duplicated
    )
}

fn report(
    vehicles: &[String],
    load: Option<&LoadReport>,
    posted: &Posted,
    o: &Outcome,
) -> anyhow::Result<()> {
    let by_corr: HashMap<&Uuid, &Sent> = posted.sent.iter().collect();
    for s in &o.emails {
        let e = &s.email;
        let probe = e
            .correlation_id
            .as_deref()
            .and_then(|c| Uuid::parse_str(c).ok())
            .and_then(|c| by_corr.get(&c).map(|s| s.probe + 1));
        eprintln!(
            "  email #{} {} {} alert {} correlation {}{}{}",
            e.id,
            e.vehicle_id.as_deref().unwrap_or("?"),
            e.severity.as_deref().unwrap_or("?"),
            e.alert_id.as_deref().unwrap_or("?"),
            e.correlation_id.as_deref().unwrap_or("-"),
            match (s.latency_ms, probe) {
                (Some(ms), Some(k)) => format!(" (request of probe {k}): {ms:.1} ms"),
                _ => " (not a request of this run: no latency)".to_owned(),
            },
            if s.duplicate { " DUPLICATE" } else { "" }
        );
    }
    for (k, v) in vehicles.iter().enumerate() {
        let mine: Vec<_> = o
            .emails
            .iter()
            .filter(|s| s.email.vehicle_id.as_ref() == Some(v))
            .collect();
        let first = mine.iter().find(|s| s.email.is_urgent());
        let what = match first {
            Some(s) => format!(
                "{} email #{} after {}, correlation {}",
                s.email.severity.as_deref().unwrap_or("?"),
                s.email.id,
                s.latency_ms
                    .map_or_else(|| "?".to_owned(), |ms| format!("{ms:.1} ms")),
                if s.known { "found" } else { "unknown" }
            ),
            None => "LOST: no critical or emergency email".to_owned(),
        };
        eprintln!("  probe {} {v}: {} emails; {what}", k + 1, mine.len());
    }
    if let Some(l) = load {
        println!("background load:\n{}", l.human());
    }
    println!(
        "probes: {} requests, {} readings accepted, {} duplicates, {} rejected, {} requests failed",
        posted.sent.len(),
        posted.accepted,
        posted.duplicates,
        posted.rejected,
        posted.failed
    );
    println!(
        "emails to the probe owner: {} ({} with a correlation id of this run, {} without); \
         {} of {} probes alerted critical or emergency",
        o.emails.len(),
        o.latencies_ms.len(),
        o.unknown,
        vehicles.len() - o.lost.len(),
        vehicles.len()
    );
    println!("{}", summary_line(o));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_line_has_the_agreed_shape() {
        let o = Outcome {
            latencies_ms: vec![120.0, 480.5, 900.0, 300.0],
            lost: vec![2],
            duplicated: 1,
            ..Outcome::default()
        };
        let line = summary_line(&o);
        let parts: Vec<&str> = line.split(' ').collect();
        assert_eq!(parts.len(), 4, "{line}");
        assert_eq!(parts[0], "e2e_alert_p50_ms=300.0");
        assert_eq!(parts[1], "e2e_alert_p99_ms=900.0");
        assert_eq!(parts[2..], ["lost=1", "duplicated=1"]);
        let none = summary_line(&Outcome::default());
        assert_eq!(
            none,
            "e2e_alert_p50_ms=nan e2e_alert_p99_ms=nan lost=0 duplicated=0"
        );
    }
}
