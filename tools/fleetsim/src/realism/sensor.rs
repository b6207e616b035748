//! Sensor faults: a reading is wrong while the component is fine. They change only
//! what the vehicle reports, after the physics, so the truth lists them apart from
//! component faults.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use serde::Serialize;

use super::params::RealismParams;
use crate::sample::{Sample, Sig};

/// What goes wrong with the sensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SensorFaultKind {
    /// The value freezes at its first reading of the window.
    Stuck,
    /// An offset grows by `param` signal units per day.
    Drift,
    /// The signal is missing from the readings.
    Dropout,
    /// A noisy CAN bus: CAN drop rate up by `param` %, and the signal gets normal
    /// noise of its scale times `param / 5`.
    NoisyCan,
    /// One gateway sends the signal in another unit: psi for kPa, °F for °C.
    WrongUnits,
}

/// One sensor fault.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SensorFault {
    /// The signal (catalog name in the truth).
    #[serde(serialize_with = "sig_name")]
    pub signal: Sig,
    /// What goes wrong.
    pub kind: SensorFaultKind,
    /// Start, Unix seconds.
    pub from: i64,
    /// End (exclusive), Unix seconds.
    pub to: i64,
    /// Drift per day, or CAN drop increase (see [`SensorFaultKind`]); 0 otherwise.
    pub param: f64,
    /// Seed of the noise.
    #[serde(skip)]
    pub seed: u64,
}

fn sig_name<S: serde::Serializer>(sig: &Sig, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(sig.name())
}

/// Signals that can get a sensor fault, with their typical scale (drift and noise
/// are multiples of it) and whether a wrong gateway unit is psi (else °F).
const CANDIDATES: [(Sig, f64, bool, bool); 8] = [
    // (signal, scale, pressure in kPa, diesel only)
    (Sig::Coolant, 5.0, false, false),
    (Sig::OilPressure, 20.0, true, false),
    (Sig::Battery, 0.3, false, false),
    (Sig::TransTemp, 5.0, false, false),
    (Sig::BrakePad, 1.0, false, false),
    (Sig::TireFl, 30.0, true, false),
    (Sig::DpfDiff, 2.0, true, true),
    (Sig::DefQuality, 1.0, false, true),
];

const KINDS: [SensorFaultKind; 5] = [
    SensorFaultKind::Stuck,
    SensorFaultKind::Drift,
    SensorFaultKind::Dropout,
    SensorFaultKind::NoisyCan,
    SensorFaultKind::WrongUnits,
];

fn candidate(sig: Sig) -> (f64, bool) {
    CANDIDATES
        .iter()
        .find(|c| c.0 == sig)
        .map_or((1.0, false), |c| (c.1, c.2))
}

impl SensorFault {
    /// Draws a sensor fault for a (diesel or not) vehicle in a run from `start` to
    /// `end`.
    pub fn draw(
        rng: &mut SmallRng,
        diesel: bool,
        p: &RealismParams,
        (start, end): (i64, i64),
    ) -> Self {
        let signals: Vec<_> = CANDIDATES.iter().filter(|c| diesel || !c.3).collect();
        let (signal, scale, _, _) = *signals[rng.random_range(0..signals.len())];
        let kind = KINDS[rng.random_range(0..KINDS.len())];
        let days = rng.random_range(p.sensor_fault_days[0]..p.sensor_fault_days[1]);
        let span = (end - start) as f64;
        let from = start + (span * rng.random_range(0.05..0.9)) as i64;
        let param = match kind {
            SensorFaultKind::Drift => {
                let sign = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
                sign * scale * rng.random_range(0.05..0.3)
            }
            SensorFaultKind::NoisyCan => rng.random_range(2.0..8.0),
            _ => 0.0,
        };
        Self {
            signal,
            kind,
            from,
            to: from + (days * 86_400.0) as i64,
            param,
            seed: rng.random(),
        }
    }
}

/// Applies a vehicle's sensor faults to its readings, in time order.
#[derive(Debug, Clone)]
pub struct SensorInjector {
    faults: Vec<(SensorFault, Option<f64>)>,
    rng: SmallRng,
}

impl SensorInjector {
    /// The injector of `faults`.
    pub fn new(faults: &[SensorFault]) -> Self {
        let seed = faults.iter().fold(0, |a: u64, f| a.rotate_left(7) ^ f.seed);
        Self {
            faults: faults.iter().map(|f| (*f, None)).collect(),
            rng: SmallRng::seed_from_u64(seed),
        }
    }

    /// Corrupts `s` as the faults active at its time say.
    pub fn apply(&mut self, s: &mut Sample) {
        for (f, stuck) in &mut self.faults {
            if !(f.from..f.to).contains(&s.t) {
                continue;
            }
            let Some(v) = s.get(f.signal) else { continue };
            let (scale, pressure) = candidate(f.signal);
            match f.kind {
                SensorFaultKind::Stuck => {
                    let held = *stuck.get_or_insert(v);
                    s.set(f.signal, held);
                }
                SensorFaultKind::Drift => {
                    let days = (s.t - f.from) as f64 / 86_400.0;
                    s.set(f.signal, v + f.param * days);
                }
                SensorFaultKind::Dropout => s.present &= !(1 << f.signal as usize),
                SensorFaultKind::NoisyCan => {
                    let z: f64 = self.rng.sample(StandardNormal);
                    s.set(f.signal, v + z * scale * f.param / 5.0);
                    if let Some(drop) = s.get(Sig::CanDrop) {
                        s.set(Sig::CanDrop, drop + f.param);
                    }
                }
                SensorFaultKind::WrongUnits => {
                    let wrong = if pressure {
                        v / 6.894_757
                    } else {
                        v * 1.8 + 32.0
                    };
                    s.set(f.signal, wrong);
                }
            }
        }
    }
}
