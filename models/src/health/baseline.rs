//! Baselines: each vehicle's own healthy values, learned from its first complete days
//! of data and then frozen, so a slow degradation cannot drag its reference along.
//!
//! Vehicles of one model differ (thermostats, oil pumps, batteries), so damage is
//! measured from where *this* vehicle started, towards a physical limit that is the
//! same for all.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::indicators::{Indicator, N_INDICATORS};
use super::state::Day;

/// Complete days with data looked at to learn a baseline.
pub const BASELINE_DAYS: usize = 5;
/// A baseline day needs at least this share of the median readings of those days: a
/// day of yard moves or short hops is not typical use.
const BASELINE_DAY_SHARE: f64 = 0.5;
/// Values a day needs to count towards a baseline.
pub const MIN_SAMPLES: u32 = 5;
/// ... for indicators read from parked heartbeats, which are few but quiet.
const MIN_PARKED_SAMPLES: u32 = 3;

/// Values a day needs for `i` to count towards its baseline.
fn min_samples(i: Indicator) -> u32 {
    match i {
        Indicator::BatteryRest
        | Indicator::TireFl
        | Indicator::TireFr
        | Indicator::TireRl
        | Indicator::TireRr => MIN_PARKED_SAMPLES,
        _ => MIN_SAMPLES,
    }
}
/// DPF readings needed over the baseline days for the pressure-vs-soot fit.
const MIN_DPF_SAMPLES: u32 = 30;
/// Pressure rise per % of soot at highway flow when a vehicle's own soot range was too
/// narrow to fit it, kPa/%: a clean filter gains about 7.8 kPa from empty to full.
const TYPICAL_DPF_SOOT_SLOPE: f64 = 0.078;

/// The per-vehicle fit of DPF pressure (at highway flow) against soot load:
/// `pressure = intercept + slope × soot` while the filter is healthy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DpfFit {
    /// Pressure of an empty filter, kPa.
    pub intercept: f64,
    /// Pressure per % of soot, kPa.
    pub slope: f64,
}

impl DpfFit {
    /// Healthy pressure at `soot` %.
    pub fn expected(&self, soot: f64) -> f64 {
        self.intercept + self.slope * soot
    }
}

// `Baselines::varied` holds a bit per indicator.
const _: () = assert!(N_INDICATORS <= 32);

/// Whether an indicator has a learned baseline.
const fn has_baseline(i: Indicator) -> bool {
    !matches!(
        i,
        Indicator::DpfDpRef
            | Indicator::DpfSoot
            | Indicator::BrakePad
            | Indicator::BrakeWear
            | Indicator::Odometer
            | Indicator::Ambient
    )
}

/// A vehicle's learned baselines.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Baselines {
    values: [Option<f64>; N_INDICATORS],
    dpf: Option<DpfFit>,
    /// Normal pad wear, % per day: wear faster than this is a fault (a sticking
    /// caliper), wear at this pace is maintenance to plan.
    pad_pace: Option<f64>,
    /// Indicators (bit [`Indicator::index`]) whose baseline days held differing
    /// values: a frozen day of those is a frozen sensor (see `plausibility`).
    /// Baselines learned before this field was kept have none set.
    #[serde(default)]
    varied: u32,
}

impl Baselines {
    /// The baseline of an indicator (its daily value, see [`Day::value`]), once learned.
    pub fn get(&self, i: Indicator) -> Option<f64> {
        self.values[i.index()]
    }

    /// Whether `i`'s baseline days held differing values (a live sensor's noise).
    pub fn varied(&self, i: Indicator) -> bool {
        self.varied & (1 << i.index()) != 0
    }

    /// Sets `i`'s baseline, and whether its days varied (tests of other modules).
    #[cfg(test)]
    pub(crate) fn set_for_test(&mut self, i: Indicator, value: f64, varied: bool) {
        self.values[i.index()] = Some(value);
        if varied {
            self.varied |= 1 << i.index();
        }
    }

    /// The DPF fit, once learned.
    pub fn dpf(&self) -> Option<DpfFit> {
        self.dpf
    }

    /// The normal pad wear pace, % per day, once learned.
    pub fn pad_pace(&self) -> Option<f64> {
        self.pad_pace
    }

    /// Forgets the baselines of `indicators` (and the DPF fit or the pad pace when
    /// theirs are among them), to be learned again from the days that follow.
    pub(crate) fn forget(&mut self, indicators: &[Indicator]) {
        for &i in indicators {
            self.values[i.index()] = None;
            self.varied &= !(1 << i.index());
            match i {
                Indicator::DpfDpRef => self.dpf = None,
                Indicator::BrakeWear => self.pad_pace = None,
                _ => {}
            }
        }
    }

    /// How many of the days needed for `i`'s baseline are in hand (for reporting while
    /// it is being learned).
    pub fn progress(days: &BTreeMap<i64, Day>, before_day: i64, i: Indicator) -> usize {
        qualifying(days, before_day, i).count().min(BASELINE_DAYS)
    }

    /// Learns every baseline still missing from complete days (those before
    /// `current_day`).
    pub(crate) fn learn(&mut self, days: &BTreeMap<i64, Day>, current_day: i64) {
        for i in Indicator::ALL {
            if !has_baseline(i) || self.values[i.index()].is_some() {
                continue;
            }
            let candidates: Vec<&Day> = qualifying(days, current_day, i)
                .take(BASELINE_DAYS)
                .collect();
            if candidates.len() < BASELINE_DAYS {
                continue;
            }
            let typical = median(candidates.iter().map(|d| f64::from(d.agg(i).n)).collect());
            let values: Vec<f64> = candidates
                .iter()
                .filter(|d| f64::from(d.agg(i).n) >= BASELINE_DAY_SHARE * typical)
                .filter_map(|d| d.value(i))
                .collect();
            // The median: one odd day among the first does not skew the reference.
            self.values[i.index()] = Some(median(values));
            if candidates.iter().any(|d| d.agg(i).max > d.agg(i).min) {
                self.varied |= 1 << i.index();
            }
        }
        if self.dpf.is_none() {
            self.dpf = fit_dpf(days, current_day);
        }
        if self.pad_pace.is_none() {
            self.pad_pace = fit_pad_pace(days, current_day);
        }
    }
}

/// The median of a non-empty list (the candidates always include the typical day).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

fn qualifying(
    days: &BTreeMap<i64, Day>,
    before_day: i64,
    i: Indicator,
) -> impl Iterator<Item = &Day> {
    days.range(..before_day)
        .map(|(_, d)| d)
        .filter(move |d| d.agg(i).n >= min_samples(i))
}

/// Least squares over the first baseline days with DPF readings.
fn fit_dpf(days: &BTreeMap<i64, Day>, current_day: i64) -> Option<DpfFit> {
    let used: Vec<&Day> = qualifying(days, current_day, Indicator::DpfDpRef)
        .take(BASELINE_DAYS)
        .collect();
    if used.len() < BASELINE_DAYS {
        return None;
    }
    let (mut n, mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for d in &used {
        n += f64::from(d.agg(Indicator::DpfDpRef).n);
        sx += d.agg(Indicator::DpfSoot).sum;
        sy += d.agg(Indicator::DpfDpRef).sum;
        sxx += d.dpf_xx;
        sxy += d.dpf_xy;
    }
    if n < f64::from(MIN_DPF_SAMPLES) {
        return None;
    }
    let (mx, my) = (sx / n, sy / n);
    let var_x = sxx / n - mx * mx;
    // Soot cycles between regenerations; if it barely moved, the slope is not
    // identifiable and the typical one is used.
    let slope = if var_x > 25.0 {
        ((sxy / n - mx * my) / var_x).clamp(0.0, 0.3)
    } else {
        TYPICAL_DPF_SOOT_SLOPE
    };
    Some(DpfFit {
        intercept: my - slope * mx,
        slope,
    })
}

/// Wear pace over the baseline days: least squares of daily wear against day number.
fn fit_pad_pace(days: &BTreeMap<i64, Day>, current_day: i64) -> Option<f64> {
    let points: Vec<(f64, f64)> = days
        .range(..current_day)
        .filter(|(_, d)| d.agg(Indicator::BrakeWear).n >= MIN_SAMPLES)
        .take(BASELINE_DAYS)
        .filter_map(|(k, d)| Some((*k as f64, d.value(Indicator::BrakeWear)?)))
        .collect();
    if points.len() < BASELINE_DAYS {
        return None;
    }
    let n = points.len() as f64;
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let sxx: f64 = points.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    (sxx > 0.0).then(|| (sxy / sxx).max(0.0))
}

impl Day {
    /// The day's value of an indicator: the highest count for counters, the mean
    /// otherwise.
    pub fn value(&self, i: Indicator) -> Option<f64> {
        let a = self.agg(i);
        match i {
            Indicator::DpfFailedRegens => (a.n > 0).then_some(a.max),
            _ => a.mean(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day_with(i: Indicator, values: &[f64]) -> Day {
        let mut d = Day::default();
        for v in values {
            let a = &mut d.aggs[i.index()];
            a.n += 1;
            a.sum += v;
            a.min = a.min.min(*v);
            a.max = a.max.max(*v);
        }
        d
    }

    #[test]
    fn baseline_needs_five_complete_days_then_freezes() {
        let mut days = BTreeMap::new();
        let mut b = Baselines::default();
        let levels = [
            (10, 200.0),
            (11, 210.0),
            (12, 220.0),
            (13, 205.0),
            (14, 215.0),
            (15, 150.0),
        ];
        for (k, level) in levels {
            days.insert(k, day_with(Indicator::OilPressureIdle, &[level; 6]));
        }
        b.learn(&days, 14);
        assert_eq!(
            b.get(Indicator::OilPressureIdle),
            None,
            "only four complete days"
        );
        b.learn(&days, 15);
        assert_eq!(b.get(Indicator::OilPressureIdle), Some(210.0), "the median");
        b.learn(&days, 16);
        assert_eq!(b.get(Indicator::OilPressureIdle), Some(210.0), "frozen");
    }

    #[test]
    fn thin_days_do_not_set_the_baseline() {
        let mut days = BTreeMap::new();
        for k in 0..5 {
            // Day 2 is a short hop: few readings, a low maximum.
            let (n, level) = if k == 2 { (6, 60.0) } else { (200, 92.0) };
            days.insert(k, day_with(Indicator::CoolantDriving, &vec![level; n]));
        }
        let mut b = Baselines::default();
        b.learn(&days, 5);
        assert_eq!(b.get(Indicator::CoolantDriving), Some(92.0));
    }

    #[test]
    fn sparse_days_do_not_count() {
        let mut days = BTreeMap::new();
        for k in 0..5 {
            days.insert(k, day_with(Indicator::BatteryRest, &[12.6; 2]));
        }
        let mut b = Baselines::default();
        b.learn(&days, 10);
        assert_eq!(b.get(Indicator::BatteryRest), None);
    }

    #[test]
    fn dpf_fit_recovers_the_line() {
        let mut days = BTreeMap::new();
        for k in 0..BASELINE_DAYS as i64 {
            let mut d = Day::default();
            for soot in 0..40 {
                let x = f64::from(soot) * 2.5;
                let y = 0.8 + 0.08 * x;
                for (i, v) in [(Indicator::DpfSoot, x), (Indicator::DpfDpRef, y)] {
                    let a = &mut d.aggs[i.index()];
                    a.n += 1;
                    a.sum += v;
                }
                d.dpf_xx += x * x;
                d.dpf_xy += x * y;
            }
            days.insert(k, d);
        }
        let mut b = Baselines::default();
        b.learn(&days, BASELINE_DAYS as i64);
        let fit = b.dpf().expect("fitted");
        assert!((fit.slope - 0.08).abs() < 1e-9);
        assert!((fit.intercept - 0.8).abs() < 1e-9);
    }
}
