//! The `load` command: drives ingestion flat out and measures it.
//!
//! The generator shares two cores with the server, Redis and Postgres, so it is lean:
//! one single-threaded runtime by default, one keep-alive HTTP client, readings built
//! from per-vehicle templates pre-serialized at start-up (only the reading id, the
//! timestamp, odometer, engine hours, rpm and speed are written per reading, with
//! integer formatting), and one body buffer sized from the previous request. Errors are
//! counted, never retried. Latency is recorded per request in microseconds.
//!
//! With `--rate` the workers send on a fixed schedule instead of flat out (see
//! [`pace`]), for a steady background load of a known size.
//!
//! Layout: `reading` builds the readings, `worker` sends them, `report` is what was
//! measured.

mod mqtt;
mod pace;
mod reading;
mod report;
mod worker;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::header::HeaderValue;

pub use self::mqtt::MqttTarget;
use self::reading::{Template, running_sample};
pub use self::report::LoadReport;
use self::worker::worker;
use crate::runtime;
use crate::simulate::MAX_BATCH;
use crate::vehicle::{Vehicle, profiles_for};

/// `load` options.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// Ingestion base URL (e.g. http://localhost:8001).
    #[arg(long)]
    pub url: String,
    /// Distinct vehicles the readings are spread over.
    #[arg(long, default_value_t = 100)]
    pub vehicles: u32,
    /// How long to run, seconds.
    #[arg(long, default_value_t = 30.0)]
    pub seconds: f64,
    /// Readings per request: 1 posts to /v1/telemetry, more to /v1/telemetry/batch.
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// Concurrent workers, each with one request in flight [default: 64 for --batch 1,
    /// 8 otherwise].
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Device API key sent as `x-api-key`.
    #[arg(long, env = "FLEET_DEVICE_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Runtime threads of the generator (1 leaves the other core to the server).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Offer this many readings per second in total, on a fixed schedule [default:
    /// unpaced, as fast as the server answers].
    #[arg(long)]
    pub rate: Option<f64>,
    /// Stamp readings this many seconds in the past, like a gateway flushing the buffer
    /// it kept through an outage (ingestion's backfill lane) [default: 0, live].
    #[arg(long, default_value_t = 0)]
    pub backdate_seconds: u64,
    /// Publish to this MQTT broker (`mqtt://[user:password@]host[:port]`) instead of
    /// POSTing: QoS 1, one vehicle per message, to `{root}/{org}/{vehicle}/telemetry`
    /// (`--batch 1`) or `…/batch`. `--url` is then read only for ingestion's
    /// `/metrics`, which count what reached the stream.
    #[arg(long)]
    pub mqtt: Option<String>,
    /// Name every batch (`batch_id`), as a gateway that retries whole batches does:
    /// ingestion then deduplicates within the batch (ADR 0027).
    #[arg(long)]
    pub batch_ids: bool,
    /// Organization level of the MQTT topics.
    #[arg(long, default_value = "dev")]
    pub mqtt_org: String,
    /// First level of the MQTT topics (ingestion's `INGESTION_MQTT_TOPIC_ROOT`).
    #[arg(long, default_value = "fleet")]
    pub mqtt_root: String,
}

/// Everything the workers share.
#[derive(Debug)]
struct Ctx {
    http: reqwest::Client,
    url: reqwest::Url,
    api_key: Option<HeaderValue>,
    templates: Vec<Template>,
    batch: usize,
    /// Batches carry a `batch_id`.
    batch_ids: bool,
    workers: usize,
    /// Readings per second offered in total; `None` = flat out.
    rate: Option<f64>,
    /// How far in the past readings are stamped.
    backdate: Duration,
    /// Publishing over MQTT instead of POSTing.
    mqtt: Option<mqtt::Sink>,
    duration: Duration,
    run_id: String,
    started: Instant,
}

/// Validated load settings.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Ingestion base URL.
    pub url: String,
    /// Distinct vehicles.
    pub vehicles: u32,
    /// Duration.
    pub duration: Duration,
    /// Readings per request.
    pub batch: usize,
    /// Batches carry a `batch_id`.
    pub batch_ids: bool,
    /// Concurrent workers.
    pub concurrency: usize,
    /// Device API key.
    pub api_key: Option<String>,
    /// Readings per second offered in total; `None` = flat out.
    pub rate: Option<f64>,
    /// How far in the past readings are stamped (zero: live).
    pub backdate: Duration,
}

impl LoadConfig {
    /// Checks `args` and fills in defaults.
    pub fn from_args(args: &LoadArgs) -> anyhow::Result<Self> {
        if args.batch == 0 || args.batch > MAX_BATCH {
            bail!("--batch must be within 1..={MAX_BATCH}");
        }
        if args.vehicles == 0 {
            bail!("--vehicles must be at least 1");
        }
        if !(args.seconds > 0.0 && args.seconds.is_finite()) {
            bail!("--seconds must be positive");
        }
        if args.rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
            bail!("--rate must be a positive number of readings per second");
        }
        let concurrency = args
            .concurrency
            .unwrap_or(if args.batch == 1 { 64 } else { 8 })
            .max(1);
        Ok(Self {
            url: args.url.clone(),
            vehicles: args.vehicles,
            duration: Duration::from_secs_f64(args.seconds),
            batch: args.batch,
            batch_ids: args.batch_ids,
            concurrency,
            api_key: args.api_key.clone(),
            rate: args.rate,
            backdate: Duration::from_secs(args.backdate_seconds),
        })
    }
}

/// Runs the load against ingestion and returns the measurements.
pub async fn drive(cfg: &LoadConfig) -> anyhow::Result<LoadReport> {
    let ctx = Arc::new(Ctx::new(cfg)?);
    let mut total = run_workers(&ctx, cfg).await?;
    total.elapsed = ctx.started.elapsed();
    Ok(total)
}

/// Runs the workers until the run's end; their tallies merged.
async fn run_workers(ctx: &Arc<Ctx>, cfg: &LoadConfig) -> anyhow::Result<LoadReport> {
    let deadline = tokio::time::Instant::now() + cfg.duration;
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..cfg.concurrency {
        tasks.spawn(worker(Arc::clone(ctx), w, deadline));
    }
    let mut total = LoadReport::empty(cfg.rate)?;
    while let Some(joined) = tasks.join_next().await {
        let t = joined.context("a load worker panicked")??;
        total.merge(&t)?;
    }
    Ok(total)
}

/// `--mqtt`: publishes the readings, waits for the broker's acknowledgements, then for
/// ingestion's counters to take them in (see [`mqtt`]).
pub async fn drive_mqtt(cfg: &LoadConfig, target: &MqttTarget) -> anyhow::Result<LoadReport> {
    let mut ctx = Ctx::new(cfg)?;
    let before = mqtt::counted(&ctx.http, &cfg.url).await?;
    let vehicles: Vec<String> = ctx.templates.iter().map(|t| t.vehicle_id.clone()).collect();
    let kind = if cfg.batch == 1 { "telemetry" } else { "batch" };
    let (sink, events) = mqtt::connect(target, &vehicles, kind, cfg.concurrency)?;
    let client = sink.client();
    ctx.mqtt = Some(sink);
    let acked = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let poller = tokio::spawn(mqtt::acknowledgements(
        events,
        Arc::clone(&acked),
        LoadReport::empty(None)?.latency_us,
    ));
    ctx.started = Instant::now();
    let ctx = Arc::new(ctx);
    let mut total = run_workers(&ctx, cfg).await?;
    // Every queued message acknowledged by the broker (at most a minute).
    let published = total.requests - total.errors;
    let until = Instant::now() + Duration::from_secs(60);
    while acked.load(std::sync::atomic::Ordering::Relaxed) < published && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = client.disconnect().await;
    let acks = poller.await.context("the MQTT event loop panicked")?;
    if let Some(e) = acks.error {
        eprintln!("fleetsim load: MQTT connection: {e}");
    }
    let unacked = published.saturating_sub(acks.acked.load(std::sync::atomic::Ordering::Relaxed));
    total.errors += unacked;
    total.latency_us = acks.latency_us;
    total.statuses.clear();
    // Ingestion's counters until they have everything sent or stop growing for 5 s.
    let mut last = before;
    let mut grew_at = Instant::now();
    let mut last_growth = ctx.started.elapsed();
    loop {
        let now = mqtt::counted(&ctx.http, &cfg.url).await?;
        if now != last {
            last = now;
            grew_at = Instant::now();
            last_growth = ctx.started.elapsed();
        }
        if now.total() - before.total() >= total.readings_sent
            || grew_at.elapsed() > Duration::from_secs(5)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    total.accepted = last.accepted - before.accepted;
    total.duplicates = last.duplicate - before.duplicate;
    total.rejected = last.rejected - before.rejected;
    // Acknowledged by the broker but never counted by ingestion: dropped by the broker
    // (a subscriber queue past Mosquitto's max_queued_messages). Errors, in messages.
    let lost = total
        .readings_sent
        .saturating_sub(last.total() - before.total());
    if lost > 0 {
        eprintln!(
            "fleetsim load: {lost} of {} readings published never reached ingestion's counters",
            total.readings_sent
        );
        total.errors += lost.div_ceil(cfg.batch as u64);
    }
    total.elapsed = last_growth.max(cfg.duration);
    Ok(total)
}

impl Ctx {
    /// The shared state of a run of `cfg`; the run's clock starts now.
    fn new(cfg: &LoadConfig) -> anyhow::Result<Self> {
        let base = cfg.url.trim_end_matches('/');
        let path = if cfg.batch == 1 {
            "/v1/telemetry"
        } else {
            "/v1/telemetry/batch"
        };
        let url = reqwest::Url::parse(&format!("{base}{path}"))
            .with_context(|| format!("invalid --url {}", cfg.url))?;
        let templates = templates(cfg.vehicles);
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(cfg.concurrency)
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(30))
            .build()
            .context("building the HTTP client")?;
        let api_key = cfg
            .api_key
            .as_deref()
            .map(HeaderValue::from_str)
            .transpose()
            .context("the API key is not a valid header value")?;
        let run_id = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
        Ok(Self {
            http,
            url,
            api_key,
            templates,
            batch: cfg.batch,
            batch_ids: cfg.batch_ids,
            workers: cfg.concurrency,
            rate: cfg.rate,
            backdate: cfg.backdate,
            mqtt: None,
            duration: cfg.duration,
            run_id,
            started: Instant::now(),
        })
    }
}

/// The reading templates of `vehicles` vehicles, warmed up to now.
fn templates(vehicles: u32) -> Vec<Template> {
    let now = chrono::Utc::now().timestamp();
    profiles_for(vehicles, 0x10ad)
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let v = Vehicle::generate(0x10ad, i as u32, *p, 1.0);
            Template::new(&v, &running_sample(&v, now))
        })
        .collect()
}

/// Runs the `load` command: prints a human summary, then the summary line last.
pub fn run(args: LoadArgs) -> anyhow::Result<()> {
    let cfg = LoadConfig::from_args(&args)?;
    let runtime = runtime::build(args.threads)?;
    eprintln!(
        "fleetsim load: {} for {:.1} s, batch {}, {} workers, {} vehicles, {}",
        cfg.url,
        cfg.duration.as_secs_f64(),
        cfg.batch,
        cfg.concurrency,
        cfg.vehicles,
        cfg.rate
            .map_or_else(|| "unpaced".to_owned(), |r| format!("{r:.0} readings/s"))
    );
    let mqtt = args.mqtt.as_ref().map(|url| MqttTarget {
        url: url.clone(),
        org: args.mqtt_org.clone(),
        root: args.mqtt_root.clone(),
    });
    if let Some(target) = &mqtt {
        eprintln!(
            "fleetsim load: publishing to {}/{}/<vehicle>/{} over MQTT (QoS 1); readings counted by {}/metrics; latency is publish -> broker PUBACK",
            target.root,
            target.org,
            if cfg.batch == 1 { "telemetry" } else { "batch" },
            cfg.url.trim_end_matches('/'),
        );
    }
    let report = match &mqtt {
        Some(target) => runtime.block_on(drive_mqtt(&cfg, target))?,
        None => runtime.block_on(drive(&cfg))?,
    };
    println!("{}", report.human());
    println!("{}", report.summary_line());
    Ok(())
}

#[cfg(test)]
mod tests {
    use shared_schemas::telemetry::TelemetryReading;

    use super::*;
    use crate::client::testserver;

    /// An unpaced run against `server` without a key.
    fn config(
        server: &testserver::Server,
        vehicles: u32,
        millis: u64,
        batch: usize,
        concurrency: usize,
    ) -> LoadConfig {
        LoadConfig {
            url: server.url.clone(),
            vehicles,
            duration: Duration::from_millis(millis),
            batch,
            batch_ids: false,
            concurrency,
            api_key: None,
            rate: None,
            backdate: Duration::ZERO,
        }
    }

    #[tokio::test]
    async fn batch_ids_name_every_batch_once() {
        let server = testserver::accepting(5).await;
        let cfg = LoadConfig {
            batch_ids: true,
            ..config(&server, 3, 200, 5, 2)
        };
        let report = drive(&cfg).await.expect("load");
        let reqs = server.requests.lock().expect("lock").clone();
        assert!(report.errors == 0 && reqs.len() > 1);
        let ids: std::collections::HashSet<String> = reqs
            .iter()
            .map(|r| {
                let body: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
                body["batch_id"].as_str().expect("a batch_id").to_owned()
            })
            .collect();
        assert_eq!(ids.len(), reqs.len(), "each batch its own id");
    }

    #[tokio::test]
    async fn batch_load_counts_accepted_readings_and_formats_the_last_line() {
        let server = testserver::accepting(5).await;
        let cfg = LoadConfig {
            api_key: Some("key".to_owned()),
            ..config(&server, 3, 300, 5, 2)
        };
        let report = drive(&cfg).await.expect("load");
        assert!(report.requests > 0);
        assert_eq!(report.errors, 0);
        assert_eq!(report.accepted, report.requests * 5);
        let reqs = server.requests.lock().expect("lock").clone();
        assert_eq!(reqs[0].path, "/v1/telemetry/batch");
        let body: serde_json::Value = serde_json::from_slice(&reqs[0].body).expect("json");
        let readings: Vec<TelemetryReading> =
            serde_json::from_value(body["readings"].clone()).expect("canonical readings");
        assert_eq!(readings.len(), 5);
        assert!(body.get("batch_id").is_none(), "unnamed unless asked");
        let line = report.summary_line();
        let re = line.split(' ').collect::<Vec<_>>();
        assert_eq!(re.len(), 5, "{line}");
        assert!(re[0].starts_with("readings_per_s=") && re[0][15..].parse::<u64>().is_ok());
        assert!(re[1].starts_with("requests_per_s=") && re[1][15..].parse::<u64>().is_ok());
        assert!(
            re[2].starts_with("p50_ms=") && re[2].split('.').nth(1).is_some_and(|d| d.len() == 2)
        );
        assert!(re[3].starts_with("p99_ms="));
        assert_eq!(re[4], "errors=0");
    }

    #[tokio::test]
    async fn paced_load_offers_the_rate_not_more() {
        let server = testserver::accepting(5).await;
        let cfg = LoadConfig {
            rate: Some(200.0),
            ..config(&server, 4, 500, 5, 2)
        };
        let report = drive(&cfg).await.expect("load");
        // 200 readings/s for 0.5 s in batches of 5: 20 slots, whatever the server
        // could take (flat out it answers thousands); a slot is only ever skipped
        // when this machine stalls, and then not sent late.
        assert_eq!(
            report.readings_sent + report.skipped,
            100,
            "{}",
            report.human()
        );
        assert_eq!(report.requests * 5, report.readings_sent);
        assert!(report.requests >= 15, "{}", report.human());
        assert!(report.human().contains("paced at 200 readings/s"));
    }

    #[tokio::test]
    async fn single_load_counts_errors() {
        let server = testserver::start(vec![(202, "", "{}"), (503, "", "{}")]).await;
        let cfg = config(&server, 1, 200, 1, 1);
        let report = drive(&cfg).await.expect("load");
        assert_eq!(report.accepted, 1);
        assert_eq!(report.errors, report.requests - 1);
        assert_eq!(
            server.requests.lock().expect("lock")[0].path,
            "/v1/telemetry"
        );
    }
}
