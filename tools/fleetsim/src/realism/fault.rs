//! A realistic component fault: its law, its onset, and how much *use* it takes to
//! go from onset to failure.
//!
//! Wear accrues with use, weighted per mode (km, engine hours scaled by load, idling
//! hours, parked days, heat or cold): brakes wear with km, a DPF clogs on idling and
//! cold short trips, a cooling or transmission fault grows with hot, loaded running,
//! a battery ages parked and in the cold. A *usage unit* is one typical day of the
//! vehicle's profile, so `span_days` is the onset→failure span at typical use; a
//! truck that stands in the yard barely moves towards failure.

use rand::Rng;
use rand::rngs::SmallRng;
use rand_distr::{Distribution, LogNormal};
use serde::Serialize;

use super::law::Law;
use super::params::RealismParams;
use crate::degradation::{Degradation, FailureMode};
use crate::profile::DutyProfile;

/// Per-mode weights of use (see the module doc); shares of a typical day's wear.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsageWeights {
    /// Per km driven.
    pub km: f64,
    /// Per running hour at the fleet's typical load (scaled by load / 30 %).
    pub loaded_hour: f64,
    /// Per hour idling (engine on, standing).
    pub idle_hour: f64,
    /// Per parked day.
    pub parked_day: f64,
    /// Extra wear per °C of ambient above 25 °C (heat-driven modes).
    pub heat_per_c: f64,
    /// Extra wear per °C of ambient below 0 °C (cold-driven modes).
    pub cold_per_c: f64,
}

const fn w(km: f64, loaded_hour: f64, idle_hour: f64, parked_day: f64) -> UsageWeights {
    UsageWeights {
        km,
        loaded_hour,
        idle_hour,
        parked_day,
        heat_per_c: 0.0,
        cold_per_c: 0.0,
    }
}

/// Which use a mode's wear follows (relative weights; the scale is set per profile
/// by [`typical_day_usage`]).
pub const fn usage_weights(mode: FailureMode) -> UsageWeights {
    match mode {
        FailureMode::DpfClogging => w(0.2, 0.5, 3.0, 0.0),
        FailureMode::ScrEfficiencyLoss => UsageWeights {
            heat_per_c: 0.03,
            ..w(0.0, 1.0, 0.3, 0.0)
        },
        FailureMode::DefDilution => w(0.0, 1.0, 1.0, 0.3),
        FailureMode::OilLeak => w(0.0, 1.0, 0.5, 0.1),
        FailureMode::CoolantOverheat | FailureMode::TransmissionOverheat => UsageWeights {
            heat_per_c: 0.05,
            ..w(0.0, 1.0, 0.2, 0.0)
        },
        FailureMode::ThermostatStuckOpen => w(0.0, 1.0, 0.5, 0.05),
        FailureMode::BrakeWear => w(1.0, 0.0, 0.0, 0.0),
        FailureMode::BatteryAgeing => UsageWeights {
            cold_per_c: 0.04,
            heat_per_c: 0.02,
            ..w(0.0, 0.3, 0.3, 1.0)
        },
        FailureMode::TireSlowLeak => w(0.5, 0.0, 0.0, 1.0),
    }
}

/// Usage of one typical day of `profile` under `weights` (ambient 20 °C, load 30 %):
/// the unit wear is measured in.
pub fn typical_day_usage(profile: DutyProfile, weights: &UsageWeights) -> f64 {
    let km = profile.km_per_day();
    let avg_speed = match profile {
        DutyProfile::LongHaul => 70.0,
        DutyProfile::Regional => 50.0,
        DutyProfile::UrbanDelivery => 20.0,
        DutyProfile::CarCommuter => 38.0,
    };
    let running_h = km / avg_speed;
    let idle_h = running_h * 0.15;
    let parked_days = 1.0 - running_h / 24.0;
    weights.km * km
        + weights.loaded_hour * running_h
        + weights.idle_hour * idle_h
        + weights.parked_day * parked_days
}

/// One realistic fault.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Fault {
    /// The mode.
    pub mode: FailureMode,
    /// How severity follows wear.
    pub law: Law,
    /// Onset, Unix seconds (before the run's start for a pre-degraded fault; then
    /// estimated from the entry wear at typical use).
    pub onset: i64,
    /// Wear at the run's start (0 unless pre-degraded).
    pub wear_at_start: f64,
    /// Onset→failure span at typical use, days.
    pub span_days: f64,
    /// Leaking wheel of a tire leak (0 FL, 1 FR, 2 RL, 3 RR).
    pub wheel: usize,
    /// Days from failure to its corrective repair (drawn when repairs are on).
    pub repair_delay_days: f64,
}

impl Fault {
    /// The fault of the default profile's `d`, unchanged in law, onset and span.
    pub fn from_degradation(d: &Degradation) -> Self {
        Self {
            mode: d.mode,
            law: Law::ModeCurve { mode: d.mode },
            onset: d.onset,
            wear_at_start: 0.0,
            span_days: (d.failure - d.onset).max(1) as f64 / 86_400.0,
            wheel: d.wheel,
            repair_delay_days: 0.0,
        }
    }

    /// Draws law, span and onset of a fault of `mode` in a run from `start` to `end`.
    pub fn draw(
        rng: &mut SmallRng,
        mode: FailureMode,
        p: &RealismParams,
        (start, end): (i64, i64),
    ) -> Self {
        let law = Law::draw(rng, p);
        let (lo, hi) = mode.duration_days();
        let median = (lo * hi).sqrt() * p.span_median_factor;
        let span_days = LogNormal::new(median.ln(), p.span_log_sd)
            .map_or(median, |d| d.sample(rng))
            .max(0.5);
        let [a, b] = p.onset_window;
        let onset = start + ((end - start) as f64 * rng.random_range(a..b)) as i64;
        Self {
            mode,
            law,
            onset,
            wear_at_start: 0.0,
            span_days,
            wheel: rng.random_range(0..4),
            repair_delay_days: 0.0,
        }
    }

    /// Makes the fault one that started before `start`, with `wear` already accrued.
    pub fn pre_degrade(&mut self, start: i64, wear: f64) {
        self.wear_at_start = wear;
        self.onset = start - (wear * self.span_days * 86_400.0) as i64;
    }
}
