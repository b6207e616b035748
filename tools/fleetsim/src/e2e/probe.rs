//! Probe vehicles: diesel long-haul trucks whose DPF clogs over a 28-day history that
//! ends now, posted in time order one simulated hour per request, each request its
//! own flow (`x-correlation-id`), so the email it ends in names the request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use bytes::Bytes;
use chrono::Utc;
use uuid::Uuid;

use super::account::Sent;
use crate::client::{IngestClient, PostError};
use crate::degradation::{Degradation, FailureMode};
use crate::profile::DutyProfile;
use crate::simulate::{SimConfig, VehicleSim};
use crate::vehicle::Vehicle;

/// Days of history per probe: enough for health's baselines, then the clogging, and
/// inside ingestion's 30-day maximum age.
pub(crate) const HISTORY_DAYS: i64 = 28;
/// Reporting interval while driving, seconds.
const INTERVAL_S: u32 = 300;
/// Physics seed of the probes (the alert service's end-to-end test truck): the run id
/// only changes their identity, so every run clogs the same way.
const PHYSICS_SEED: u64 = 11;
/// Share of the load window probes may use to post; the rest leaves the pipeline time
/// to raise the alerts while the background load still runs.
const POST_WINDOW: f64 = 0.8;

/// One request of a probe's history.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// `{"readings":[…]}`.
    pub(crate) body: Bytes,
    /// Readings in it.
    pub(crate) readings: usize,
}

/// A probe vehicle and its history, ready to post.
#[derive(Debug, Clone)]
pub(crate) struct Probe {
    /// `E2E-<run>-<k>`.
    pub(crate) vehicle_id: String,
    /// In time order, one per simulated hour with readings.
    pub(crate) requests: Vec<Request>,
}

impl Probe {
    /// Probe `k` of run `run` (8 hex characters; `run_seed` derived from it), its
    /// history ending at `end` (Unix seconds).
    pub(crate) fn build(run: &str, run_seed: u64, k: u32, end: i64) -> Self {
        let start = end - HISTORY_DAYS * 86_400;
        let span = end - start;
        let mut vehicle = Vehicle::generate(PHYSICS_SEED, k, DutyProfile::LongHaul, 28.0);
        vehicle.id = format!("E2E-{run}-{}", k + 1);
        // A VIN of this run (valid check digit) so runs never share one.
        vehicle.vin = Vehicle::generate(run_seed, k, DutyProfile::LongHaul, 28.0).vin;
        // As the pipeline tests: onset at 30 %, failure at 90 % of the span.
        vehicle.degradation = Some(Degradation {
            mode: FailureMode::DpfClogging,
            onset: start + span * 3 / 10,
            failure: start + span * 9 / 10,
            wheel: 0,
        });
        let cfg = SimConfig {
            start,
            end,
            interval_s: INTERVAL_S,
            seed: PHYSICS_SEED,
        };
        let mut requests = Vec::new();
        let mut body = Vec::new();
        let (mut hour, mut n) = (i64::MIN, 0);
        for s in VehicleSim::new(vehicle.clone(), cfg) {
            if s.t.div_euclid(3600) != hour && n > 0 {
                requests.push(close(&mut body, n));
                n = 0;
            }
            hour = s.t.div_euclid(3600);
            body.extend_from_slice(if n == 0 { b"{\"readings\":[" } else { b"," });
            s.write_json(&mut body, &vehicle, run_seed);
            n += 1;
        }
        if n > 0 {
            requests.push(close(&mut body, n));
        }
        Self {
            vehicle_id: vehicle.id,
            requests,
        }
    }

    /// Readings in the whole history.
    pub(crate) fn readings(&self) -> usize {
        self.requests.iter().map(|r| r.readings).sum()
    }
}

fn close(body: &mut Vec<u8>, n: usize) -> Request {
    body.extend_from_slice(b"]}");
    Request {
        body: Bytes::from(std::mem::take(body)),
        readings: n,
    }
}

/// When each probe's requests go, seconds after the load started: each probe at
/// `rate / probes` readings per second (so the probes never exceed `rate` together),
/// the probes' starts spread so that all finish within [`POST_WINDOW`] of `seconds`.
/// Returns the times and, when the histories do not fit, a warning.
pub(crate) fn plan(
    counts: &[Vec<usize>],
    seconds: f64,
    rate: f64,
) -> (Vec<Vec<f64>>, Option<String>) {
    let per_probe = rate / counts.len().max(1) as f64;
    let lengths: Vec<f64> = counts
        .iter()
        .map(|c| c.iter().sum::<usize>() as f64 / per_probe)
        .collect();
    let longest = lengths.iter().copied().fold(0.0, f64::max);
    let window = seconds * POST_WINDOW;
    let warning = (longest > window).then(|| {
        format!(
            "a probe needs {longest:.1} s to post its history at {per_probe:.0} readings/s, \
             more than {:.0} % of --seconds ({window:.1} s): some alerts may come after the \
             load ended; raise --seconds or --probe-rate",
            POST_WINDOW * 100.0
        )
    });
    let spread = (window - longest).max(0.0);
    let last = counts.len().saturating_sub(1).max(1) as f64;
    let times = counts
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let start = spread * k as f64 / last;
            let mut before = 0;
            c.iter()
                .map(|&n| {
                    let at = start + before as f64 / per_probe;
                    before += n;
                    at
                })
                .collect()
        })
        .collect();
    (times, warning)
}

/// What posting one probe did.
#[derive(Debug, Default)]
pub(crate) struct Posted {
    /// Correlation id → request.
    pub(crate) sent: HashMap<Uuid, Sent>,
    /// Readings accepted.
    pub(crate) accepted: u64,
    /// Readings answered as duplicates.
    pub(crate) duplicates: u64,
    /// Readings rejected by validation.
    pub(crate) rejected: u64,
    /// Requests that still failed after the retries.
    pub(crate) failed: u64,
}

/// Posts probe `k`'s requests at `times` (seconds after `t0`), one at a time and in
/// order, each with a fresh correlation id whose wall-clock send time is recorded.
pub(crate) async fn post(
    client: IngestClient,
    probe: Arc<Probe>,
    k: usize,
    times: Vec<f64>,
    t0: tokio::time::Instant,
) -> anyhow::Result<Posted> {
    let mut out = Posted::default();
    for (r, at) in probe.requests.iter().zip(times) {
        tokio::time::sleep_until(t0 + Duration::from_secs_f64(at)).await;
        let id = Uuid::new_v4();
        out.sent.insert(
            id,
            Sent {
                probe: k,
                at: Utc::now(),
            },
        );
        match client
            .post_batch_correlated(r.body.clone(), r.readings, id)
            .await
        {
            Ok(c) => {
                out.accepted += c.accepted;
                out.duplicates += c.duplicates;
                out.rejected += c.rejected;
            }
            Err(PostError::Fatal(m)) => bail!(
                "ingestion refused probe {}: {m} (is FLEET_DEVICE_KEY a device key of this \
                 ingestion, allowed for any vehicle?)",
                probe.vehicle_id
            ),
            Err(e @ PostError::GaveUp { .. }) => {
                out.failed += 1;
                eprintln!("fleetsim e2e: probe {}: {e}", probe.vehicle_id);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use shared_schemas::telemetry::TelemetryReading;

    use super::*;

    #[derive(serde::Deserialize)]
    struct Batch {
        readings: Vec<TelemetryReading>,
    }

    #[test]
    fn a_probe_posts_its_clogging_history_by_the_hour_in_order() {
        let end = 1_767_225_600;
        let p = Probe::build("ab12cd34", 77, 0, end);
        assert_eq!(p.vehicle_id, "E2E-ab12cd34-1");
        assert!(p.readings() > 2_000, "{} readings", p.readings());
        let mut last = i64::MIN;
        let mut vins = std::collections::HashSet::new();
        for r in &p.requests {
            let b: Batch = serde_json::from_slice(&r.body).expect("a canonical batch");
            assert_eq!(b.readings.len(), r.readings);
            let hour = b.readings[0].recorded_at.timestamp().div_euclid(3600);
            for x in &b.readings {
                let t = x.recorded_at.timestamp();
                assert!(t > last && t < end && t >= end - HISTORY_DAYS * 86_400);
                assert_eq!(t.div_euclid(3600), hour, "one simulated hour per request");
                last = t;
                assert_eq!(x.vehicle_id, p.vehicle_id);
                vins.extend(x.vin.clone());
                assert!(
                    x.reading_id
                        .as_deref()
                        .is_some_and(|id| id.contains("E2E-ab12cd34-1"))
                );
            }
        }
        assert_eq!(vins.len(), 1);
        let vin = vins.into_iter().next().expect("vin");
        assert!(crate::vehicle::is_valid_vin(&vin), "{vin}");
        // Another run: another identity, the same physics.
        let q = Probe::build("ffff0000", 78, 0, end);
        assert_eq!(q.readings(), p.readings());
        let b: Batch = serde_json::from_slice(&q.requests[0].body).expect("batch");
        assert_ne!(b.readings[0].vin.as_deref(), Some(vin.as_str()));
        // DPF pressure climbs over the history.
        let dp = |r: &Request| -> f64 {
            let b: Batch = serde_json::from_slice(&r.body).expect("batch");
            b.readings
                .iter()
                .filter_map(|x| x.signals.get("dpf_diff_pressure_kpa").copied())
                .fold(0.0, f64::max)
        };
        let n = p.requests.len();
        let early = p.requests[..n / 5].iter().map(dp).fold(0.0, f64::max);
        let late = p.requests[n * 9 / 10..].iter().map(dp).fold(0.0, f64::max);
        assert!(
            late > 25.0 && late > early * 2.0,
            "early {early}, late {late}"
        );
    }

    #[test]
    fn probes_are_paced_and_spread_inside_the_window() {
        let counts = vec![vec![10, 20, 30]; 4];
        let (times, warning) = plan(&counts, 30.0, 40.0);
        assert!(warning.is_none());
        // 10 readings/s per probe: 6 s per history, starts spread over 24 − 6 s.
        assert_eq!(times[0], [0.0, 1.0, 3.0]);
        assert_eq!(times[1], [6.0, 7.0, 9.0]);
        assert_eq!(times[3][0], 18.0);
        let ends: Vec<f64> = times.iter().map(|t| t[2] + 3.0).collect();
        assert!(ends.iter().all(|&e| e <= 24.0));
        // Too long for the window: all start at once, with a warning.
        let (times, warning) = plan(&counts, 5.0, 40.0);
        assert!(warning.is_some_and(|w| w.contains("--seconds")));
        assert!(times.iter().all(|t| t[0] == 0.0));
        // A single probe starts at once.
        let (times, _) = plan(&counts[..1], 30.0, 40.0);
        assert_eq!(times[0][0], 0.0);
    }
}
