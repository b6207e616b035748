//! The readings of vehicles: one vehicle's in time order ([`VehicleSim`]), and several
//! vehicles' merged into one time-ordered stream ([`Merged`]).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::SimConfig;
use crate::odometer::{OdometerFaultTruth, OdometerInjector};
use crate::physics::Physics;
use crate::profile::{Drive, Segment};
use crate::realism::{RealState, SensorInjector};
use crate::sample::Sample;
use crate::vehicle::{Vehicle, mix};
use shared_schemas::telemetry::TelemetryReading;

/// Mean spacing of parked heartbeats, seconds (jittered ±30 min).
const HEARTBEAT_S: i64 = 4 * 3600;

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
    /// The vehicle's sensor faults (realistic profile), applied likewise.
    sensors: Option<SensorInjector>,
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
        let sensors = vehicle
            .realism
            .as_ref()
            .filter(|r| !r.sensor_faults.is_empty())
            .map(|r| SensorInjector::new(&r.sensor_faults));
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
            sensors,
        }
    }

    /// The simulated vehicle.
    pub fn vehicle(&self) -> &Vehicle {
        &self.vehicle
    }

    /// The realistic faults, services and repairs so far.
    pub fn real_state(&self) -> Option<&RealState> {
        self.phys.real_state()
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
            let Some(seg) = self.on_road(seg) else {
                continue;
            };
            self.parked_until(seg.start);
            self.run_segment(&seg);
            self.not_before = seg.end + 120;
        }
        self.day += 1;
        let next_midnight = midnight + 86_400;
        self.parked_until(next_midnight.max(self.not_before).min(self.cfg.end));
    }

    /// `seg` as far as the vehicle is on the road: none of it while off the road, and
    /// a trip under way when the vehicle breaks down ends there.
    fn on_road(&self, mut seg: Segment) -> Option<Segment> {
        let Some((from, to)) = self.vehicle.off_road else {
            return Some(seg);
        };
        if seg.start >= from && seg.start < to {
            return None;
        }
        if seg.start < from && seg.end > from {
            seg.end = from;
        }
        Some(seg)
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
                if let Some(sensors) = &mut self.sensors {
                    sensors.apply(&mut s);
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

    /// The next `n` readings (fewer when the simulation ends) as canonical readings,
    /// their ids derived from `seed`.
    pub fn take_readings(&mut self, n: usize, seed: u64) -> Vec<TelemetryReading> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let Some((sample, slot)) = self.next_with_slot() else {
                break;
            };
            out.push(sample.to_reading(self.slot_vehicle(slot), seed));
        }
        out
    }
}

impl Iterator for Merged {
    type Item = Sample;

    fn next(&mut self) -> Option<Sample> {
        self.next_with_slot().map(|(s, _)| s)
    }
}

#[cfg(test)]
mod tests;
