//! Sensor plausibility: days on which an indicator's readings cannot be its part's.
//!
//! A part wears along a path; a sensor that freezes, or a gateway that starts sending
//! another unit, moves the reading in ways no wear does. Read as wear, such a day
//! takes a healthy part past its limit at once (an oil pressure sent in psi reads as
//! 27 kPa against a warm-idle baseline of 188) or draws a trend through a frozen value.
//! Those days are set aside from the part's damage series and named to the people who
//! can check the sensor, instead of being announced as a failing part.
//!
//! Judged per day against the vehicle's frozen baseline, from the day's aggregates
//! only, so the verdict is as order-free as the aggregates. The checks use unit
//! definitions and physics, not a simulator's constants:
//! - *frozen*: every value of a day identical, when the baseline days of the same
//!   indicator were not: live sensors carry noise and quantization steps;
//! - *another unit*: a pressure at its baseline expressed in psi (1 psi = 6.894757
//!   kPa, exact by definition), a temperature at its baseline expressed in °F, or a
//!   temperature at the top of the catalog's range (a reading clamped there);
//! - *beyond physics*: a rested 12/24 V lead-acid battery cannot hold more than about
//!   1.3 × its rested voltage (a full cell rests near 2.12 V; 2.8 V per cell is
//!   gassing on a charger), and urea dissolves to at most about 52 % at 20 °C, 1.6 ×
//!   the 32.5 % standard solution (ISO 22241-1).
//!
//! What it cannot tell from a part: a slow sensor drift (it moves like wear), and noise
//! that leaves the daily mean in place. A real pressure that falls to its baseline's
//! psi value within a day reads as a unit error; the factor says so and asks for a check.

use std::collections::BTreeMap;

use shared_schemas::signals::{self, names};

use super::baseline::Baselines;
use super::indicators::Indicator;
use super::state::Day;

/// Values a day needs before identical ones are read as a frozen sensor.
pub const FROZEN_MIN_VALUES: u32 = 12;
/// kPa per psi (exact by definition of the psi).
pub const KPA_PER_PSI: f64 = 6.894_757;
/// How far from the converted baseline a day may lie and still read as another unit:
/// the part may have moved while the unit was wrong, and days differ.
const UNIT_TOLERANCE: (f64, f64) = (0.7, 1.3);
/// A rested battery above this multiple of its baseline is not a battery reading.
const BATTERY_MAX_RATIO: f64 = 1.3;
/// A DEF concentration above this multiple of its baseline is beyond urea's solubility.
const DEF_MAX_RATIO: f64 = 1.6;

/// Why a day's values of an indicator are set aside.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Implausible {
    /// Every value identical at `value`, where the baseline days varied.
    Frozen { value: f64 },
    /// Values at the baseline expressed in another unit (`unit`), or clamped at the
    /// top of the signal's range.
    OtherUnit { unit: &'static str, value: f64 },
    /// Values beyond what the part can physically show.
    BeyondPhysics { value: f64 },
}

impl Implausible {
    /// A short reason for people, e.g. `frozen at 87.0` or `as if sent in psi (27.1)`.
    pub fn describe(&self) -> String {
        match *self {
            Self::Frozen { value } => format!("frozen at {value:.1}"),
            Self::OtherUnit { unit, value } => format!("as if sent in {unit} ({value:.1})"),
            Self::BeyondPhysics { value } => format!("beyond what the part can show ({value:.1})"),
        }
    }
}

/// The top of the catalog range of the raw signal behind a temperature indicator.
fn range_top(i: Indicator) -> Option<f64> {
    let name = match i {
        Indicator::CoolantDriving => names::COOLANT_TEMP_C,
        Indicator::TransTemp => names::TRANS_OIL_TEMP_C,
        _ => return None,
    };
    signals::spec(name).map(|s| s.max)
}

/// The days of `days` whose values of `i` the sensor explains, oldest first: those
/// [`check`] sets aside, and a day holding the frozen value of the day before or after
/// it (the day a sensor froze or thawed mixes live values with frozen ones).
pub fn set_aside(
    i: Indicator,
    days: &BTreeMap<i64, Day>,
    base: &Baselines,
) -> Vec<(i64, Implausible)> {
    // Most days of most vehicles pass: say so without allocating.
    if base.get(i).is_none() || days.values().all(|d| check(i, d, base).is_none()) {
        return Vec::new();
    }
    let checked: Vec<(i64, &Day, Option<Implausible>)> = days
        .iter()
        .map(|(day, data)| (*day, data, check(i, data, base)))
        .collect();
    // Days are in order: a neighbouring day is the entry before or after.
    let frozen_next_to = |k: usize, day: i64| {
        [k.checked_sub(1), Some(k + 1)]
            .into_iter()
            .flatten()
            .filter_map(|j| checked.get(j))
            .filter_map(move |(d, _, why)| match why {
                Some(Implausible::Frozen { value }) if d.abs_diff(day) == 1 => Some(*value),
                _ => None,
            })
    };
    checked
        .iter()
        .enumerate()
        .filter_map(|(k, (day, data, why))| {
            why.or_else(|| {
                let a = data.agg(i);
                frozen_next_to(k, *day)
                    .find(|v| a.n > 0 && (a.min == *v || a.max == *v))
                    .map(|value| Implausible::Frozen { value })
            })
            .map(|w| (*day, w))
        })
        .collect()
}

/// Whether `day`'s values of `i` cannot be the part's, and why; `None` when they can
/// (or when the baseline they are judged against is not learned yet).
pub fn check(i: Indicator, day: &Day, base: &Baselines) -> Option<Implausible> {
    let a = day.agg(i);
    let b = base.get(i)?;
    if a.n == 0 {
        return None;
    }
    if a.n >= FROZEN_MIN_VALUES && a.max == a.min && base.varied(i) {
        return Some(Implausible::Frozen { value: a.min });
    }
    let near = |v: f64, target: f64| {
        target > 0.0 && (UNIT_TOLERANCE.0..=UNIT_TOLERANCE.1).contains(&(v / target))
    };
    match i {
        Indicator::OilPressureIdle
        | Indicator::TireFl
        | Indicator::TireFr
        | Indicator::TireRl
        | Indicator::TireRr => near(a.min, b / KPA_PER_PSI).then_some(Implausible::OtherUnit {
            unit: "psi",
            value: a.min,
        }),
        Indicator::CoolantDriving | Indicator::TransTemp => {
            let fahrenheit = b * 1.8 + 32.0;
            let top = range_top(i).unwrap_or(f64::INFINITY);
            (near(a.max, fahrenheit) || a.max >= top).then_some(Implausible::OtherUnit {
                unit: "°F",
                value: a.max,
            })
        }
        Indicator::BatteryRest => {
            (a.max > BATTERY_MAX_RATIO * b).then_some(Implausible::BeyondPhysics { value: a.max })
        }
        Indicator::DefQuality => {
            (a.max > DEF_MAX_RATIO * b).then_some(Implausible::BeyondPhysics { value: a.max })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day_of(i: Indicator, values: &[f64]) -> Day {
        let mut day = Day::default();
        for v in values {
            day.aggs[i.index()].add(*v);
        }
        day
    }

    fn base(i: Indicator, value: f64, varied: bool) -> Baselines {
        let mut b = Baselines::default();
        b.set_for_test(i, value, varied);
        b
    }

    #[test]
    fn a_frozen_day_is_set_aside_only_where_the_baseline_varied() {
        let i = Indicator::CoolantDriving;
        let day = day_of(i, &[12.3; 20]);
        assert_eq!(
            check(i, &day, &base(i, 90.0, true)),
            Some(Implausible::Frozen { value: 12.3 })
        );
        // A sensor quantized so coarsely that its baseline days never moved.
        assert_eq!(check(i, &day, &base(i, 90.0, false)), None);
        // Too few values to tell.
        let short = day_of(i, &[12.3; 5]);
        assert_eq!(check(i, &short, &base(i, 90.0, true)), None);
    }

    #[test]
    fn the_days_a_sensor_froze_and_thawed_are_set_aside_with_it() {
        let i = Indicator::CoolantDriving;
        let b = base(i, 90.0, true);
        let mut days = BTreeMap::new();
        days.insert(9, day_of(i, &[89.0, 91.0]));
        days.insert(10, day_of(i, &[88.0, 90.0, 12.3, 12.3]));
        days.insert(11, day_of(i, &[12.3; 20]));
        days.insert(12, day_of(i, &[12.3, 12.3, 90.5, 91.0]));
        days.insert(13, day_of(i, &[90.0, 91.5]));
        let aside: Vec<i64> = set_aside(i, &days, &b).iter().map(|(d, _)| *d).collect();
        assert_eq!(aside, [10, 11, 12]);
    }

    #[test]
    fn a_pressure_sent_in_psi_is_another_unit_and_a_low_one_is_not() {
        let i = Indicator::OilPressureIdle;
        let b = base(i, 188.0, true);
        let psi = day_of(i, &[27.0, 27.6, 26.9]);
        assert!(matches!(
            check(i, &psi, &b),
            Some(Implausible::OtherUnit { unit: "psi", .. })
        ));
        // A day that switched unit part-way through is set aside whole.
        let mixed = day_of(i, &[186.0, 189.0, 27.2]);
        assert!(check(i, &mixed, &b).is_some());
        // A failing pump: low, but nowhere near the baseline in psi.
        let failing = day_of(i, &[95.0, 97.0, 99.0]);
        assert_eq!(check(i, &failing, &b), None);
    }

    #[test]
    fn a_temperature_in_fahrenheit_or_clamped_at_the_range_top_is_another_unit() {
        let i = Indicator::TransTemp;
        let b = base(i, 80.0, true);
        let f = day_of(i, &[175.0, 177.0]);
        assert!(check(i, &f, &b).is_some());
        let hot = day_of(i, &[118.0, 121.0]);
        assert_eq!(check(i, &hot, &b), None);
        let c = Indicator::CoolantDriving;
        let clamped = day_of(c, &[150.0, 150.0]);
        assert!(check(c, &clamped, &base(c, 90.0, true)).is_some());
        let overheating = day_of(c, &[108.0, 112.0]);
        assert_eq!(check(c, &overheating, &base(c, 90.0, true)), None);
    }

    #[test]
    fn a_battery_or_def_beyond_physics_is_set_aside() {
        let i = Indicator::BatteryRest;
        let b = base(i, 12.6, true);
        assert!(check(i, &day_of(i, &[36.0, 35.8]), &b).is_some());
        assert_eq!(check(i, &day_of(i, &[12.1, 12.2]), &b), None);
        let d = Indicator::DefQuality;
        let bd = base(d, 32.5, true);
        assert!(check(d, &day_of(d, &[90.5, 90.4]), &bd).is_some());
        assert_eq!(check(d, &day_of(d, &[28.0, 27.5]), &bd), None);
    }
}
