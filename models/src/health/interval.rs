//! The 80 % interval of a remaining useful life, learned from the engine's own errors.
//!
//! A RUL is a point on a fitted curve; how far the truth lies from it depends on how
//! far ahead it looks (a week out, a fault's pace is barely known; a day out, it is).
//! `calibrate-intervals` replays a simulated fleet the model was not trained on through
//! the engine, pairs every RUL of a truly failing part with its true time to failure,
//! and keeps, per band of predicted RUL, the quantiles of `ln(true / predicted)` (split
//! conformal: the finite-sample rank `⌈(n + 1)·q⌉`). The interval is multiplicative
//! because the errors grow with the horizon. It says how wrong the RUL of a real fault
//! tends to be; a false alarm has no time to failure, and how often alarms are false is
//! the detection benchmark's precision.

use serde::{Deserialize, Serialize};

/// Predicted RULs below this are taken as this, days: a part at its limit has a RUL of
/// 0 and the ratio needs a denominator; half a day is finer than any decision.
const FLOOR_DAYS: f64 = 0.5;

/// The calibrated intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulIntervals {
    /// Nominal coverage of the interval (0.8).
    pub coverage: f64,
    /// Bins of predicted RUL, ascending; the last one is open-ended.
    pub bins: Vec<IntervalBin>,
    /// What they were calibrated on (for humans).
    pub calibrated_on: String,
}

/// One bin of predicted RUL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalBin {
    /// Predicted RULs up to this many days (none: the rest).
    pub up_to_days: Option<f64>,
    /// `true / predicted` at the interval's low end.
    pub low_ratio: f64,
    /// `true / predicted` at its high end.
    pub high_ratio: f64,
    /// Pairs it was calibrated on (its own, or every pair when it had too few).
    pub pairs: usize,
}

impl RulIntervals {
    /// Calibrates on `(predicted, true)` days at `coverage`, in bins ending at `edges`
    /// (ascending). A bin with fewer than `min_pairs` takes the quantiles of all pairs.
    /// `None` with fewer than `min_pairs` pairs in all.
    pub fn calibrate(
        pairs: &[(f64, f64)],
        edges: &[f64],
        coverage: f64,
        min_pairs: usize,
        calibrated_on: String,
    ) -> Option<Self> {
        let ratio = |(p, t): &(f64, f64)| (t.max(0.0) + 1e-3).ln() - p.max(FLOOR_DAYS).ln();
        let all: Vec<f64> = pairs.iter().map(ratio).collect();
        let pooled = quantiles(all, coverage, min_pairs)?;
        let mut bins = Vec::with_capacity(edges.len() + 1);
        let mut lower = f64::NEG_INFINITY;
        for up_to in edges.iter().copied().map(Some).chain([None]) {
            let upper = up_to.unwrap_or(f64::INFINITY);
            let own: Vec<f64> = pairs
                .iter()
                .filter(|(p, _)| *p > lower && *p <= upper)
                .map(ratio)
                .collect();
            let n = own.len();
            let ((lo, hi), used) = match quantiles(own, coverage, min_pairs) {
                Some(q) => (q, n),
                None => (pooled, pairs.len()),
            };
            bins.push(IntervalBin {
                up_to_days: up_to,
                low_ratio: lo.exp(),
                high_ratio: hi.exp(),
                pairs: used,
            });
            lower = upper;
        }
        Some(Self {
            coverage,
            bins,
            calibrated_on,
        })
    }

    /// The interval of a predicted RUL of `rul_days`, capped at `horizon_days`.
    pub fn interval(&self, rul_days: f64, horizon_days: f64) -> Option<[f64; 2]> {
        let bin = self
            .bins
            .iter()
            .find(|b| b.up_to_days.is_none_or(|up| rul_days <= up))?;
        let base = rul_days.max(FLOOR_DAYS);
        let low = (base * bin.low_ratio).clamp(0.0, rul_days.max(0.0));
        let high = (base * bin.high_ratio).clamp(rul_days, horizon_days.max(rul_days));
        Some([round1(low), round1(high)])
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The split-conformal `(1 − coverage) / 2` and `(1 + coverage) / 2` quantiles of
/// `values`: ranks `⌊(n + 1)·q⌋` and `⌈(n + 1)·q⌉`, widened to the extremes when too
/// few values support them. `None` below `min` values.
fn quantiles(mut values: Vec<f64>, coverage: f64, min: usize) -> Option<(f64, f64)> {
    values.retain(|v| v.is_finite());
    if values.len() < min.max(2) {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let tail = (1.0 - coverage) / 2.0;
    let lo_rank = ((n + 1) as f64 * tail).floor() as usize;
    let hi_rank = ((n + 1) as f64 * (1.0 - tail)).ceil() as usize;
    let lo = values[lo_rank.clamp(1, n) - 1];
    let hi = values[hi_rank.clamp(1, n) - 1];
    Some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pairs whose truth is the prediction times a known spread of ratios.
    fn spread(predicted: f64, ratios: &[f64]) -> Vec<(f64, f64)> {
        ratios.iter().map(|r| (predicted, predicted * r)).collect()
    }

    #[test]
    fn the_interval_covers_the_middle_of_the_errors_per_band() {
        let ratios: Vec<f64> = (0..=100).map(|i| 0.5 + i as f64 / 100.0).collect();
        let mut pairs = spread(2.0, &ratios);
        // Far out, the errors are wider.
        let wide: Vec<f64> = (0..=100).map(|i| 0.25 + 2.0 * i as f64 / 100.0).collect();
        pairs.extend(spread(20.0, &wide));
        let iv = RulIntervals::calibrate(&pairs, &[3.0, 8.0], 0.8, 30, "test".into()).unwrap();
        let near = iv.interval(2.0, 365.0).unwrap();
        assert!(
            (near[0] - 1.2).abs() < 0.05 && (near[1] - 2.8).abs() < 0.05,
            "{near:?}"
        );
        let far = iv.interval(20.0, 365.0).unwrap();
        assert!(
            far[1] - far[0] > 4.0 * (near[1] - near[0]),
            "{far:?} vs {near:?}"
        );
        // The middle bin had no pairs of its own: it takes every pair's quantiles.
        assert_eq!(iv.bins[1].pairs, pairs.len());
        // Covered: the share of pairs inside their interval is about 80 %.
        let inside = pairs
            .iter()
            .filter(|(p, t)| {
                let [lo, hi] = iv.interval(*p, 365.0).unwrap();
                (lo..=hi).contains(t)
            })
            .count();
        let share = inside as f64 / pairs.len() as f64;
        assert!((0.78..=0.86).contains(&share), "{share}");
    }

    #[test]
    fn the_interval_holds_the_prediction_and_stays_within_the_horizon() {
        let pairs = spread(100.0, &[0.1, 0.5, 1.0, 3.0, 9.0].repeat(10));
        let iv = RulIntervals::calibrate(&pairs, &[], 0.8, 10, "test".into()).unwrap();
        let [lo, hi] = iv.interval(100.0, 365.0).unwrap();
        assert!(lo <= 100.0 && (100.0..=365.0).contains(&hi), "{lo} {hi}");
        let [lo0, hi0] = iv.interval(0.0, 365.0).unwrap();
        assert!(lo0 == 0.0 && hi0 >= 0.0, "{lo0} {hi0}");
        assert!(RulIntervals::calibrate(&pairs[..5], &[], 0.8, 10, "x".into()).is_none());
    }
}
