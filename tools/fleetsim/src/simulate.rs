//! The `simulate` command: the per-vehicle time loop, the fleet-wide time-ordered
//! merge, and the two sinks (JSON lines file, or ingestion over HTTP).
//!
//! Every vehicle has its own random stream (derived from the seed and its index), so a
//! vehicle's readings do not depend on how many other vehicles there are or in which
//! order they are consumed: the file sink and the HTTP sink (which splits vehicles over
//! concurrent shards) produce exactly the same readings.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::client::{Counts, IngestClient, PostError};
use crate::degradation::{Degradation, DegradationTruth, GroundTruth, VehicleTruth};
use crate::odometer::{OdometerFaultTruth, OdometerInjector, assign_odometer_faults, fault_truth};
use crate::physics::Physics;
use crate::profile::{Drive, Segment};
use crate::sample::Sample;
use crate::vehicle::{Vehicle, mix, profiles_for};

/// Largest batch ingestion accepts.
pub const MAX_BATCH: usize = 10_000;

/// Mean spacing of parked heartbeats, seconds (jittered ±30 min).
const HEARTBEAT_S: i64 = 4 * 3600;

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
}

fn parse_rfc3339(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("not an RFC 3339 timestamp: {e}"))
}

/// The simulated span and reporting cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimConfig {
    /// First instant, Unix seconds.
    pub start: i64,
    /// End (exclusive), Unix seconds.
    pub end: i64,
    /// Seconds between readings while running.
    pub interval_s: u32,
    /// The run's seed.
    pub seed: u64,
}

/// Builds a fleet of `n` vehicles; `round(n × degrade_fraction)` of them, chosen at
/// random, get a degradation.
pub fn build_fleet(n: u32, cfg: &SimConfig, degrade_fraction: f64) -> Vec<Vehicle> {
    let days = (cfg.end - cfg.start) as f64 / 86_400.0;
    let profiles = profiles_for(n, cfg.seed);
    let mut fleet: Vec<Vehicle> = profiles
        .iter()
        .enumerate()
        .map(|(i, p)| Vehicle::generate(cfg.seed, i as u32, *p, days))
        .collect();
    let mut rng = SmallRng::seed_from_u64(mix(cfg.seed, 0x6465_6772, 0));
    let k = (f64::from(n) * degrade_fraction.clamp(0.0, 1.0)).round() as usize;
    let mut order: Vec<usize> = (0..fleet.len()).collect();
    rand::seq::SliceRandom::shuffle(order.as_mut_slice(), &mut rng);
    for &i in order.iter().take(k) {
        let v = &mut fleet[i];
        v.degradation = Some(Degradation::draw(&mut rng, v.kind, cfg.start, cfg.end));
    }
    fleet
}

/// The ground truth of a fleet.
///
/// Odometer faults are recorded from the readings their vehicles emit (each faulted
/// vehicle is simulated up to its switch reading); `odometer_fault_fraction` is left
/// at 0 for the caller that assigned the faults to fill in.
pub fn ground_truth(fleet: &[Vehicle], cfg: &SimConfig, degrade_fraction: f64) -> GroundTruth {
    let ts = |t: i64| DateTime::from_timestamp(t, 0).unwrap_or_default();
    GroundTruth {
        generator: format!("fleetsim {}", env!("CARGO_PKG_VERSION")),
        seed: cfg.seed,
        start: ts(cfg.start),
        end: ts(cfg.end),
        interval_s: cfg.interval_s,
        degrade_fraction,
        odometer_fault_fraction: 0.0,
        after_failure: "keeps_running_degraded",
        vehicles: fleet
            .iter()
            .map(|v| VehicleTruth {
                vehicle_id: v.id.clone(),
                vin: v.vin.clone(),
                kind: v.kind,
                profile: v.profile,
                make: v.make,
                model_year: v.model_year,
                home_base: v.home.name,
                degraded: v.degradation.is_some(),
                degradation: v
                    .degradation
                    .as_ref()
                    .map(|d| DegradationTruth::new(d, v.kind, cfg.end)),
                odometer_fault: fault_truth(v, *cfg),
            })
            .collect(),
    }
}

/// One vehicle's readings in time order, generated a local day at a time.
#[derive(Debug, Clone)]
pub struct VehicleSim {
    vehicle: Vehicle,
    cfg: SimConfig,
    rng: SmallRng,
    phys: Physics,
    /// Next local day to plan (days since the epoch, local time).
    day: i64,
    last_day: i64,
    /// Seconds to add to UTC for local time.
    utc_offset_s: i64,
    /// Earliest start of the next segment.
    not_before: i64,
    next_heartbeat: i64,
    buf: VecDeque<Sample>,
    /// The vehicle's odometer fault, applied to each reading as it is emitted.
    odometer: Option<OdometerInjector>,
}

impl VehicleSim {
    /// Starts the simulation of `vehicle`.
    pub fn new(vehicle: Vehicle, cfg: SimConfig) -> Self {
        let mut rng = SmallRng::seed_from_u64(mix(cfg.seed, 0x0073_696d, u64::from(vehicle.index)));
        let utc_offset_s = i64::from(vehicle.home.utc_offset_h) * 3600;
        let day = (cfg.start + utc_offset_s).div_euclid(86_400);
        let last_day = (cfg.end + utc_offset_s).div_euclid(86_400);
        let t0 = day * 86_400 - utc_offset_s;
        let phys = Physics::new(&vehicle, t0, &mut rng);
        let next_heartbeat = cfg.start + rng.random_range(0..HEARTBEAT_S);
        let vehicle_fault = vehicle.odometer_fault;
        Self {
            vehicle,
            cfg,
            rng,
            phys,
            day,
            last_day,
            utc_offset_s,
            not_before: t0,
            next_heartbeat,
            buf: VecDeque::new(),
            odometer: vehicle_fault.map(OdometerInjector::new),
        }
    }

    /// The simulated vehicle.
    pub fn vehicle(&self) -> &Vehicle {
        &self.vehicle
    }

    /// Readings whose models went out of the catalog range (and were clamped).
    pub fn clamped(&self) -> u64 {
        self.phys.clamped
    }

    /// The truth of the vehicle's odometer fault, once its switch reading has been
    /// emitted.
    pub fn odometer_fault_truth(&self) -> Option<&OdometerFaultTruth> {
        self.odometer.as_ref().and_then(OdometerInjector::truth)
    }

    fn in_span(&self, t: i64) -> bool {
        t >= self.cfg.start && t < self.cfg.end
    }

    fn simulate_day(&mut self) {
        let midnight = self.day * 86_400 - self.utc_offset_s;
        // 1970-01-01 was a Thursday; 0 = Monday.
        let weekday = (self.day + 3).rem_euclid(7) as u32;
        let plan = self
            .vehicle
            .profile
            .plan_day(&mut self.rng, midnight, weekday, self.not_before);
        for seg in plan {
            if seg.start >= self.cfg.end {
                break;
            }
            self.parked_until(seg.start);
            self.run_segment(&seg);
            self.not_before = seg.end + 120;
        }
        self.day += 1;
        let next_midnight = midnight + 86_400;
        self.parked_until(next_midnight.max(self.not_before).min(self.cfg.end));
    }

    /// Emits parked heartbeats before `until`.
    fn parked_until(&mut self, until: i64) {
        while self.next_heartbeat < until - 60 {
            let t = self.next_heartbeat;
            if self.in_span(t) {
                let s = self.phys.parked(t, &mut self.rng);
                self.buf.push_back(s);
            }
            self.next_heartbeat = t + HEARTBEAT_S + self.rng.random_range(-1800..1800);
        }
    }

    fn run_segment(&mut self, seg: &Segment) {
        let dt = i64::from(self.cfg.interval_s);
        self.phys.engine_start(seg.start, &mut self.rng);
        let mut drive = Drive::new(seg, &mut self.rng);
        // Each vehicle reports on its own phase of the interval.
        let phase = self.vehicle.params.report_phase_s % dt;
        let mut last = seg.start;
        let mut t = seg.start + dt - (seg.start + dt - phase).rem_euclid(dt);
        if t <= seg.start {
            t += dt;
        }
        while t <= seg.end {
            let step = (t - last) as f64;
            let target = drive.step(step, &mut self.rng);
            let s = self.phys.running(t, step, target, seg, &mut self.rng);
            if self.in_span(t) {
                self.buf.push_back(s);
            }
            last = t;
            t += dt;
        }
        if seg.end > last {
            // The tail of the segment between the last report and engine stop still
            // counts for odometer and engine hours.
            let step = (seg.end - last) as f64;
            let target = drive.step(step, &mut self.rng);
            self.phys.running(seg.end, step, target, seg, &mut self.rng);
        }
        self.phys.engine_stop(seg.end);
        self.next_heartbeat = seg.end + HEARTBEAT_S + self.rng.random_range(-1800..1800);
    }
}

impl Iterator for VehicleSim {
    type Item = Sample;

    fn next(&mut self) -> Option<Sample> {
        loop {
            if let Some(mut s) = self.buf.pop_front() {
                // Readings leave in time order, which the injector relies on.
                if let Some(odometer) = &mut self.odometer {
                    odometer.apply(&mut s);
                }
                return Some(s);
            }
            if self.day > self.last_day {
                return None;
            }
            self.simulate_day();
        }
    }
}

/// Several vehicles' readings merged into one stream ordered by time (ties by vehicle
/// index).
#[derive(Debug)]
pub struct Merged {
    sims: Vec<VehicleSim>,
    heads: Vec<Option<Sample>>,
    heap: BinaryHeap<Reverse<(i64, u32, usize)>>,
}

impl Merged {
    /// Merges `vehicles`.
    pub fn new(vehicles: impl IntoIterator<Item = Vehicle>, cfg: SimConfig) -> Self {
        let mut sims: Vec<VehicleSim> = vehicles
            .into_iter()
            .map(|v| VehicleSim::new(v, cfg))
            .collect();
        let mut heads = Vec::with_capacity(sims.len());
        let mut heap = BinaryHeap::with_capacity(sims.len());
        for (i, sim) in sims.iter_mut().enumerate() {
            let head = sim.next();
            if let Some(s) = &head {
                heap.push(Reverse((s.t, s.vehicle, i)));
            }
            heads.push(head);
        }
        Self { sims, heads, heap }
    }

    /// Time of the next reading.
    pub fn peek_time(&self) -> Option<i64> {
        self.heap.peek().map(|Reverse((t, _, _))| *t)
    }

    /// Readings clamped into range so far, over all vehicles.
    pub fn clamped(&self) -> u64 {
        self.sims.iter().map(VehicleSim::clamped).sum()
    }

    /// Next reading and the slot of its vehicle.
    pub fn next_with_slot(&mut self) -> Option<(Sample, usize)> {
        let Reverse((_, _, i)) = self.heap.pop()?;
        let out = self.heads[i].take()?;
        self.heads[i] = self.sims[i].next();
        if let Some(s) = &self.heads[i] {
            self.heap.push(Reverse((s.t, s.vehicle, i)));
        }
        Some((out, i))
    }

    /// The vehicle in `slot`.
    pub fn slot_vehicle(&self, slot: usize) -> &Vehicle {
        &self.sims[slot].vehicle
    }
}

impl Iterator for Merged {
    type Item = Sample;

    fn next(&mut self) -> Option<Sample> {
        self.next_with_slot().map(|(s, _)| s)
    }
}

/// What a run produced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Readings generated (written or sent).
    pub readings: u64,
    /// Accepted by ingestion.
    pub accepted: u64,
    /// Duplicates reported by ingestion.
    pub duplicates: u64,
    /// Rejected by ingestion.
    pub rejected: u64,
    /// Given up after retries.
    pub failed: u64,
    /// Readings whose model values had to be clamped into the catalog range.
    pub clamped: u64,
}

/// Writes the merged readings of `fleet` as JSON lines to `out`.
///
/// Generation and encoding run on the calling thread; a second thread does the
/// blocking writes, so disk I/O overlaps with simulation. Buffers of about 1 MiB go
/// back and forth over two small channels and are reused.
pub fn write_jsonl(
    fleet: &[Vehicle],
    cfg: &SimConfig,
    out: &mut (dyn Write + Send),
    progress: bool,
) -> anyhow::Result<RunStats> {
    const FLUSH_AT: usize = 1 << 20;
    const BUFFERS: usize = 4;
    let started = Instant::now();
    let mut merged = Merged::new(fleet.iter().cloned(), *cfg);
    let mut stats = RunStats::default();
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(BUFFERS);
    let (empty_tx, empty_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(BUFFERS);
    for _ in 0..BUFFERS {
        empty_tx
            .send(Vec::with_capacity(FLUSH_AT + 4096))
            .context("priming write buffers")?;
    }
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> io::Result<()> {
            for buf in full_rx {
                out.write_all(&buf)?;
                // The generator may be gone after the last buffer; nothing to return to.
                let _ = empty_tx.send(buf);
            }
            out.flush()
        });
        let mut buf = empty_rx.recv().context("write buffer")?;
        buf.clear();
        let mut last_report = Instant::now();
        while let Some((s, slot)) = merged.next_with_slot() {
            s.write_json(&mut buf, merged.slot_vehicle(slot), cfg.seed);
            buf.push(b'\n');
            stats.readings += 1;
            if buf.len() >= FLUSH_AT {
                if full_tx.send(buf).is_err() {
                    // The writer failed; its error is reported below.
                    buf = Vec::new();
                    break;
                }
                buf = empty_rx.recv().context("write buffer")?;
                buf.clear();
                if progress && last_report.elapsed() >= Duration::from_secs(2) {
                    last_report = Instant::now();
                    eprintln!(
                        "[{:>6.1}s] {} readings, simulated time {}",
                        started.elapsed().as_secs_f64(),
                        stats.readings,
                        fmt_time(s.t)
                    );
                }
            }
        }
        // A failed writer has dropped its receiver; the error comes from join below.
        let _ = full_tx.send(buf);
        drop(full_tx);
        match writer.join() {
            Ok(r) => r.context("writing readings"),
            Err(_) => bail!("the writer thread panicked"),
        }
    })?;
    stats.clamped = merged.clamped();
    Ok(stats)
}

fn fmt_time(t: i64) -> String {
    DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

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
    let span = (args.days * 86_400.0).round() as i64;
    let start = args
        .start
        .map_or_else(|| Utc::now().timestamp() - span, |t| t.timestamp());
    let cfg = SimConfig {
        start,
        end: start + span,
        interval_s: args.interval_s,
        seed: args.seed,
    };
    if args.url.is_some() {
        warn_outside_ingestion_window(&cfg, args.speedup);
    }
    let mut fleet = build_fleet(args.vehicles, &cfg, args.degrade_fraction);
    assign_odometer_faults(&mut fleet, &cfg, args.odometer_fault_fraction);
    let truth_path = args
        .truth
        .clone()
        .unwrap_or_else(|| default_truth_path(args.out.as_deref()));
    let mut truth = ground_truth(&fleet, &cfg, args.degrade_fraction);
    truth.odometer_fault_fraction = args.odometer_fault_fraction;
    let json = serde_json::to_vec_pretty(&truth).context("encoding the ground truth")?;
    std::fs::write(&truth_path, json)
        .with_context(|| format!("writing {}", truth_path.display()))?;
    let to_stdout = args.out.as_deref() == Some(Path::new("-"));
    let progress = !args.quiet;
    let degraded = fleet.iter().filter(|v| v.degradation.is_some()).count();
    let odometer_faults = fleet.iter().filter(|v| v.odometer_fault.is_some()).count();
    let (faults_note, faults_field) = odometer_fault_notes(odometer_faults);
    if progress {
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
    let (stats, target) = if let Some(url) = &args.url {
        let client = IngestClient::new(url, args.api_key.as_deref(), args.concurrency)?;
        let opts = PostOptions {
            batch: args.batch,
            concurrency: args.concurrency,
            speedup: args.speedup,
            progress,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        let stats = runtime.block_on(post_fleet(fleet, cfg, client, opts))?;
        (stats, url.clone())
    } else {
        let out = args.out.clone().unwrap_or_else(|| PathBuf::from("-"));
        let stats = if to_stdout {
            write_jsonl(&fleet, &cfg, &mut io::stdout(), progress)?
        } else {
            let file = File::create(&out).with_context(|| format!("creating {}", out.display()))?;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            write_jsonl(&fleet, &cfg, &mut w, progress)?
        };
        (stats, out.display().to_string())
    };
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
    if to_stdout {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use shared_schemas::signals;
    use shared_schemas::telemetry::TelemetryReading;

    use super::*;
    use crate::client::testserver;
    use crate::degradation::{Condition, Criterion, FailureMode, SCR_CONVERSION};
    use crate::odometer::{MILES_PER_KM, OdometerFault, OdometerFaultKind};
    use crate::physics::dpf_flow;
    use crate::profile::DutyProfile;
    use crate::sample::{Sig, TIRES};
    use crate::vehicle::is_valid_vin;

    /// 2024-01-08T00:00:00Z, a Monday in winter.
    const WINTER: i64 = 1_704_672_000;
    /// 2024-07-08T00:00:00Z, a Monday in summer.
    const SUMMER: i64 = 1_720_396_800;

    fn cfg(start: i64, days: i64, seed: u64) -> SimConfig {
        SimConfig {
            start,
            end: start + days * 86_400,
            interval_s: 60,
            seed,
        }
    }

    fn sig_by_name(name: &str) -> Option<Sig> {
        Sig::ALL.iter().copied().find(|s| s.name() == name)
    }

    /// Tracks how long the engine has been running, to evaluate warm-up conditions.
    #[derive(Default)]
    struct RunClock {
        prev: Option<(i64, bool)>,
        run_start: i64,
    }

    impl RunClock {
        /// Seconds the engine has been running at `s` (0 when parked).
        fn observe(&mut self, s: &Sample, interval: i64) -> i64 {
            if !s.running {
                self.prev = Some((s.t, false));
                return 0;
            }
            let continues = matches!(self.prev, Some((t, true)) if s.t - t <= interval + 1);
            if !continues {
                self.run_start = s.t - interval;
            }
            self.prev = Some((s.t, true));
            s.t - self.run_start
        }
    }

    /// The key value of `c` in `s`, when `s` meets the criterion's condition.
    fn key_value(c: &Criterion, s: &Sample, running_s: i64, v: &Vehicle) -> Option<f64> {
        let get = |sig| s.get(sig);
        let applies = match c.condition {
            Condition::Any => true,
            Condition::WarmRunning => s.running && running_s >= 1800,
            Condition::WarmIdle => {
                s.running && get(Sig::Speed)? == 0.0 && get(Sig::OilTemp)? >= 85.0
            }
            Condition::Parked => !s.running,
            Condition::ScrWarm => {
                s.running && get(Sig::ScrInlet)? >= 260.0 && get(Sig::NoxUp)? >= 100.0
            }
            Condition::HighwayFlow => {
                let flow = dpf_flow(
                    get(Sig::EngineRpm)?,
                    get(Sig::EngineLoad)?,
                    v.params.rated_rpm,
                );
                s.running && (0.6..=0.8).contains(&flow)
            }
        };
        if !applies {
            return None;
        }
        if c.signal == SCR_CONVERSION {
            return Some(1.0 - get(Sig::NoxDown)? / get(Sig::NoxUp)?);
        }
        if c.signal == "tire_pressure_kpa" {
            let w = v.degradation.map_or(0, |d| d.wheel);
            return Some(get(TIRES[w])? / v.params.tire_nominal_kpa[w]);
        }
        get(sig_by_name(c.signal).expect("criterion names a slot"))
    }

    /// `v` without its odometer fault: the readings with the physical odometer.
    fn physical(v: &Vehicle) -> Vehicle {
        Vehicle {
            odometer_fault: None,
            ..v.clone()
        }
    }

    /// The physical invariants between consecutive readings `p` and `s` of `v`.
    fn check_physical_step(v: &Vehicle, p: &Sample, s: &Sample) {
        assert!(s.t > p.t, "{}: time goes back", v.id);
        assert!(
            s.odometer_km >= p.odometer_km,
            "{}: odometer goes back",
            v.id
        );
        assert!(s.engine_hours >= p.engine_hours, "{}: hours go back", v.id);
        if !s.running && !p.running {
            assert_eq!(
                s.engine_hours, p.engine_hours,
                "{}: hours while parked",
                v.id
            );
            assert_eq!(s.odometer_km, p.odometer_km, "{}: km while parked", v.id);
        }
        if !s.running {
            // Only the tail of the last trip (under one interval) may
            // separate a parked reading from the last running one.
            let tail_h = s.engine_hours - p.engine_hours;
            assert!(
                tail_h <= 60.0 / 3600.0 + 1e-3,
                "{}: hours while parked",
                v.id
            );
        }
    }

    #[test]
    fn readings_are_monotonic_in_range_and_canonical() {
        let cfg = cfg(WINTER, 10, 11);
        let mut fleet = build_fleet(8, &cfg, 0.5);
        assign_odometer_faults(&mut fleet, &cfg, 0.5);
        for v in &fleet {
            let mut sim = VehicleSim::new(v.clone(), cfg);
            // The invariants hold for the physical odometer; the reported one is the
            // physical one unless the vehicle has an odometer fault.
            let mut physical_sim = VehicleSim::new(physical(v), cfg);
            let mut prev: Option<Sample> = None;
            let mut count = 0;
            for reported in sim.by_ref() {
                let s = physical_sim.next().expect("as many physical readings");
                assert_eq!(
                    Sample {
                        odometer_km: s.odometer_km,
                        ..reported.clone()
                    },
                    s,
                    "{}: a fault changes only the odometer",
                    v.id
                );
                if v.odometer_fault.is_none() {
                    assert_eq!(reported.odometer_km, s.odometer_km);
                }
                count += 1;
                assert!(s.t >= cfg.start && s.t < cfg.end);
                if let Some(p) = &prev {
                    check_physical_step(v, p, &s);
                }
                for &sig in Sig::ALL {
                    if let Some(x) = s.get(sig) {
                        let spec = signals::spec(sig.name()).expect("catalog signal");
                        assert!(
                            x >= spec.min && x <= spec.max,
                            "{} {}={x}",
                            v.id,
                            sig.name()
                        );
                    }
                }
                if !v.kind.is_diesel() {
                    assert!(
                        !s.has(Sig::DpfSoot) && !s.has(Sig::NoxUp),
                        "a petrol car has no DPF/SCR"
                    );
                }
                let mut json = Vec::new();
                reported.write_json(&mut json, v, cfg.seed);
                let parsed: TelemetryReading =
                    serde_json::from_slice(&json).expect("canonical JSON");
                assert_eq!(parsed, reported.to_reading(v, cfg.seed));
                assert_eq!(parsed.odometer_km, Some(reported.odometer_km));
                prev = Some(s);
            }
            assert!(physical_sim.next().is_none());
            assert!(count > 50, "{} produced only {count} readings", v.id);
            assert_eq!(sim.clamped(), 0, "{}: a model left the catalog range", v.id);
        }
    }

    #[test]
    fn same_seed_gives_the_same_output_and_another_seed_does_not() {
        let run = |seed| {
            let cfg = cfg(SUMMER, 2, seed);
            let fleet = build_fleet(4, &cfg, 0.5);
            let mut out = Vec::new();
            write_jsonl(&fleet, &cfg, &mut out, false).expect("write");
            (
                out,
                serde_json::to_string(&ground_truth(&fleet, &cfg, 0.5)).expect("truth"),
            )
        };
        let (a, truth_a) = run(7);
        let (b, truth_b) = run(7);
        let (c, _) = run(8);
        assert!(!a.is_empty());
        assert!(a == b, "same seed, different readings");
        assert_eq!(truth_a, truth_b);
        assert!(a != c, "different seeds, same readings");
    }

    #[test]
    fn a_vehicle_does_not_depend_on_the_rest_of_the_fleet() {
        // The HTTP sink splits vehicles over shards; each vehicle must come out the
        // same whatever it is merged with.
        let cfg = cfg(SUMMER, 2, 3);
        let large = build_fleet(12, &cfg, 0.5);
        let small: Vec<Vehicle> = large.iter().skip(4).step_by(3).cloned().collect();
        let of = |fleet: &[Vehicle], index: u32| -> Vec<Sample> {
            Merged::new(fleet.to_vec(), cfg)
                .filter(|s| s.vehicle == index)
                .collect()
        };
        for v in &small {
            let alone = of(&small, v.index);
            assert!(!alone.is_empty());
            assert_eq!(alone, of(&large, v.index), "{}", v.id);
        }
    }

    /// Runs one vehicle with a forced degradation and returns the first time its
    /// criterion is met, and whether trouble codes were active before 70 % progress
    /// and after failure.
    fn first_crossing(
        profile: DutyProfile,
        mode: FailureMode,
        seed: u64,
    ) -> (Vehicle, Option<i64>, bool, bool) {
        let cfg = cfg(WINTER + 14 * 86_400, 24, seed);
        let mut v = Vehicle::generate(seed, 0, profile, 24.0);
        let d = Degradation {
            mode,
            onset: cfg.start + 4 * 86_400,
            failure: cfg.start + 16 * 86_400,
            wheel: 1,
        };
        v.degradation = Some(d);
        let c = mode.criterion();
        let mut clock = RunClock::default();
        let (mut first, mut early_dtc, mut late_dtc) = (None, false, false);
        for s in VehicleSim::new(v.clone(), cfg) {
            let running_s = clock.observe(&s, 60);
            if let Some(x) = key_value(&c, &s, running_s, &v)
                && first.is_none()
                && c.failed(x)
            {
                first = Some(s.t);
            }
            early_dtc |= s.dtcs != 0 && d.progress(s.t) < 0.7;
            late_dtc |= s.dtcs != 0 && s.t > d.failure;
        }
        (v, first, early_dtc, late_dtc)
    }

    #[test]
    fn degraded_key_signals_cross_their_threshold_near_failure_not_before_onset() {
        let cases = [
            (DutyProfile::LongHaul, FailureMode::DpfClogging),
            (DutyProfile::Regional, FailureMode::ScrEfficiencyLoss),
            (DutyProfile::UrbanDelivery, FailureMode::DefDilution),
            (DutyProfile::Regional, FailureMode::OilLeak),
            (DutyProfile::CarCommuter, FailureMode::CoolantOverheat),
            (DutyProfile::LongHaul, FailureMode::ThermostatStuckOpen),
            (DutyProfile::CarCommuter, FailureMode::BrakeWear),
            (DutyProfile::CarCommuter, FailureMode::BatteryAgeing),
            (
                DutyProfile::UrbanDelivery,
                FailureMode::TransmissionOverheat,
            ),
            (DutyProfile::Regional, FailureMode::TireSlowLeak),
        ];
        for (seed, (profile, mode)) in cases.into_iter().enumerate() {
            let (v, first, early_dtc, late_dtc) = first_crossing(profile, mode, 100 + seed as u64);
            let d = v.degradation.expect("forced");
            let span = (d.failure - d.onset) as f64;
            let first =
                first.unwrap_or_else(|| panic!("{mode:?} on {profile:?}: threshold never crossed"));
            let p = (first - d.onset) as f64 / span;
            assert!(
                p >= 0.7,
                "{mode:?} on {profile:?}: crossed at progress {p:.3}, too early"
            );
            assert!(
                first <= d.failure + 3 * 86_400,
                "{mode:?} on {profile:?}: crossed at progress {p:.3}, too late"
            );
            assert!(!early_dtc, "{mode:?}: trouble code long before failure");
            let expects_dtc = !mode.dtc_names(v.kind).is_empty();
            assert_eq!(
                late_dtc, expects_dtc,
                "{mode:?}: trouble codes after failure"
            );
        }
    }

    /// Healthy operating bands: a healthy vehicle never leaves them.
    fn check_healthy(v: &Vehicle, cfg: SimConfig) {
        let mut clock = RunClock::default();
        let mut first_failed_regens = None;
        let criteria: Vec<Criterion> = FailureMode::ALL
            .iter()
            .filter(|m| m.applies_to(v.kind))
            .map(|m| m.criterion())
            .collect();
        let mut sim = VehicleSim::new(v.clone(), cfg);
        for s in sim.by_ref() {
            let running_s = clock.observe(&s, 60);
            let id = &v.id;
            let at = fmt_time(s.t);
            let get = |sig| s.get(sig);
            assert_eq!(s.dtcs, 0, "{id} {at}: trouble code on a healthy vehicle");
            for c in &criteria {
                if c.signal == "tire_pressure_kpa" {
                    continue;
                }
                if let Some(x) = key_value(c, &s, running_s, v) {
                    assert!(
                        !c.failed(x),
                        "{id} {at}: healthy vehicle fails {c:?} with {x}"
                    );
                }
            }
            let coolant = get(Sig::Coolant).expect("coolant");
            assert!(coolant <= 105.0, "{id} {at}: coolant {coolant}");
            if s.running {
                if running_s >= 1800 {
                    assert!(coolant >= 75.0, "{id} {at}: warm coolant {coolant}");
                }
                let trans = get(Sig::TransTemp).expect("trans");
                assert!(trans <= 110.0, "{id} {at}: trans {trans}");
                let volts = get(Sig::Battery).expect("volts");
                assert!(
                    (13.5..=14.7).contains(&volts),
                    "{id} {at}: charging {volts}"
                );
                if get(Sig::Speed) == Some(0.0) && get(Sig::OilTemp).is_some_and(|t| t >= 85.0) {
                    let p = get(Sig::OilPressure).expect("oil pressure");
                    assert!(p >= 140.0, "{id} {at}: warm idle oil pressure {p}");
                }
            } else {
                let volts = get(Sig::Battery).expect("volts");
                assert!(volts >= 12.2, "{id} {at}: rested battery {volts}");
            }
            assert!(
                get(Sig::OilLevel).expect("oil level") >= 60.0,
                "{id} {at}: oil level"
            );
            assert!(get(Sig::BrakePad).expect("pad") >= 5.0, "{id} {at}: pads");
            for (w, sig) in TIRES.into_iter().enumerate() {
                let ratio = get(sig).expect("tire") / v.params.tire_nominal_kpa[w];
                assert!(ratio >= 0.8, "{id} {at}: tire {w} at {ratio:.2} of placard");
            }
            if v.kind.is_diesel() {
                let soot = get(Sig::DpfSoot).expect("soot");
                assert!(soot <= 130.0, "{id} {at}: soot {soot}");
                let regens = get(Sig::DpfFailedRegens).expect("failed regens");
                assert_eq!(
                    *first_failed_regens.get_or_insert(regens),
                    regens,
                    "{id} {at}: failed regen"
                );
                let def = get(Sig::DefQuality).expect("def");
                assert!((31.5..=33.5).contains(&def), "{id} {at}: DEF {def}");
                if let Some(dp) = get(Sig::DpfDiff) {
                    assert!(dp <= 18.0, "{id} {at}: DPF dp {dp}");
                }
                let scr = Criterion {
                    threshold: 0.85,
                    ..FailureMode::ScrEfficiencyLoss.criterion()
                };
                if let Some(x) = key_value(&scr, &s, running_s, v) {
                    assert!(!scr.failed(x), "{id} {at}: healthy SCR conversion {x}");
                }
            }
        }
        assert_eq!(sim.clamped(), 0);
    }

    #[test]
    fn healthy_vehicles_stay_within_healthy_bands_in_winter_and_summer() {
        for (start, seed) in [(WINTER, 21), (SUMMER, 22)] {
            let cfg = cfg(start, 21, seed);
            for v in build_fleet(10, &cfg, 0.0) {
                check_healthy(&v, cfg);
            }
        }
    }

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

    #[tokio::test]
    async fn posting_sends_every_reading_once_in_vehicle_order() {
        let server = testserver::start(vec![(
            200,
            "",
            r#"{"accepted":1,"duplicates":0,"rejected":0,"results":[]}"#,
        )])
        .await;
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

    #[test]
    fn a_failing_output_is_an_error_not_a_hang() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let cfg = cfg(SUMMER, 3, 1);
        let fleet = build_fleet(20, &cfg, 0.0);
        let err = write_jsonl(&fleet, &cfg, &mut Broken, false).expect_err("must fail");
        assert!(format!("{err:#}").contains("disk full"), "{err:#}");
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

    /// One vehicle with a fault of `kind` (drawn as a run would), its readings with
    /// the physical and the reported odometer, and the index of the switch reading.
    fn faulted_run(
        kind: OdometerFaultKind,
        seed: u64,
    ) -> (Vehicle, SimConfig, Vec<Sample>, Vec<Sample>, usize) {
        let cfg = cfg(SUMMER, 6, seed);
        let mut v = Vehicle::generate(seed, 0, DutyProfile::Regional, 6.0);
        let mut rng = SmallRng::seed_from_u64(seed);
        v.odometer_fault = Some(OdometerFault::draw(&mut rng, kind, cfg.start, cfg.end));
        let at = v.odometer_fault.expect("fault").at;
        let physical: Vec<Sample> = VehicleSim::new(physical(&v), cfg).collect();
        let reported: Vec<Sample> = VehicleSim::new(v.clone(), cfg).collect();
        assert_eq!(physical.len(), reported.len());
        let switch = reported.iter().position(|s| s.t >= at).expect("a switch");
        assert!(switch > 0, "history before the switch");
        for (p, r) in physical.iter().zip(&reported).take(switch) {
            assert_eq!(p, r, "{kind:?}: a reading before the switch changed");
        }
        (v, cfg, physical, reported, switch)
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn each_odometer_fault_reports_as_its_kind_says() {
        for (seed, kind) in (40..).zip(OdometerFaultKind::ALL) {
            let (v, _, physical, reported, k) = faulted_run(kind, seed);
            let (p0, r0) = (physical[k].odometer_km, reported[k].odometer_km);
            let after = physical.iter().zip(&reported).skip(k);
            match kind {
                OdometerFaultKind::Reset => {
                    assert!((0.0..=50.0).contains(&r0) && p0 > 1000.0, "{r0}");
                    for (p, r) in after {
                        let (dp, dr) = (p.odometer_km - p0, r.odometer_km - r0);
                        assert!(close(dp, dr, 0.011), "grows with distance: {dp} {dr}");
                    }
                }
                OdometerFaultKind::UnitSwitch => {
                    for (p, r) in after {
                        let miles = p.odometer_km * MILES_PER_KM;
                        assert!(close(r.odometer_km, miles, 0.006), "{r:?}");
                    }
                }
                OdometerFaultKind::Rollback => {
                    let back = p0 - r0;
                    assert!(back >= 0.25 * p0 - 0.01 && back <= 0.6 * p0 + 0.01);
                    for (p, r) in after {
                        assert!(close(p.odometer_km - r.odometer_km, back, 0.011));
                    }
                }
                OdometerFaultKind::Spike => {
                    let spike = v.odometer_fault.expect("fault").spike;
                    assert_eq!(r0, (spike.apply(p0) * 100.0).round() / 100.0);
                    assert_ne!(r0, p0);
                    let off = physical.iter().zip(&reported).filter(|(p, r)| p != r);
                    assert_eq!(off.count(), 1, "exactly one reading off");
                }
            }
        }
    }

    #[test]
    fn odometer_truth_matches_the_emitted_readings() {
        for (seed, kind) in (60..).zip(OdometerFaultKind::ALL) {
            let (v, cfg, physical, reported, k) = faulted_run(kind, seed);
            let truth = ground_truth(std::slice::from_ref(&v), &cfg, 0.0);
            let t = truth.vehicles[0].odometer_fault.clone().expect("truth");
            assert_eq!(t.kind, kind);
            assert_eq!(t.at, reported[k].recorded_at());
            assert_eq!(t.true_km_at, physical[k].odometer_km);
            assert_eq!(t.reported_at_km, reported[k].odometer_km);
            assert_eq!(t.reported_before_km, Some(reported[k - 1].odometer_km));
            assert!(!t.note.is_empty());
            // What the file carries is what the truth says.
            let mut out = Vec::new();
            write_jsonl(std::slice::from_ref(&v), &cfg, &mut out, false).expect("write");
            let line = std::str::from_utf8(&out)
                .expect("utf8")
                .lines()
                .nth(k)
                .expect("switch line");
            let r: TelemetryReading = serde_json::from_str(line).expect("reading");
            assert_eq!(r.recorded_at, t.at);
            assert_eq!(r.odometer_km, Some(t.reported_at_km));
            let json = serde_json::to_value(&truth).expect("json");
            assert_eq!(json["vehicles"][0]["odometer_fault"]["kind"], kind.as_str());
        }
    }

    #[test]
    fn a_zero_fraction_leaves_fleet_readings_and_truth_as_build_fleet_makes_them() {
        let cfg = cfg(SUMMER, 3, 5);
        let fleet = build_fleet(6, &cfg, 0.3);
        let mut assigned = fleet.clone();
        assign_odometer_faults(&mut assigned, &cfg, 0.0);
        assert_eq!(assigned, fleet);
        assert!(assigned.iter().all(|v| v.odometer_fault.is_none()));
        let jsonl = |f: &[Vehicle]| {
            let mut out = Vec::new();
            write_jsonl(f, &cfg, &mut out, false).expect("write");
            out
        };
        assert!(jsonl(&assigned) == jsonl(&fleet));
        let truth = serde_json::to_string(&ground_truth(&assigned, &cfg, 0.3)).expect("truth");
        assert!(
            !truth.contains("odometer_fault"),
            "no new keys without faults"
        );
        let vehicle = serde_json::to_string(&assigned[0]).expect("vehicle");
        assert!(!vehicle.contains("odometer_fault"));
    }

    #[test]
    fn assigned_faults_cycle_kinds_and_leave_degradations_alone() {
        let cfg = cfg(SUMMER, 10, 8);
        let fleet = build_fleet(10, &cfg, 0.5);
        let mut faulted = fleet.clone();
        assign_odometer_faults(&mut faulted, &cfg, 0.4);
        let kinds: std::collections::HashSet<_> = faulted
            .iter()
            .filter_map(|v| v.odometer_fault.map(|f| f.kind))
            .collect();
        assert_eq!(kinds.len(), 4, "4 faulted vehicles have every kind");
        for (a, b) in fleet.iter().zip(&faulted) {
            assert_eq!(a, &physical(b), "only the odometer fault is new");
            if let Some(f) = b.odometer_fault {
                let share = (f.at - cfg.start) as f64 / (cfg.end - cfg.start) as f64;
                assert!((0.3..=0.8).contains(&share), "{share}");
            }
        }
        let mut all = fleet.clone();
        assign_odometer_faults(&mut all, &cfg, 1.0);
        let resets = all
            .iter()
            .filter(|v| v.odometer_fault.map(|f| f.kind) == Some(OdometerFaultKind::Reset))
            .count();
        assert_eq!(resets, 3, "10 faults cycle through 4 kinds");
        assert!(all.iter().filter(|v| v.degradation.is_some()).count() == 5);
    }
}
