//! What a load run measured, and how it is printed.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context;
use hdrhistogram::Histogram;

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
    /// Nothing measured yet, in a run offering `rate`: what each worker tallies into.
    pub(super) fn empty(rate: Option<f64>) -> anyhow::Result<Self> {
        Ok(Self {
            elapsed: Duration::ZERO,
            requests: 0,
            errors: 0,
            transport_errors: 0,
            statuses: BTreeMap::new(),
            readings_sent: 0,
            accepted: 0,
            duplicates: 0,
            rejected: 0,
            skipped: 0,
            rate,
            latency_us: Histogram::new_with_bounds(1, 120_000_000, 3)
                .context("histogram bounds")?,
        })
    }

    /// Adds another worker's tallies.
    pub(super) fn merge(&mut self, o: &Self) -> anyhow::Result<()> {
        self.latency_us
            .add(&o.latency_us)
            .context("merging histograms")?;
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
