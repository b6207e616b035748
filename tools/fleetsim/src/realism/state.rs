//! The realistic faults while a vehicle is simulated: wear accrued from use (or
//! calendar time), failures as they happen, repairs and services, and the log the
//! truth file is written from.

use serde::Serialize;

use super::fault::{Fault, UsageWeights, typical_day_usage, usage_weights};
use super::vehicle::Realism;
use crate::degradation::{Component, Effects, FailureMode};
use crate::profile::{DutyProfile, VehicleKind};
use crate::vehicle::mix;

/// One running step's use, as wear sees it.
#[derive(Debug, Clone, Copy)]
pub struct UseStep {
    /// Seconds of running.
    pub dt_s: f64,
    /// Distance, km.
    pub km: f64,
    /// Engine load, %.
    pub load: f64,
    /// Whether the vehicle stood (idling).
    pub idle: bool,
    /// Ambient, °C.
    pub amb: f64,
}

/// A fault while it is simulated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultState {
    /// The fault.
    pub fault: Fault,
    /// Wear, fraction of the wear to failure.
    pub wear: f64,
    /// Usage units of the wear to failure.
    usage_to_failure: f64,
    weights: UsageWeights,
    /// Whether the onset has passed (its snapshot taken).
    pub started: bool,
    /// When the wear reached 1: the physical limit crossed.
    pub failed_at: Option<i64>,
    /// When it was repaired (it stays healthy afterwards).
    pub repaired_at: Option<i64>,
}

/// A service or repair that happened.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ServiceEvent {
    /// When, Unix seconds.
    pub at: i64,
    /// The component reset.
    pub component: Component,
    /// `corrective_repair` (after a failure), `preventive_repair` (a fault found at
    /// a service) or `routine_service` (oil change, pad replacement).
    pub kind: &'static str,
    /// The fault repaired, if one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<FailureMode>,
}

/// What changed at an instant: faults repaired and whether a routine service was
/// done (the physics resets the components).
#[derive(Debug, Default)]
pub struct Maintenance {
    /// Modes whose faults were repaired.
    pub repaired: Vec<FailureMode>,
    /// A routine service happened.
    pub service: bool,
}

/// Repairs `f` at `t`, noting it in `m` and `log`.
fn repair(
    f: &mut FaultState,
    t: i64,
    kind: &'static str,
    m: &mut Maintenance,
    log: &mut Vec<ServiceEvent>,
) {
    f.repaired_at = Some(t);
    m.repaired.push(f.fault.mode);
    log.push(ServiceEvent {
        at: t,
        component: f.fault.mode.component(),
        kind,
        mode: Some(f.fault.mode),
    });
}

/// All realistic faults of one vehicle.
#[derive(Debug, Clone, PartialEq)]
pub struct RealState {
    /// The faults.
    pub faults: Vec<FaultState>,
    usage: bool,
    repairs: bool,
    services: Vec<i64>,
    next_service: usize,
    inspection_wear: f64,
    find_probability: f64,
    service_seed: u64,
    last_t: i64,
    /// Services and repairs done so far.
    pub log: Vec<ServiceEvent>,
}

impl RealState {
    /// The state of `r` on a vehicle of `profile`, starting at `start`.
    pub fn new(r: &Realism, profile: DutyProfile, start: i64) -> Self {
        let faults = r
            .faults
            .iter()
            .map(|f| {
                let weights = usage_weights(f.mode);
                FaultState {
                    fault: *f,
                    wear: f.wear_at_start,
                    usage_to_failure: typical_day_usage(profile, &weights) * f.span_days,
                    weights,
                    started: false,
                    failed_at: None,
                    repaired_at: None,
                }
            })
            .collect();
        Self {
            faults,
            usage: r.usage,
            repairs: r.repairs,
            services: r.services.clone(),
            next_service: 0,
            inspection_wear: r.inspection_wear,
            find_probability: r.inspection_find_probability,
            service_seed: r.service_seed,
            last_t: start,
            log: Vec::new(),
        }
    }

    /// Brings calendar wear to `t` and returns the effects; `started` gets the modes
    /// whose onset passed now (the physics snapshots their state).
    pub fn effects(&mut self, t: i64, started: &mut Vec<(FailureMode, usize)>) -> Effects {
        let mut e = Effects::default();
        for f in &mut self.faults {
            if f.repaired_at.is_some() || t <= f.fault.onset {
                continue;
            }
            if !self.usage {
                // The default profile's progress, computed the same way.
                let span = (f.fault.span_days * 86_400.0).round().max(1.0);
                f.wear = (t - f.fault.onset) as f64 / span;
                let failure = f.fault.onset + span as i64;
                if t >= failure && f.failed_at.is_none() {
                    f.failed_at = Some(failure);
                }
            }
            if !f.started {
                f.started = true;
                started.push((f.fault.mode, f.fault.wheel));
            }
            *e.slot(f.fault.mode) = f.fault.law.severity(f.wear);
        }
        e
    }

    /// Accrues the use since the last call: `step` of running (none for a parked
    /// heartbeat), the rest of the gap parked.
    pub fn accrue(&mut self, t: i64, step: Option<UseStep>, amb: f64) {
        let gap = (t - self.last_t).max(0) as f64;
        self.last_t = t;
        if !self.usage {
            return;
        }
        let running_s = step.map_or(0.0, |s| s.dt_s);
        let parked_days = (gap - running_s).max(0.0) / 86_400.0;
        for f in &mut self.faults {
            if !f.started || f.repaired_at.is_some() {
                continue;
            }
            let w = f.weights;
            let mut u = w.parked_day * parked_days;
            if let Some(s) = step {
                let hours = s.dt_s / 3600.0;
                u += w.km * s.km + w.loaded_hour * hours * (0.4 + 0.02 * s.load);
                if s.idle {
                    u += w.idle_hour * hours;
                }
            }
            let climate =
                1.0 + w.heat_per_c * (amb - 25.0).max(0.0) + w.cold_per_c * (-amb).max(0.0);
            f.wear += u * climate / f.usage_to_failure;
            if f.wear >= 1.0 && f.failed_at.is_none() {
                f.failed_at = Some(t);
            }
        }
    }

    /// Repairs and services due at `t`.
    pub fn maintain(&mut self, t: i64) -> Maintenance {
        let mut m = Maintenance::default();
        if !self.repairs {
            return m;
        }
        for f in &mut self.faults {
            let due = f
                .failed_at
                .map(|at| at + (f.fault.repair_delay_days * 86_400.0) as i64);
            if f.repaired_at.is_none() && due.is_some_and(|d| t >= d) {
                repair(f, t, "corrective_repair", &mut m, &mut self.log);
            }
        }
        while self
            .services
            .get(self.next_service)
            .is_some_and(|s| *s <= t)
        {
            let k = self.next_service as u64;
            self.next_service += 1;
            m.service = true;
            for (i, f) in self.faults.iter_mut().enumerate() {
                // Whether the mechanic notices is a fixed coin per (service, fault).
                let roll = mix(self.service_seed, k, i as u64) as f64 / u64::MAX as f64;
                if f.started
                    && f.repaired_at.is_none()
                    && f.wear >= self.inspection_wear
                    && roll < self.find_probability
                {
                    repair(f, t, "preventive_repair", &mut m, &mut self.log);
                }
            }
        }
        m
    }

    /// Logs a routine reset of `component` at `t`.
    pub fn log_service(&mut self, t: i64, component: Component) {
        self.log.push(ServiceEvent {
            at: t,
            component,
            kind: "routine_service",
            mode: None,
        });
    }

    /// Active trouble codes at the current wear.
    pub fn dtc_mask(&self, kind: VehicleKind) -> u16 {
        self.faults
            .iter()
            .filter(|f| f.started && f.repaired_at.is_none())
            .fold(0, |m, f| m | f.fault.mode.dtc_mask_at(f.wear, kind))
    }

    /// The leaking wheel of an active tire leak.
    pub fn leak_wheel(&self) -> Option<usize> {
        self.faults
            .iter()
            .find(|f| f.fault.mode == FailureMode::TireSlowLeak && f.repaired_at.is_none())
            .map(|f| f.fault.wheel)
    }
}
