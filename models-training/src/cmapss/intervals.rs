//! Prediction intervals calibrated on out-of-fold residuals.
//!
//! The cross-validation already predicts, for every held-out cut, the RUL a model that
//! never saw the unit would give; the residuals `truth - prediction` at those cuts are
//! what the final model's errors on new units look like (the CV+ idea of Barber et al.,
//! "Predictive inference with the jackknife+", Ann. Statist. 2021). Their spread is not
//! constant: early in life wear is invisible and a high prediction can be far off, near
//! failure the trend pins it down. So the residuals are grouped by predicted value into
//! bins of equal count, and each bin's empirical quantiles are the interval's offsets.
//! The intervals are calibrated against the uncapped truth, so they say how long the unit
//! may really last, not how long the capped training target says.

use serde::{Deserialize, Serialize};

use super::error::{CmapssError, Result};

/// Residual quantiles of the cuts whose prediction fell in one bin.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ResidualBin {
    /// Largest prediction of the bin; the last bin also takes every larger prediction.
    pub predicted_up_to: f64,
    /// Lower quantile of `truth - prediction`.
    pub low: f64,
    /// Upper quantile of `truth - prediction`.
    pub high: f64,
}

/// Interval offsets by predicted RUL, at a fixed coverage level.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IntervalCalibration {
    /// Intended coverage, e.g. 0.8 for an 80 % interval.
    pub level: f64,
    /// Number of out-of-fold cuts the quantiles come from.
    pub n_residuals: usize,
    /// Bins in increasing order of `predicted_up_to`.
    pub bins: Vec<ResidualBin>,
}

/// Cuts per bin: fewer make the 10 % and 90 % quantiles too noisy.
const MIN_PER_BIN: usize = 100;
/// At most this many bins.
const MAX_BINS: usize = 10;

/// The `q`-quantile of sorted values with the split-conformal finite-sample correction
/// (the `ceil((n + 1) q)`-th smallest for upper quantiles, its mirror for lower ones).
fn conformal_quantile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let rank = if q >= 0.5 {
        ((n + 1) as f64 * q).ceil() as usize
    } else {
        ((n + 1) as f64 * q).floor().max(1.0) as usize
    };
    sorted[rank.clamp(1, n) - 1]
}

impl IntervalCalibration {
    /// Fits offsets from out-of-fold `predicted` values and their uncapped `truth`.
    pub fn fit(predicted: &[f64], truth: &[f64], level: f64) -> Result<Self> {
        if predicted.len() != truth.len() || predicted.len() < MIN_PER_BIN {
            return Err(CmapssError::Training(format!(
                "interval calibration needs at least {MIN_PER_BIN} out-of-fold cuts with \
                 their truth, got {} predictions and {} truths",
                predicted.len(),
                truth.len()
            )));
        }
        if !(0.0..1.0).contains(&level) || level <= 0.0 {
            return Err(CmapssError::Training(format!(
                "interval level must be in (0, 1), got {level}"
            )));
        }
        let mut pairs: Vec<(f64, f64)> = predicted
            .iter()
            .zip(truth)
            .map(|(&p, &t)| (p, t - p))
            .collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let n_bins = (pairs.len() / MIN_PER_BIN).clamp(1, MAX_BINS);
        let tail = (1.0 - level) / 2.0;
        let bins = (0..n_bins)
            .map(|b| {
                let chunk = &pairs[b * pairs.len() / n_bins..(b + 1) * pairs.len() / n_bins];
                let mut residuals: Vec<f64> = chunk.iter().map(|p| p.1).collect();
                residuals.sort_by(f64::total_cmp);
                ResidualBin {
                    predicted_up_to: chunk.last().map_or(0.0, |p| p.0),
                    low: conformal_quantile(&residuals, tail),
                    high: conformal_quantile(&residuals, 1.0 - tail),
                }
            })
            .collect();
        Ok(IntervalCalibration {
            level,
            n_residuals: pairs.len(),
            bins,
        })
    }

    /// The interval `[low, high]` around `predicted` (never below 0 cycles).
    pub fn interval(&self, predicted: f64) -> (f64, f64) {
        let bin = self
            .bins
            .iter()
            .find(|b| predicted <= b.predicted_up_to)
            .or(self.bins.last());
        bin.map_or((predicted, predicted), |b| {
            ((predicted + b.low).max(0.0), (predicted + b.high).max(0.0))
        })
    }

    /// Checks what a loaded artifact cannot be trusted to hold.
    pub fn validate(&self) -> Result<()> {
        let ordered = self
            .bins
            .windows(2)
            .all(|w| w[0].predicted_up_to <= w[1].predicted_up_to);
        let finite = self
            .bins
            .iter()
            .all(|b| b.predicted_up_to.is_finite() && b.low.is_finite() && b.high.is_finite());
        if self.bins.is_empty() || !ordered || !finite || self.bins.iter().any(|b| b.low > b.high) {
            return Err(CmapssError::Training(
                "interval bins must be non-empty, ordered, finite, low <= high".to_owned(),
            ));
        }
        Ok(())
    }
}

/// Share of `truth` values inside their interval.
pub fn coverage(intervals: &[(f64, f64)], truth: &[f64]) -> f64 {
    let n = intervals.len().min(truth.len());
    if n == 0 {
        return f64::NAN;
    }
    let inside = intervals
        .iter()
        .zip(truth)
        .filter(|((low, high), t)| (*low..=*high).contains(*t))
        .count();
    inside as f64 / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Residuals whose spread grows with the prediction: uniform on [-p/4, p/4].
    fn heteroscedastic(n: usize) -> (Vec<f64>, Vec<f64>) {
        let mut predicted = Vec::new();
        let mut truth = Vec::new();
        for i in 0..n {
            let p = 10.0 + (i % 100) as f64;
            let u = ((i * 7919) % 1000) as f64 / 999.0 - 0.5;
            predicted.push(p);
            truth.push(p + u * p / 2.0);
        }
        (predicted, truth)
    }

    #[test]
    fn intervals_widen_with_the_prediction_and_cover_the_level() {
        let (predicted, truth) = heteroscedastic(4000);
        let cal = IntervalCalibration::fit(&predicted, &truth, 0.8).unwrap();
        cal.validate().unwrap();
        assert_eq!(cal.bins.len(), MAX_BINS);
        let (lo_small, hi_small) = cal.interval(15.0);
        let (lo_big, hi_big) = cal.interval(105.0);
        assert!(hi_big - lo_big > 3.0 * (hi_small - lo_small));
        let (p2, t2) = heteroscedastic(2000);
        let intervals: Vec<(f64, f64)> = p2.iter().map(|&p| cal.interval(p)).collect();
        let c = coverage(&intervals, &t2);
        assert!((0.75..=0.87).contains(&c), "coverage {c}");
    }

    #[test]
    fn too_few_residuals_or_a_bad_level_are_errors() {
        let (p, t) = heteroscedastic(50);
        assert!(IntervalCalibration::fit(&p, &t, 0.8).is_err());
        let (p, t) = heteroscedastic(500);
        assert!(IntervalCalibration::fit(&p, &t, 1.0).is_err());
        assert!(IntervalCalibration::fit(&p, &t[..499], 0.8).is_err());
    }

    #[test]
    fn lower_bound_never_goes_below_zero() {
        let cal = IntervalCalibration {
            level: 0.8,
            n_residuals: 100,
            bins: vec![ResidualBin {
                predicted_up_to: 50.0,
                low: -20.0,
                high: 10.0,
            }],
        };
        assert_eq!(cal.interval(5.0), (0.0, 15.0));
        // Above the last edge, the last bin applies.
        assert_eq!(cal.interval(80.0), (60.0, 90.0));
    }
}
