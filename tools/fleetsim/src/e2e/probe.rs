//! Probe vehicles: diesel long-haul trucks whose DPF clogs over a 28-day history that
//! ends now. Before the measurement each posts its history up to the clogging's onset
//! (the warm-up: health learns the truck's baseline); during it, what the truck
//! reports once back in contact with its DPF clogged past the limit, one live reading
//! per request. Each request is its own flow (`x-correlation-id`), so the email it ends
//! in names the request.

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
use crate::sample::Sample;
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

/// One request of a probe's warm-up.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// `{"readings":[…]}`.
    pub(crate) body: Bytes,
    /// Readings in it.
    pub(crate) readings: usize,
}

/// Live readings per probe, one per second of recorded time: health needs about 30
/// readings of a day before it trusts that day's level.
const LIVE_READINGS: usize = 60;
/// Live readings per request.
const LIVE_BATCH: usize = 10;

/// A probe vehicle: its history up to the clogging's onset (the warm-up), then what it
/// reports once back in contact with its DPF clogged past the limit (the live part).
///
/// The live readings carry the simulator's values after the failure but are stamped
/// when sent, so they reach health as live data, not on the backfill lane (ADR 0020):
/// a history replayed in seconds is all "in the past", and would measure backfill.
#[derive(Debug, Clone)]
pub(crate) struct Probe {
    /// `E2E-<run>-<k>`.
    pub(crate) vehicle_id: String,
    /// Before the onset, in time order, one simulated hour per request.
    pub(crate) warmup: Vec<Request>,
    /// When the warm-up's newest reading was recorded (Unix seconds).
    pub(crate) warmup_end: Option<i64>,
    /// After the failure, in time order.
    live: Vec<Sample>,
    vehicle: Vehicle,
    run_seed: u64,
}

impl Probe {
    /// Probe `k` of run `run` (8 hex characters; `run_seed` derived from it), its
    /// simulated history ending at `end` (Unix seconds).
    pub(crate) fn build(run: &str, run_seed: u64, k: u32, end: i64) -> Self {
        let start = end - HISTORY_DAYS * 86_400;
        let span = end - start;
        let mut vehicle = Vehicle::generate(PHYSICS_SEED, k, DutyProfile::LongHaul, 28.0);
        vehicle.id = format!("E2E-{run}-{}", k + 1);
        // A VIN of this run (valid check digit) so runs never share one.
        vehicle.vin = Vehicle::generate(run_seed, k, DutyProfile::LongHaul, 28.0).vin;
        // As the pipeline tests: onset at 30 %, failure at 90 % of the span.
        let (onset, failure) = (start + span * 3 / 10, start + span * 9 / 10);
        vehicle.degradation = Some(Degradation {
            mode: FailureMode::DpfClogging,
            onset,
            failure,
            wheel: 0,
        });
        let cfg = SimConfig {
            start,
            end,
            interval_s: INTERVAL_S,
            seed: PHYSICS_SEED,
        };
        let mut warmup = Vec::new();
        let mut live = Vec::new();
        let mut body = Vec::new();
        let (mut hour, mut n, mut warmup_end) = (i64::MIN, 0, None);
        for s in VehicleSim::new(vehicle.clone(), cfg) {
            if s.t >= failure {
                if s.running && live.len() < LIVE_READINGS {
                    live.push(s);
                }
                continue;
            }
            if s.t >= onset {
                continue;
            }
            if s.t.div_euclid(3600) != hour && n > 0 {
                warmup.push(close(&mut body, n));
                n = 0;
            }
            hour = s.t.div_euclid(3600);
            body.extend_from_slice(if n == 0 { b"{\"readings\":[" } else { b"," });
            s.write_json(&mut body, &vehicle, run_seed);
            warmup_end = Some(s.t);
            n += 1;
        }
        if n > 0 {
            warmup.push(close(&mut body, n));
        }
        Self {
            vehicle_id: vehicle.id.clone(),
            warmup,
            warmup_end,
            live,
            vehicle,
            run_seed,
        }
    }

    /// Readings of the warm-up.
    pub(crate) fn warmup_readings(&self) -> usize {
        self.warmup.iter().map(|r| r.readings).sum()
    }

    /// Readings in each live request, in order.
    pub(crate) fn live_request_sizes(&self) -> Vec<usize> {
        self.live.chunks(LIVE_BATCH).map(<[Sample]>::len).collect()
    }

    /// Readings of the live part.
    pub(crate) fn live_readings(&self) -> usize {
        self.live.len()
    }

    /// Live request `j` when the first one leaves at `first` (Unix seconds): the live
    /// readings are one per second, the last one a second before `first`, so every one
    /// is younger than ingestion's backfill age when its request leaves (requests go
    /// about a second apart). The counters start where the failure left them and
    /// advance as a truck at 80 km/h would, so they stay plausible.
    fn live_request(&self, j: usize, first: i64) -> Request {
        let from = (j * LIVE_BATCH).min(self.live.len());
        let to = (from + LIVE_BATCH).min(self.live.len());
        let start = first - self.live.len() as i64;
        let mut body = Vec::new();
        for i in from..to {
            let mut s = self.live[i].clone();
            s.t = start + i as i64;
            s.odometer_km = self.live[0].odometer_km + i as f64 * 80.0 / 3_600.0;
            s.engine_hours = self.live[0].engine_hours + i as f64 / 3_600.0;
            body.extend_from_slice(if i == from { b"{\"readings\":[" } else { b"," });
            s.write_json(&mut body, &self.vehicle, self.run_seed);
        }
        close(&mut body, to - from)
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

/// Posts probe `k`'s warm-up as fast as ingestion takes it, one request at a time and
/// in order; returns the readings accepted.
pub(crate) async fn warm_up(client: IngestClient, probe: Arc<Probe>) -> anyhow::Result<u64> {
    let mut accepted = 0;
    for r in &probe.warmup {
        match client
            .post_batch_correlated(r.body.clone(), r.readings, Uuid::new_v4())
            .await
        {
            Ok(c) => accepted += c.accepted + c.duplicates,
            Err(e) => bail!("warming up probe {}: {e}", probe.vehicle_id),
        }
    }
    Ok(accepted)
}

/// Posts probe `k`'s live requests at `times` (seconds after `t0`), in order, each
/// with a fresh correlation id whose wall-clock send time is recorded.
pub(crate) async fn post(
    client: IngestClient,
    probe: Arc<Probe>,
    k: usize,
    times: Vec<f64>,
    t0: tokio::time::Instant,
) -> anyhow::Result<Posted> {
    let mut out = Posted::default();
    let mut first = None;
    for (j, at) in times
        .into_iter()
        .enumerate()
        .take(probe.live_request_sizes().len())
    {
        tokio::time::sleep_until(t0 + Duration::from_secs_f64(at)).await;
        let now = Utc::now();
        let r = probe.live_request(j, *first.get_or_insert(now.timestamp()));
        let id = Uuid::new_v4();
        out.sent.insert(id, Sent { probe: k, at: now });
        match client.post_batch_correlated(r.body, r.readings, id).await {
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

    fn batch(r: &Request) -> Vec<TelemetryReading> {
        let b: Batch = serde_json::from_slice(&r.body).expect("a canonical batch");
        assert_eq!(b.readings.len(), r.readings);
        b.readings
    }

    fn dpf(readings: &[TelemetryReading]) -> f64 {
        readings
            .iter()
            .filter_map(|x| x.signals.get("dpf_diff_pressure_kpa").copied())
            .fold(0.0, f64::max)
    }

    #[test]
    fn a_probe_warms_up_by_the_hour_until_the_onset() {
        let end = 1_767_225_600;
        let p = Probe::build("ab12cd34", 77, 0, end);
        assert_eq!(p.vehicle_id, "E2E-ab12cd34-1");
        assert!(
            p.warmup_readings() > 500,
            "{} readings",
            p.warmup_readings()
        );
        let onset = end - HISTORY_DAYS * 86_400 * 7 / 10;
        let mut last = i64::MIN;
        let mut vins = std::collections::HashSet::new();
        for r in &p.warmup {
            let readings = batch(r);
            let hour = readings[0].recorded_at.timestamp().div_euclid(3600);
            for x in &readings {
                let t = x.recorded_at.timestamp();
                assert!(t > last && t < onset && t >= end - HISTORY_DAYS * 86_400);
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
        assert_eq!(p.warmup_end, Some(last));
        assert_eq!(vins.len(), 1);
        let vin = vins.into_iter().next().expect("vin");
        assert!(crate::vehicle::is_valid_vin(&vin), "{vin}");
        // Another run: another identity, the same physics.
        let q = Probe::build("ffff0000", 78, 0, end);
        assert_eq!(q.warmup_readings(), p.warmup_readings());
        assert_ne!(batch(&q.warmup[0])[0].vin.as_deref(), Some(vin.as_str()));
    }

    #[test]
    fn live_readings_are_stamped_when_sent_with_a_clogged_dpf_and_plausible_counters() {
        let end = 1_767_225_600;
        let p = Probe::build("ab12cd34", 77, 0, end);
        assert_eq!(p.live_readings(), LIVE_READINGS);
        let first = end + 3 * 86_400;
        let mut all = Vec::new();
        for j in 0..p.live_request_sizes().len() {
            let r = batch(&p.live_request(j, first));
            assert!(r.len() <= LIVE_BATCH);
            all.extend(r);
        }
        assert_eq!(all.len(), LIVE_READINGS);
        // One a second, the newest a second before the first request leaves: all
        // younger than ingestion's 120 s backfill age while the requests go out.
        for (i, x) in all.iter().enumerate() {
            assert_eq!(
                x.recorded_at.timestamp(),
                first - LIVE_READINGS as i64 + i as i64
            );
        }
        let ids: std::collections::HashSet<_> = all.iter().map(|x| &x.reading_id).collect();
        assert_eq!(ids.len(), all.len());
        // A second at 80 km/h each: about 1.3 km in all, not the simulator's hours.
        let km = all[LIVE_READINGS - 1].odometer_km.expect("km") - all[0].odometer_km.expect("km");
        assert!((1.2..1.4).contains(&km), "{km} km in {LIVE_READINGS} s");
        // Past the failure: the DPF pressure is well above the warm-up's.
        let warm = p.warmup.iter().map(|r| dpf(&batch(r))).fold(0.0, f64::max);
        let live = dpf(&all);
        assert!(live > warm * 2.5, "warm-up {warm}, live {live}");
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
