//! `fleetsim replay-obd`: the carOBD month as OBD-II requests, written as JSON lines
//! or posted to ingestion's `POST /v1/telemetry/obd2`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use bytes::Bytes;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use clap::Args;
use futures::StreamExt;

use super::{bundled_dir, load_dir, month};
use crate::client::{Counts, IngestClient};

/// Arguments of `fleetsim replay-obd`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Folder of carOBD logs (`*.csv` or `*.csv.gz`); default: the 12 bundled ones.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Vehicle id the readings are sent under.
    #[arg(long, default_value = "ETIOS-2014")]
    pub vehicle: String,
    /// Days of use.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// First day (midnight UTC, RFC 3339); default: so that the last day is today.
    #[arg(long)]
    pub start: Option<DateTime<Utc>>,
    /// Keep one reading per this many seconds of each run (default: every row, about
    /// two a second).
    #[arg(long)]
    pub every_s: Option<f64>,
    /// Ingestion base URL: post there; without it, print one request a line.
    #[arg(long)]
    pub url: Option<String>,
    /// Device key for ingestion.
    #[arg(long, env = "FLEET_DEVICE_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Requests in flight.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
}

/// Runs `replay-obd`.
pub fn run(args: ReplayArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.days > 0, "--days must be at least 1");
    anyhow::ensure!(
        args.every_s.is_none_or(|s| s.is_finite() && s > 0.0),
        "--every-s must be a positive number of seconds"
    );
    let dir = args.dir.clone().unwrap_or_else(bundled_dir);
    let trips = load_dir(&dir)?;
    let start = args.start.unwrap_or_else(|| {
        let today = Utc::now().date_naive().and_time(NaiveTime::MIN).and_utc();
        today - Duration::days(i64::from(args.days) - 1)
    });
    let samples = month(&trips, start, args.days, args.every_s);
    let requests: Vec<Bytes> = samples
        .iter()
        .map(|s| Bytes::from(s.obd2_request(&args.vehicle).to_string()))
        .collect();
    let Some(url) = &args.url else {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for r in &requests {
            out.write_all(r)?;
            out.write_all(b"\n")?;
        }
        return out.flush().context("writing the requests");
    };
    let client = IngestClient::new(url, args.api_key.as_deref(), args.concurrency)?;
    let runtime = crate::runtime::build(1)?;
    let total = runtime.block_on(post_all(&client, requests, args.concurrency.max(1)))?;
    println!(
        "readings={} accepted={} duplicates={} rejected={}",
        samples.len(),
        total.accepted,
        total.duplicates,
        total.rejected
    );
    Ok(())
}

/// Posts every OBD-II request, `concurrency` at a time, and sums the answers.
pub async fn post_all(
    client: &IngestClient,
    requests: Vec<Bytes>,
    concurrency: usize,
) -> anyhow::Result<Counts> {
    let mut answers = futures::stream::iter(requests)
        .map(|body| client.post_obd2(body))
        .buffer_unordered(concurrency);
    let mut total = Counts::default();
    while let Some(answer) = answers.next().await {
        let c = answer.map_err(|e| anyhow::anyhow!("posting a reading: {e}"))?;
        total.accepted += c.accepted;
        total.duplicates += c.duplicates;
        total.rejected += c.rejected;
    }
    Ok(total)
}
