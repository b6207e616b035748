//! Injected odometer faults and their ground truth.
//!
//! Real fleets report implausible odometers: an instrument cluster or ECU is replaced
//! and the odometer restarts low, a device starts sending miles labelled as
//! kilometres, an odometer is rolled back (fraud), or one reading is corrupt. The
//! health service's plausibility tracker must notice each of these without letting it
//! distort the distance rate, so the simulator can inject them with a known truth.
//!
//! Only the *reported* odometer changes: the physical one (which drives wear, DPF
//! soot and everything else) and engine hours are untouched. [`VehicleSim`] applies
//! the fault to each reading it emits through an [`OdometerInjector`], so the JSON
//! lines file, the HTTP sink and [`Sample::to_reading`] all carry the reported value.
//! Every simulated reading reports an odometer, so every reading from the switch on
//! is affected (the spike: only the switch reading).
//!
//! Faults are drawn from their own random stream ([`assign_odometer_faults`]), so a
//! run without them is identical to one made before they existed.
//!
//! [`Sample::to_reading`]: crate::sample::Sample::to_reading

use chrono::{DateTime, Utc};
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::sample::Sample;
use crate::simulate::{SimConfig, VehicleSim};
use crate::vehicle::{Vehicle, mix};

/// Miles per kilometre: a device that sends miles labelled as kilometres reports the
/// true distance times this.
pub const MILES_PER_KM: f64 = 0.621_371;

/// What a spike of [`SpikeValue::PlusKm`] adds, km.
pub const SPIKE_PLUS_KM: f64 = 1_000_000.0;

/// Random stream tag of odometer faults (`"odom"`), independent of every other stream.
const STREAM_TAG: u64 = 0x6f64_6f6d;

/// The kind of an odometer fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OdometerFaultKind {
    /// Instrument cluster or ECU replaced: the odometer restarts near zero and then
    /// counts the distance driven.
    Reset,
    /// Miles sent as kilometres from the switch on.
    UnitSwitch,
    /// Odometer wound back (fraud): a constant amount less from the switch on.
    Rollback,
    /// One corrupt reading; the readings before and after are normal.
    Spike,
}

impl OdometerFaultKind {
    /// Every kind, in the order [`assign_odometer_faults`] cycles through them.
    pub const ALL: [Self; 4] = [Self::Reset, Self::UnitSwitch, Self::Rollback, Self::Spike];

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Reset => "reset",
            Self::UnitSwitch => "unit_switch",
            Self::Rollback => "rollback",
            Self::Spike => "spike",
        }
    }
}

/// The corrupt value of a spike.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpikeValue {
    /// The true value times this factor (0 is a zero reading).
    Times(f64),
    /// The true value plus this many km.
    PlusKm(f64),
}

impl SpikeValue {
    /// The corrupt reading of a true odometer of `true_km`.
    pub fn apply(self, true_km: f64) -> f64 {
        match self {
            Self::Times(f) => true_km * f,
            Self::PlusKm(km) => true_km + km,
        }
    }
}

/// One injected odometer fault.
///
/// Every parameter is drawn for every kind (so the random stream does not depend on
/// the kinds); each kind uses only its own.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OdometerFault {
    /// The kind.
    pub kind: OdometerFaultKind,
    /// Unix seconds; the first reading at or after it is the switch reading.
    pub at: i64,
    /// [`OdometerFaultKind::Reset`]: what the new cluster reads at the switch reading,
    /// km (0–50, to the hundredth).
    pub reset_start_km: f64,
    /// [`OdometerFaultKind::Rollback`]: share of the true odometer at the switch
    /// reading that is wound back (0.25–0.60).
    pub rollback_share: f64,
    /// [`OdometerFaultKind::Spike`]: the corruption of the one bad reading.
    pub spike: SpikeValue,
}

impl OdometerFault {
    /// Draws a fault of `kind` for a run from `start` to `end` (Unix seconds).
    ///
    /// `at` falls between 30 % and 80 % of the run so detectors see history on both
    /// sides of it.
    pub fn draw(rng: &mut SmallRng, kind: OdometerFaultKind, start: i64, end: i64) -> Self {
        let span = (end - start) as f64;
        let at = start + (span * rng.random_range(0.3..=0.8)) as i64;
        let reset_start_km = round_km(rng.random_range(0.0..=50.0));
        // A rollback to about 62 % of the odometer looks exactly like a device switching
        // to miles; the draw skips 36–41 % so each fault is one thing.
        let share = rng.random_range(0.25..=0.55);
        let rollback_share = if share >= 0.36 { share + 0.05 } else { share };
        // Spikes stay within what ingestion accepts (odometers up to 5,000,000 km).
        let spike = match rng.random_range(0..4_u8) {
            0 => SpikeValue::Times(0.0),
            1 => SpikeValue::Times(3.0),
            2 => SpikeValue::Times(0.1),
            _ => SpikeValue::PlusKm(SPIKE_PLUS_KM),
        };
        Self {
            kind,
            at,
            reset_start_km,
            rollback_share,
            spike,
        }
    }
}

/// Gives `round(n × fraction)` vehicles of `fleet`, chosen at random, one odometer
/// fault each.
///
/// The kinds cycle Reset, UnitSwitch, Rollback, Spike in the order the vehicles are
/// chosen, so any four faulted vehicles cover every kind. The choice uses a random
/// stream of its own: it neither disturbs nor excludes component degradations, and a
/// fraction of 0 leaves the fleet exactly as [`crate::simulate::build_fleet`] made it.
pub fn assign_odometer_faults(fleet: &mut [Vehicle], cfg: &SimConfig, fraction: f64) {
    let k = (fleet.len() as f64 * fraction.clamp(0.0, 1.0)).round() as usize;
    if k == 0 {
        return;
    }
    let mut rng = SmallRng::seed_from_u64(mix(cfg.seed, STREAM_TAG, 0));
    let mut order: Vec<usize> = (0..fleet.len()).collect();
    order.shuffle(&mut rng);
    for (n, &i) in order.iter().take(k).enumerate() {
        let kind = OdometerFaultKind::ALL[n % OdometerFaultKind::ALL.len()];
        fleet[i].odometer_fault = Some(OdometerFault::draw(&mut rng, kind, cfg.start, cfg.end));
    }
}

/// Truth of one injected odometer fault, as the readings actually showed it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OdometerFaultTruth {
    /// The kind.
    pub kind: OdometerFaultKind,
    /// When the switch reading was recorded (the first reading at or after the
    /// fault's instant).
    pub at: DateTime<Utc>,
    /// The physical odometer at the switch reading, km.
    pub true_km_at: f64,
    /// The reported odometer of the last reading before the switch, km (`null` when
    /// the run has no reading before it).
    pub reported_before_km: Option<f64>,
    /// The reported odometer of the switch reading, km.
    pub reported_at_km: f64,
    /// What happened, in words.
    pub note: String,
}

/// Applies one vehicle's odometer fault to the readings it emits, in time order, and
/// records the truth at the switch reading.
#[derive(Debug, Clone)]
pub struct OdometerInjector {
    fault: OdometerFault,
    /// Reported odometer of the latest reading before the switch.
    last_before: Option<f64>,
    /// From the switch reading on: `reported = true × scale + offset_km`.
    after: Option<(f64, f64)>,
    truth: Option<OdometerFaultTruth>,
}

impl OdometerInjector {
    /// An injector of `fault`, before its switch reading.
    pub fn new(fault: OdometerFault) -> Self {
        Self {
            fault,
            last_before: None,
            after: None,
            truth: None,
        }
    }

    /// The truth, once the switch reading has gone through [`Self::apply`].
    pub fn truth(&self) -> Option<&OdometerFaultTruth> {
        self.truth.as_ref()
    }

    /// Replaces the physical odometer of `s` (the next reading in time order) by the
    /// reported one.
    pub fn apply(&mut self, s: &mut Sample) {
        match self.after {
            Some((scale, offset_km)) => {
                // The identity (after a spike) leaves the value bit-for-bit alone.
                if scale != 1.0 || offset_km != 0.0 {
                    s.odometer_km = round_km(s.odometer_km * scale + offset_km);
                }
            }
            None if s.t < self.fault.at => self.last_before = Some(s.odometer_km),
            None => self.switch(s),
        }
    }

    /// The switch reading: fixes the transform of the readings after it, reports this
    /// one and records the truth.
    fn switch(&mut self, s: &mut Sample) {
        let f = self.fault;
        let true_km = s.odometer_km;
        let (scale, offset_km) = match f.kind {
            OdometerFaultKind::Reset => (1.0, f.reset_start_km - true_km),
            OdometerFaultKind::UnitSwitch => (MILES_PER_KM, 0.0),
            OdometerFaultKind::Rollback => (1.0, -round_km(f.rollback_share * true_km)),
            OdometerFaultKind::Spike => (1.0, 0.0),
        };
        let reported = match f.kind {
            OdometerFaultKind::Spike => round_km(f.spike.apply(true_km)),
            _ => round_km(true_km * scale + offset_km),
        };
        self.after = Some((scale, offset_km));
        s.odometer_km = reported;
        self.truth = Some(OdometerFaultTruth {
            kind: f.kind,
            at: s.recorded_at(),
            true_km_at: true_km,
            reported_before_km: self.last_before,
            reported_at_km: reported,
            note: note(&f, true_km, offset_km),
        });
    }
}

/// The truth's description of `f` switching at a physical odometer of `true_km`.
fn note(f: &OdometerFault, true_km: f64, offset_km: f64) -> String {
    match f.kind {
        OdometerFaultKind::Reset => format!(
            "instrument cluster replaced: the odometer restarts at {:.2} km (physical {true_km:.2} km) \
             and then counts the distance driven",
            f.reset_start_km
        ),
        OdometerFaultKind::UnitSwitch => format!(
            "the device sends miles labelled as km from here on: reported = physical * {MILES_PER_KM}"
        ),
        OdometerFaultKind::Rollback => format!(
            "odometer rolled back by {:.2} km ({:.0} % of {true_km:.2} km; fraud): reported = physical - {:.2} km from here on",
            -offset_km,
            f.rollback_share * 100.0,
            -offset_km
        ),
        OdometerFaultKind::Spike => {
            let what = match f.spike {
                SpikeValue::Times(0.0) => "a zero reading".to_owned(),
                SpikeValue::Times(x) => format!("{x} * the physical value"),
                SpikeValue::PlusKm(km) => format!("the physical value + {km:.0} km"),
            };
            format!("one corrupt reading ({what}); the readings before and after it are normal")
        }
    }
}

/// The truth of `vehicle`'s odometer fault in a run of `cfg`, or `None` without a
/// fault or when no reading falls at or after its instant.
///
/// The vehicle's simulation is deterministic and does not depend on the rest of the
/// fleet, so running it up to the switch reading yields exactly what the run emits;
/// this lets the truth file be written before the readings, as it always was.
pub fn fault_truth(vehicle: &Vehicle, cfg: SimConfig) -> Option<OdometerFaultTruth> {
    let fault = vehicle.odometer_fault?;
    let mut sim = VehicleSim::new(vehicle.clone(), cfg);
    sim.by_ref().find(|s| s.t >= fault.at)?;
    sim.odometer_fault_truth().cloned()
}

/// `km` to the hundredth, as the wire carries odometers.
fn round_km(km: f64) -> f64 {
    (km * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(kind: OdometerFaultKind) -> OdometerFault {
        OdometerFault {
            kind,
            at: 1000,
            reset_start_km: 12.34,
            rollback_share: 0.4,
            spike: SpikeValue::Times(3.0),
        }
    }

    /// Readings every 100 s from t = 0, the physical odometer growing 1.5 km each
    /// from 200,000 km; returns (physical, reported) pairs and the truth.
    fn run(f: OdometerFault) -> (Vec<(i64, f64, f64)>, Option<OdometerFaultTruth>) {
        let mut inj = OdometerInjector::new(f);
        let out = (0..30)
            .map(|i| {
                let mut s = Sample::new(0, i * 100, true);
                s.odometer_km = 200_000.0 + 1.5 * i as f64;
                let physical = s.odometer_km;
                inj.apply(&mut s);
                (s.t, physical, s.odometer_km)
            })
            .collect();
        (out, inj.truth().cloned())
    }

    fn assert_km(a: f64, b: f64) {
        assert!((a - b).abs() <= 0.011, "{a} != {b}");
    }

    #[test]
    fn readings_before_the_switch_are_untouched_and_truth_names_the_switch() {
        for kind in OdometerFaultKind::ALL {
            let (rows, truth) = run(fault(kind));
            for &(t, physical, reported) in &rows {
                if t < 1000 {
                    assert_eq!(physical, reported, "{kind:?}");
                }
            }
            let truth = truth.expect("switched");
            let (t, physical, reported) = rows[10];
            assert_eq!(truth.at.timestamp(), t);
            assert_eq!(truth.true_km_at, physical);
            assert_eq!(truth.reported_at_km, reported);
            assert_eq!(truth.reported_before_km, Some(rows[9].2));
            assert_eq!(truth.kind, kind);
        }
    }

    #[test]
    fn reset_restarts_low_then_counts_the_distance() {
        let (rows, truth) = run(fault(OdometerFaultKind::Reset));
        assert_eq!(rows[10].2, 12.34);
        for &(_, physical, reported) in &rows[10..] {
            assert_km(reported - 12.34, physical - rows[10].1);
        }
        assert!(truth.expect("truth").note.contains("12.34 km"));
    }

    #[test]
    fn unit_switch_reports_miles_and_rollback_a_constant_amount_less() {
        let (rows, _) = run(fault(OdometerFaultKind::UnitSwitch));
        for &(_, physical, reported) in &rows[10..] {
            assert_km(reported, physical * MILES_PER_KM);
        }
        let (rows, _) = run(fault(OdometerFaultKind::Rollback));
        let back = (0.4 * rows[10].1 * 100.0).round() / 100.0;
        for &(_, physical, reported) in &rows[10..] {
            assert_km(physical - reported, back);
        }
    }

    #[test]
    fn a_spike_corrupts_exactly_one_reading() {
        for (spike, expected) in [
            (SpikeValue::Times(0.0), 0.0),
            (SpikeValue::Times(3.0), 600_045.0),
            (SpikeValue::Times(0.1), 20_001.5),
            (SpikeValue::PlusKm(SPIKE_PLUS_KM), 1_200_015.0),
        ] {
            let (rows, truth) = run(OdometerFault {
                spike,
                ..fault(OdometerFaultKind::Spike)
            });
            let off: Vec<_> = rows.iter().filter(|r| r.1 != r.2).collect();
            assert_eq!(off.len(), 1, "{spike:?}");
            assert_eq!((off[0].0, off[0].2), (1000, expected));
            assert_eq!(truth.expect("truth").reported_at_km, expected);
        }
    }

    #[test]
    fn draws_fall_inside_the_run_within_their_ranges() {
        let mut rng = SmallRng::seed_from_u64(3);
        let (start, end) = (1_700_000_000, 1_700_000_000 + 10 * 86_400);
        let mut spikes = std::collections::HashSet::new();
        for _ in 0..400 {
            let f = OdometerFault::draw(&mut rng, OdometerFaultKind::Reset, start, end);
            assert!(f.at >= start + 3 * 86_400 && f.at <= start + 8 * 86_400);
            assert!((0.0..=50.0).contains(&f.reset_start_km));
            assert!((0.25..=0.60).contains(&f.rollback_share));
            spikes.insert(format!("{:?}", f.spike));
        }
        assert_eq!(spikes.len(), 4, "every spike value occurs");
    }
}
