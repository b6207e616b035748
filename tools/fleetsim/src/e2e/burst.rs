//! `--burst-seconds`: right before the probes, a flat-out burst of batches stamped in
//! the past, like a fleet's gateways flushing what they buffered through an outage;
//! afterwards, how long health took to fold what ingestion accepted of it.

use std::time::Duration;

use anyhow::Context;

use super::E2eArgs;
use crate::load::{self, LoadConfig, LoadReport};
use crate::simulate::MAX_BATCH;

/// What became of a burst.
#[derive(Debug)]
pub(super) struct Burst {
    /// The burst as ingestion answered it.
    pub(super) report: LoadReport,
    /// From the burst's start until health had read all of the backfill lane; `None`
    /// if it had not within the wait.
    pub(super) folded_after: Option<Duration>,
}

impl Burst {
    /// Lines for the report: what was taken and deferred, and health's folding rate.
    pub(super) fn human(&self) -> String {
        let r = &self.report;
        let deferred = r.statuses.get(&429).copied().unwrap_or(0);
        let folded = match self.folded_after {
            Some(t) => format!(
                "health had read all of it {:.1} s after the burst began ({:.0} readings/s)",
                t.as_secs_f64(),
                r.accepted as f64 / t.as_secs_f64().max(1e-3)
            ),
            None => "health had NOT read all of it by the end of the wait".to_owned(),
        };
        format!(
            "burst: {} readings sent in {:.1} s, {} accepted, {} duplicates, {} requests \
             deferred (429); {folded}",
            r.readings_sent,
            r.elapsed.as_secs_f64(),
            r.accepted,
            r.duplicates,
            deferred
        )
    }
}

/// Readings per burst request (what a flushing gateway sends).
const BURST_BATCH: usize = 1_000;

/// Sends the burst; ingestion takes it on its backfill lane, or answers 429 past its
/// backlog limit (counted, not retried: the device would keep those readings).
pub(super) async fn send(args: &E2eArgs, api_key: &str) -> anyhow::Result<LoadReport> {
    let cfg = LoadConfig {
        url: args.url.clone(),
        vehicles: args.vehicles.max(1),
        duration: Duration::from_secs_f64(args.burst_seconds),
        batch: BURST_BATCH.min(MAX_BATCH),
        batch_ids: false,
        concurrency: args.concurrency.max(1),
        api_key: Some(api_key.to_owned()),
        rate: None,
        backdate: Duration::from_secs(args.burst_backdate_seconds),
    };
    load::drive(&cfg).await
}

/// Health's backlog on the backfill lane, from its `/metrics`
/// (`consumer_stream_lag{group="health",stream="…:backfill"}`, sampled every few
/// seconds by the consumer); `None` before the gauge exists.
async fn backfill_lag(http: &reqwest::Client, health_url: &str) -> anyhow::Result<Option<u64>> {
    let text = http
        .get(format!("{health_url}/metrics"))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .context("reading health's /metrics")?
        .text()
        .await?;
    Ok(parse_backfill_lag(&text))
}

fn parse_backfill_lag(metrics: &str) -> Option<u64> {
    metrics
        .lines()
        .filter(|l| {
            l.starts_with("consumer_stream_lag{")
                && l.contains("group=\"health\"")
                && l.contains(":backfill\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .reduce(|a, b| a + b)
}

/// Polls until health has nothing left of the backfill lane to read (at most
/// `within`); returns when, or `None` if it never got there.
pub(super) async fn wait_folded(
    http: &reqwest::Client,
    health_url: &str,
    started: tokio::time::Instant,
    within: Duration,
) -> anyhow::Result<Option<Duration>> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if backfill_lag(http, health_url).await? == Some(0) {
            return Ok(Some(started.elapsed()));
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backfill_lag_is_read_from_the_health_group_only() {
        let text = "\
# TYPE consumer_stream_lag gauge
consumer_stream_lag{group=\"health\",stream=\"fleet:stream:vehicle.telemetry.received\"} 5
consumer_stream_lag{group=\"health\",stream=\"fleet:stream:vehicle.telemetry.received:backfill\"} 1200
consumer_stream_lag{group=\"health-repairs\",stream=\"fleet:stream:appointment.completed:backfill\"} 7
";
        assert_eq!(parse_backfill_lag(text), Some(1200));
        assert_eq!(parse_backfill_lag("# nothing yet\n"), None);
    }
}
