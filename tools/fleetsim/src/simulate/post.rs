//! The HTTP sink: a fleet's readings posted to ingestion by concurrent shards, each
//! paced against the wall clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;

use super::{MAX_BATCH, Merged, RunStats, SimConfig, fmt_time};
use crate::client::{Counts, IngestClient, PostError};
use crate::vehicle::Vehicle;

/// Options of the HTTP sink.
#[derive(Debug, Clone)]
pub struct PostOptions {
    /// Readings per request (1 = single-reading endpoint).
    pub batch: usize,
    /// Concurrent shards.
    pub concurrency: usize,
    /// Simulated seconds per wall second (0 = unpaced).
    pub speedup: f64,
    /// Print progress to stderr.
    pub progress: bool,
}

#[derive(Debug, Default)]
struct Shared {
    readings: AtomicU64,
    accepted: AtomicU64,
    duplicates: AtomicU64,
    rejected: AtomicU64,
    failed: AtomicU64,
    clamped: AtomicU64,
    sim_time: AtomicI64,
    done: AtomicBool,
}

impl Shared {
    fn add(&self, c: Counts) {
        self.accepted.fetch_add(c.accepted, Ordering::Relaxed);
        self.duplicates.fetch_add(c.duplicates, Ordering::Relaxed);
        self.rejected.fetch_add(c.rejected, Ordering::Relaxed);
    }

    fn stats(&self) -> RunStats {
        RunStats {
            readings: self.readings.load(Ordering::Relaxed),
            accepted: self.accepted.load(Ordering::Relaxed),
            duplicates: self.duplicates.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            clamped: self.clamped.load(Ordering::Relaxed),
        }
    }
}

/// Posts the readings of `fleet` to ingestion: vehicles are split over
/// `opts.concurrency` shards, each sending its vehicles' readings in time order, one
/// request at a time, paced by `opts.speedup`.
pub async fn post_fleet(
    fleet: Vec<Vehicle>,
    cfg: SimConfig,
    client: IngestClient,
    opts: PostOptions,
) -> anyhow::Result<RunStats> {
    let shards = opts.concurrency.clamp(1, fleet.len().max(1));
    let mut groups: Vec<Vec<Vehicle>> = vec![Vec::new(); shards];
    for v in fleet {
        let k = v.index as usize % shards;
        groups[k].push(v);
    }
    let shared = Arc::new(Shared::default());
    let client = Arc::new(client);
    let wall0 = tokio::time::Instant::now();
    let started = Instant::now();
    let reporter = opts.progress.then(|| {
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(2));
            tick.tick().await;
            while !shared.done.load(Ordering::Relaxed) {
                tick.tick().await;
                let s = shared.stats();
                let secs = started.elapsed().as_secs_f64();
                eprintln!(
                    "[{secs:>6.1}s] sent {} ({:.0}/s) accepted {} duplicates {} rejected {} failed {}, simulated time {}",
                    s.readings,
                    s.readings as f64 / secs.max(1e-9),
                    s.accepted,
                    s.duplicates,
                    s.rejected,
                    s.failed,
                    fmt_time(shared.sim_time.load(Ordering::Relaxed)),
                );
            }
        })
    });
    let mut tasks = tokio::task::JoinSet::new();
    for group in groups {
        let shard = Shard {
            merged: Merged::new(group, cfg),
            cfg,
            client: Arc::clone(&client),
            shared: Arc::clone(&shared),
            batch: opts.batch.clamp(1, MAX_BATCH),
            speedup: opts.speedup,
            wall0,
        };
        tasks.spawn(shard.run());
    }
    let mut result = Ok(());
    while let Some(joined) = tasks.join_next().await {
        let outcome = joined.context("a posting shard panicked").and_then(|r| r);
        if let Err(e) = outcome {
            tasks.abort_all();
            result = Err(e);
            break;
        }
    }
    shared.done.store(true, Ordering::Relaxed);
    if let Some(r) = reporter {
        r.abort();
    }
    result.map(|()| shared.stats())
}

struct Shard {
    merged: Merged,
    cfg: SimConfig,
    client: Arc<IngestClient>,
    shared: Arc<Shared>,
    batch: usize,
    speedup: f64,
    wall0: tokio::time::Instant,
}

impl Shard {
    /// When simulated instant `t` is due on the wall clock.
    fn due(&self, t: i64) -> tokio::time::Instant {
        let secs = ((t - self.cfg.start) as f64 / self.speedup).max(0.0);
        self.wall0 + Duration::from_secs_f64(secs.min(1e9))
    }

    async fn run(mut self) -> anyhow::Result<()> {
        let mut body = Vec::new();
        let mut n = 0;
        let mut last_t = self.cfg.start;
        loop {
            let next = self.merged.peek_time();
            let paced = self.speedup > 0.0;
            let ready = match next {
                Some(t) if paced => tokio::time::Instant::now() >= self.due(t),
                Some(_) => true,
                None => false,
            };
            if !ready || n == self.batch {
                if n > 0 {
                    self.flush(&mut body, n, last_t).await?;
                    n = 0;
                }
                let Some(t) = next else { break };
                if paced {
                    tokio::time::sleep_until(self.due(t)).await;
                }
                continue;
            }
            let Some((s, slot)) = self.merged.next_with_slot() else {
                break;
            };
            if n == 0 {
                body.clear();
                if self.batch > 1 {
                    body.extend_from_slice(b"{\"readings\":[");
                }
            } else {
                body.push(b',');
            }
            s.write_json(&mut body, self.merged.slot_vehicle(slot), self.cfg.seed);
            last_t = s.t;
            n += 1;
        }
        self.shared
            .clamped
            .fetch_add(self.merged.clamped(), Ordering::Relaxed);
        Ok(())
    }

    async fn flush(&mut self, body: &mut Vec<u8>, n: usize, last_t: i64) -> anyhow::Result<()> {
        if self.batch > 1 {
            body.extend_from_slice(b"]}");
        }
        let payload = Bytes::from(std::mem::take(body));
        let result = if self.batch > 1 {
            self.client.post_batch(payload, n).await
        } else {
            self.client.post_one(payload).await
        };
        self.shared.readings.fetch_add(n as u64, Ordering::Relaxed);
        self.shared.sim_time.fetch_max(last_t, Ordering::Relaxed);
        match result {
            Ok(counts) => self.shared.add(counts),
            Err(PostError::GaveUp { attempts, last }) => {
                eprintln!("fleetsim: gave up on {n} readings after {attempts} attempts: {last}");
                self.shared.failed.fetch_add(n as u64, Ordering::Relaxed);
            }
            Err(e @ PostError::Fatal(_)) => return Err(e.into()),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use shared_schemas::telemetry::TelemetryReading;

    use super::*;
    use crate::client::testserver;
    use crate::odometer::assign_odometer_faults;
    use crate::simulate::testkit::{SUMMER, cfg};
    use crate::simulate::{build_fleet, write_jsonl};

    #[tokio::test]
    async fn posting_sends_every_reading_once_in_vehicle_order() {
        let server = testserver::accepting(1).await;
        let cfg = cfg(SUMMER, 1, 9);
        let mut fleet = build_fleet(6, &cfg, 0.3);
        // Posted readings carry the reported odometers, as the file does.
        assign_odometer_faults(&mut fleet, &cfg, 0.5);
        let mut file = Vec::new();
        let expected = write_jsonl(&fleet, &cfg, &mut file, false)
            .expect("write")
            .readings;
        let client = IngestClient::new(&server.url, Some("dev-key"), 3).expect("client");
        let opts = PostOptions {
            batch: 100,
            concurrency: 3,
            speedup: 0.0,
            progress: false,
        };
        let stats = post_fleet(fleet, cfg, client, opts).await.expect("post");
        assert_eq!(stats.readings, expected);
        let requests = server.requests.lock().expect("lock").clone();
        let mut per_vehicle: std::collections::HashMap<String, Vec<TelemetryReading>> =
            Default::default();
        let mut total = 0;
        for r in &requests {
            assert_eq!(r.path, "/v1/telemetry/batch");
            assert_eq!(r.api_key.as_deref(), Some("dev-key"));
            let body: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
            let readings: Vec<TelemetryReading> =
                serde_json::from_value(body["readings"].clone()).expect("readings");
            assert!(readings.len() <= 100);
            total += readings.len() as u64;
            for x in readings {
                per_vehicle.entry(x.vehicle_id.clone()).or_default().push(x);
            }
        }
        assert_eq!(total, expected);
        for (id, posted) in &per_vehicle {
            assert!(
                posted
                    .windows(2)
                    .all(|w| w[0].recorded_at < w[1].recorded_at),
                "a vehicle's readings arrive in order"
            );
            let written: Vec<TelemetryReading> = std::str::from_utf8(&file)
                .expect("utf8")
                .lines()
                .map(|l| serde_json::from_str(l).expect("reading"))
                .filter(|r: &TelemetryReading| &r.vehicle_id == id)
                .collect();
            assert!(
                &written == posted,
                "{id}: posted and written readings differ"
            );
        }
    }

    #[tokio::test]
    async fn speedup_paces_simulated_time_against_the_wall_clock() {
        let server = testserver::start(vec![(202, "", "{}")]).await;
        // 6 simulated hours at 60 000x take 0.36 s of wall time.
        let cfg = SimConfig {
            start: SUMMER,
            end: SUMMER + 6 * 3600,
            interval_s: 60,
            seed: 4,
        };
        let fleet = build_fleet(3, &cfg, 0.0);
        let client = IngestClient::new(&server.url, None, 2).expect("client");
        let opts = PostOptions {
            batch: 1,
            concurrency: 2,
            speedup: 60_000.0,
            progress: false,
        };
        let started = Instant::now();
        let stats = post_fleet(fleet, cfg, client, opts).await.expect("post");
        let last_t = server
            .requests
            .lock()
            .expect("lock")
            .iter()
            .map(|r| {
                serde_json::from_slice::<TelemetryReading>(&r.body)
                    .expect("reading")
                    .recorded_at
                    .timestamp()
            })
            .max()
            .expect("some readings");
        let due = (last_t - cfg.start) as f64 / 60_000.0;
        assert!(stats.readings > 0 && stats.accepted == stats.readings);
        assert!(
            started.elapsed().as_secs_f64() >= due * 0.9,
            "sent faster than paced"
        );
        assert_eq!(
            server.requests.lock().expect("lock")[0].path,
            "/v1/telemetry"
        );
    }
}
