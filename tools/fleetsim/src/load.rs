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

mod pace;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use chrono::DateTime;
use hdrhistogram::Histogram;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde::Deserialize;

use crate::physics::Physics;
use crate::profile::{Drive, Pattern, Segment};
use crate::runtime;
use crate::sample::{Sample, Sig};
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
}

/// A vehicle's reading, pre-serialized around the few fields that change.
#[derive(Debug, Clone)]
struct Template {
    /// `","vehicle_id":"…","vin":"…","recorded_at":"` (follows the reading id).
    head: Vec<u8>,
    /// `,"coolant_temp_c":…}}` — every other signal, closing `signals` and the reading.
    tail: Vec<u8>,
    odometer_cm10: u64,
    hours_milli: u64,
    rpm: u32,
    speed_dkph: u32,
}

impl Template {
    fn new(v: &Vehicle, s: &Sample) -> Self {
        let mut head = Vec::new();
        head.extend_from_slice(b"\",\"vehicle_id\":");
        serde_json::to_writer(&mut head, &v.id).unwrap_or_default();
        head.extend_from_slice(b",\"vin\":");
        serde_json::to_writer(&mut head, &v.vin).unwrap_or_default();
        head.extend_from_slice(b",\"recorded_at\":\"");
        let mut tail = Vec::new();
        for &sig in Sig::ALL {
            if matches!(sig, Sig::EngineRpm | Sig::Speed) {
                continue;
            }
            if let Some(value) = s.get(sig) {
                tail.push(b',');
                serde_json::to_writer(&mut tail, sig.name()).unwrap_or_default();
                tail.push(b':');
                serde_json::to_writer(&mut tail, &value).unwrap_or_default();
            }
        }
        tail.extend_from_slice(b"}}");
        Self {
            head,
            tail,
            odometer_cm10: (s.odometer_km * 100.0) as u64,
            hours_milli: (s.engine_hours * 1000.0) as u64,
            rpm: s.get(Sig::EngineRpm).unwrap_or(1200.0) as u32,
            speed_dkph: (s.get(Sig::Speed).unwrap_or(60.0) * 10.0) as u32,
        }
    }
}

/// A running reading of `v` from a short warm-up drive of its physics model.
fn running_sample(v: &Vehicle, now: i64) -> Sample {
    let mut rng = SmallRng::seed_from_u64(u64::from(v.index));
    let mut phys = Physics::new(v, now - 7200, &mut rng);
    let pattern = if v.profile.kind().is_diesel() {
        Pattern::Highway
    } else {
        Pattern::Mixed
    };
    let seg = Segment {
        start: now - 3600,
        end: now,
        pattern,
        cruise_kph: 90.0,
        payload: 0.6,
    };
    phys.engine_start(seg.start, &mut rng);
    let mut drive = Drive::new(&seg, &mut rng);
    let mut last = None;
    for k in 1..=40 {
        let target = drive.step(60.0, &mut rng);
        last = Some(phys.running(seg.start + 60 * k, 60.0, target, &seg, &mut rng));
    }
    last.unwrap_or_else(|| Sample::new(v.index, now, true))
}

/// Formats `recorded_at` with millisecond precision, re-rendering the date part only
/// when the second changes.
#[derive(Debug, Default)]
struct Clock {
    second: i64,
    prefix: Vec<u8>,
}

impl Clock {
    fn write(&mut self, out: &mut Vec<u8>) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let secs = now.as_secs() as i64;
        if secs != self.second || self.prefix.is_empty() {
            self.second = secs;
            self.prefix.clear();
            let t = DateTime::from_timestamp(secs, 0).unwrap_or_default();
            let _ = write!(self.prefix, "{}", t.format("%Y-%m-%dT%H:%M:%S"));
        }
        out.extend_from_slice(&self.prefix);
        let _ = write!(out, ".{:03}Z", now.subsec_millis());
    }
}

/// Everything the workers share.
#[derive(Debug)]
struct Ctx {
    http: reqwest::Client,
    url: reqwest::Url,
    api_key: Option<HeaderValue>,
    templates: Vec<Template>,
    batch: usize,
    workers: usize,
    /// Readings per second offered in total; `None` = flat out.
    rate: Option<f64>,
    duration: Duration,
    run_id: String,
    started: Instant,
}

/// One worker's tallies.
#[derive(Debug)]
struct Tally {
    hist: Histogram<u64>,
    requests: u64,
    errors: u64,
    transport_errors: u64,
    statuses: BTreeMap<u16, u64>,
    readings_sent: u64,
    accepted: u64,
    duplicates: u64,
    rejected: u64,
    skipped: u64,
}

impl Tally {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            hist: Histogram::new_with_bounds(1, 120_000_000, 3).context("histogram bounds")?,
            requests: 0,
            errors: 0,
            transport_errors: 0,
            statuses: BTreeMap::new(),
            readings_sent: 0,
            accepted: 0,
            duplicates: 0,
            rejected: 0,
            skipped: 0,
        })
    }

    fn merge(&mut self, o: &Self) -> anyhow::Result<()> {
        self.hist.add(&o.hist).context("merging histograms")?;
        self.requests += o.requests;
        self.errors += o.errors;
        self.transport_errors += o.transport_errors;
        for (k, v) in &o.statuses {
            *self.statuses.entry(*k).or_default() += v;
        }
        self.readings_sent += o.readings_sent;
        self.accepted += o.accepted;
        self.duplicates += o.duplicates;
        self.rejected += o.rejected;
        self.skipped += o.skipped;
        Ok(())
    }
}

/// The outcome of a load run.
#[derive(Debug)]
pub struct LoadReport {
    /// Wall time from the first request to the last answer.
    pub elapsed: Duration,
    /// Requests completed (answered or failed).
    pub requests: u64,
    /// Non-2xx answers plus transport errors.
    pub errors: u64,
    /// Transport errors among `errors`.
    pub transport_errors: u64,
    /// Answers by status code.
    pub statuses: BTreeMap<u16, u64>,
    /// Readings sent.
    pub readings_sent: u64,
    /// Readings accepted (batch `accepted`; 202 for a single reading).
    pub accepted: u64,
    /// Readings reported as duplicates.
    pub duplicates: u64,
    /// Readings rejected inside 200 batch answers.
    pub rejected: u64,
    /// Paced runs: readings of schedule slots skipped because the generator was too
    /// far behind (the server answered slower than the schedule needed).
    pub skipped: u64,
    /// Paced runs: the rate offered, readings per second.
    pub rate: Option<f64>,
    /// Latency of answered requests, microseconds.
    pub latency_us: Histogram<u64>,
}

impl LoadReport {
    fn per_s(&self, n: u64) -> u64 {
        (n as f64 / self.elapsed.as_secs_f64().max(1e-9)).round() as u64
    }

    fn quantile_ms(&self, q: f64) -> f64 {
        if self.latency_us.is_empty() {
            return 0.0;
        }
        self.latency_us.value_at_quantile(q) as f64 / 1000.0
    }

    /// The machine-readable last line.
    pub fn summary_line(&self) -> String {
        format!(
            "readings_per_s={} requests_per_s={} p50_ms={:.2} p99_ms={:.2} errors={}",
            self.per_s(self.accepted),
            self.per_s(self.requests),
            self.quantile_ms(0.5),
            self.quantile_ms(0.99),
            self.errors
        )
    }

    /// A short human summary (several lines).
    pub fn human(&self) -> String {
        let statuses: Vec<String> = self
            .statuses
            .iter()
            .map(|(k, v)| format!("{k}×{v}"))
            .collect();
        let paced = self.rate.map_or_else(String::new, |r| {
            format!(
                "\npaced at {r:.0} readings/s: achieved {}/s, {} readings skipped behind schedule",
                self.per_s(self.readings_sent),
                self.skipped
            )
        });
        format!(
            "elapsed {:.1} s, {} requests ({}/s), {} errors ({} transport; statuses {})\n\
             readings sent {}, accepted {} ({}/s), duplicates {}, rejected {}\n\
             latency ms: p50 {:.2}, p90 {:.2}, p99 {:.2}, max {:.2}{paced}",
            self.elapsed.as_secs_f64(),
            self.requests,
            self.per_s(self.requests),
            self.errors,
            self.transport_errors,
            if statuses.is_empty() {
                "-".to_owned()
            } else {
                statuses.join(" ")
            },
            self.readings_sent,
            self.accepted,
            self.per_s(self.accepted),
            self.duplicates,
            self.rejected,
            self.quantile_ms(0.5),
            self.quantile_ms(0.9),
            self.quantile_ms(0.99),
            self.latency_us.max() as f64 / 1000.0,
        )
    }
}

#[derive(Debug, Deserialize)]
struct BatchCounts {
    #[serde(default)]
    accepted: u64,
    #[serde(default)]
    duplicates: u64,
    #[serde(default)]
    rejected: u64,
}

#[derive(Debug, Deserialize)]
struct SingleAnswer {
    #[serde(default)]
    status: Option<String>,
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
    /// Concurrent workers.
    pub concurrency: usize,
    /// Device API key.
    pub api_key: Option<String>,
    /// Readings per second offered in total; `None` = flat out.
    pub rate: Option<f64>,
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
            concurrency,
            api_key: args.api_key.clone(),
            rate: args.rate,
        })
    }
}

/// Runs the load against ingestion and returns the measurements.
pub async fn drive(cfg: &LoadConfig) -> anyhow::Result<LoadReport> {
    let base = cfg.url.trim_end_matches('/');
    let path = if cfg.batch == 1 {
        "/v1/telemetry"
    } else {
        "/v1/telemetry/batch"
    };
    let url = reqwest::Url::parse(&format!("{base}{path}"))
        .with_context(|| format!("invalid --url {}", cfg.url))?;
    let now = chrono::Utc::now().timestamp();
    let profiles = profiles_for(cfg.vehicles, 0x10ad);
    let templates = profiles
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let v = Vehicle::generate(0x10ad, i as u32, *p, 1.0);
            Template::new(&v, &running_sample(&v, now))
        })
        .collect();
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
    let ctx = Arc::new(Ctx {
        http,
        url,
        api_key,
        templates,
        batch: cfg.batch,
        workers: cfg.concurrency,
        rate: cfg.rate,
        duration: cfg.duration,
        run_id,
        started: Instant::now(),
    });
    let deadline = tokio::time::Instant::now() + cfg.duration;
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..cfg.concurrency {
        tasks.spawn(worker(Arc::clone(&ctx), w, deadline));
    }
    let mut total = Tally::new()?;
    while let Some(joined) = tasks.join_next().await {
        let t = joined.context("a load worker panicked")??;
        total.merge(&t)?;
    }
    Ok(LoadReport {
        elapsed: ctx.started.elapsed(),
        requests: total.requests,
        errors: total.errors,
        transport_errors: total.transport_errors,
        statuses: total.statuses,
        readings_sent: total.readings_sent,
        accepted: total.accepted,
        duplicates: total.duplicates,
        rejected: total.rejected,
        skipped: total.skipped,
        rate: cfg.rate,
        latency_us: total.hist,
    })
}

/// Appends one reading of vehicle `vi` to `out`.
fn write_reading(
    out: &mut Vec<u8>,
    ctx: &Ctx,
    clock: &mut Clock,
    w: usize,
    seq: u64,
    vi: usize,
    jitter: u32,
) {
    let t = &ctx.templates[vi];
    let elapsed_ms = ctx.started.elapsed().as_millis() as u64;
    // Time-based odometer and hours keep them monotonic per vehicle whichever worker
    // sends it: 25 m/s and 1 h per hour.
    let odometer = t.odometer_cm10 + elapsed_ms / 400;
    let hours = t.hours_milli + elapsed_ms / 3600;
    let rpm = t.rpm + jitter % 61;
    let speed = t.speed_dkph + (jitter >> 8) % 31;
    out.extend_from_slice(b"{\"reading_id\":\"load-");
    out.extend_from_slice(ctx.run_id.as_bytes());
    let _ = write!(out, "-{w}-{seq}");
    out.extend_from_slice(&t.head);
    clock.write(out);
    let _ = write!(
        out,
        "\",\"odometer_km\":{}.{:02},\"engine_hours\":{}.{:03},\"signals\":{{\"engine_rpm\":{rpm},\"vehicle_speed_kph\":{}.{}",
        odometer / 100,
        odometer % 100,
        hours / 1000,
        hours % 1000,
        speed / 10,
        speed % 10
    );
    out.extend_from_slice(&t.tail);
}

async fn worker(ctx: Arc<Ctx>, w: usize, deadline: tokio::time::Instant) -> anyhow::Result<Tally> {
    let mut tally = Tally::new()?;
    let mut clock = Clock::default();
    let n = ctx.templates.len();
    // Workers own disjoint vehicle sets when there are enough vehicles, so each
    // vehicle's readings come from one sender.
    let mut vi = w % n;
    let stride = if n >= ctx.workers { ctx.workers } else { 1 };
    let mut seq: u64 = 0;
    let mut x: u32 = 0x9E37_79B9 ^ (w as u32).wrapping_mul(0x85EB_CA6B);
    let mut cap = 1024;
    let content_type = HeaderValue::from_static("application/json");
    let schedule = ctx
        .rate
        .map(|r| pace::Schedule::for_worker(r, ctx.batch, ctx.workers, w));
    let mut slot: u64 = 0;
    loop {
        if let Some(s) = &schedule {
            let next = s.next_slot(slot, ctx.started.elapsed().as_secs_f64());
            tally.skipped += (next - slot) * ctx.batch as u64;
            let due = s.at(next);
            if due >= ctx.duration.as_secs_f64() {
                break;
            }
            let at = ctx.started + Duration::from_secs_f64(due);
            tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
            slot = next + 1;
        } else if tokio::time::Instant::now() >= deadline {
            break;
        }
        let mut body = Vec::with_capacity(cap);
        if ctx.batch > 1 {
            body.extend_from_slice(b"{\"readings\":[");
        }
        for k in 0..ctx.batch {
            if k > 0 {
                body.push(b',');
            }
            // xorshift32: cheap per-reading jitter of rpm and speed.
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            write_reading(&mut body, &ctx, &mut clock, w, seq, vi, x);
            seq += 1;
            vi += stride;
            if vi >= n {
                vi = w % stride.min(n);
            }
        }
        if ctx.batch > 1 {
            body.extend_from_slice(b"]}");
        }
        cap = body.len() + 256;
        tally.readings_sent += ctx.batch as u64;
        let mut req = ctx
            .http
            .post(ctx.url.clone())
            .header(CONTENT_TYPE, content_type.clone())
            .body(body);
        if let Some(k) = &ctx.api_key {
            req = req.header("x-api-key", k.clone());
        }
        let t0 = Instant::now();
        let answered = match req.send().await {
            Ok(resp) => {
                let status = resp.status();
                resp.bytes().await.map(|b| (status, b))
            }
            Err(e) => Err(e),
        };
        tally.requests += 1;
        match answered {
            Ok((status, answer)) => {
                let us = (t0.elapsed().as_micros() as u64).max(1);
                tally.hist.saturating_record(us);
                *tally.statuses.entry(status.as_u16()).or_default() += 1;
                if !status.is_success() {
                    tally.errors += 1;
                } else if ctx.batch == 1 {
                    let dup = serde_json::from_slice::<SingleAnswer>(&answer)
                        .ok()
                        .and_then(|a| a.status)
                        .is_some_and(|s| s == "duplicate");
                    if dup {
                        tally.duplicates += 1;
                    } else {
                        tally.accepted += 1;
                    }
                } else if let Ok(c) = serde_json::from_slice::<BatchCounts>(&answer) {
                    tally.accepted += c.accepted;
                    tally.duplicates += c.duplicates;
                    tally.rejected += c.rejected;
                } else {
                    tally.errors += 1;
                }
            }
            Err(_) => {
                tally.errors += 1;
                tally.transport_errors += 1;
                // Do not spin on a refused connection.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    Ok(tally)
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
    let report = runtime.block_on(drive(&cfg))?;
    println!("{}", report.human());
    println!("{}", report.summary_line());
    Ok(())
}

#[cfg(test)]
mod tests {
    use shared_schemas::telemetry::TelemetryReading;

    use super::*;
    use crate::client::testserver;

    #[test]
    fn template_readings_are_canonical_and_unique() {
        let now = chrono::Utc::now().timestamp();
        let v = Vehicle::generate(1, 0, crate::profile::DutyProfile::LongHaul, 1.0);
        let ctx = Ctx {
            http: reqwest::Client::new(),
            url: reqwest::Url::parse("http://localhost/").expect("url"),
            api_key: None,
            templates: vec![Template::new(&v, &running_sample(&v, now))],
            batch: 2,
            workers: 1,
            rate: None,
            duration: Duration::from_secs(1),
            run_id: "abcd1234".to_owned(),
            started: Instant::now(),
        };
        let mut clock = Clock::default();
        let mut a = Vec::new();
        write_reading(&mut a, &ctx, &mut clock, 3, 7, 0, 12345);
        let mut b = Vec::new();
        write_reading(&mut b, &ctx, &mut clock, 3, 8, 0, 999);
        let ra: TelemetryReading = serde_json::from_slice(&a).expect("canonical reading");
        let rb: TelemetryReading = serde_json::from_slice(&b).expect("canonical reading");
        assert_eq!(ra.reading_id.as_deref(), Some("load-abcd1234-3-7"));
        assert_ne!(ra.reading_id, rb.reading_id);
        assert_eq!(ra.vin.as_deref(), Some(v.vin.as_str()));
        assert!((chrono::Utc::now() - ra.recorded_at).num_seconds().abs() < 5);
        assert!(
            ra.signals.len() > 25,
            "a diesel truck reports its aftertreatment too"
        );
        for (name, value) in &ra.signals {
            let spec = shared_schemas::signals::spec(name).expect("catalog signal");
            assert!(*value >= spec.min && *value <= spec.max, "{name}={value}");
        }
    }

    #[tokio::test]
    async fn batch_load_counts_accepted_readings_and_formats_the_last_line() {
        let server = testserver::start(vec![(
            200,
            "",
            r#"{"accepted":5,"duplicates":0,"rejected":0,"results":[]}"#,
        )])
        .await;
        let cfg = LoadConfig {
            url: server.url.clone(),
            vehicles: 3,
            duration: Duration::from_millis(300),
            batch: 5,
            concurrency: 2,
            api_key: Some("key".to_owned()),
            rate: None,
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
        let server = testserver::start(vec![(
            200,
            "",
            r#"{"accepted":5,"duplicates":0,"rejected":0,"results":[]}"#,
        )])
        .await;
        let cfg = LoadConfig {
            url: server.url.clone(),
            vehicles: 4,
            duration: Duration::from_millis(500),
            batch: 5,
            concurrency: 2,
            api_key: None,
            rate: Some(200.0),
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
        let cfg = LoadConfig {
            url: server.url.clone(),
            vehicles: 1,
            duration: Duration::from_millis(200),
            batch: 1,
            concurrency: 1,
            api_key: None,
            rate: None,
        };
        let report = drive(&cfg).await.expect("load");
        assert_eq!(report.accepted, 1);
        assert_eq!(report.errors, report.requests - 1);
        assert_eq!(
            server.requests.lock().expect("lock")[0].path,
            "/v1/telemetry"
        );
    }
}
