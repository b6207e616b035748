//! Scores of end-of-life predictions: the figures the literature reports.

use super::folds::Prediction;
use crate::fleet::median;

/// Errors of one predictor over a set of predictions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Errors {
    /// Predictions scored.
    pub predictions: usize,
    /// Mean |predicted − true| end of life, cycles.
    pub mae_cycles: f64,
    /// Their median, cycles: a capped "no end foreseen" weighs no more than any miss.
    pub median_cycles: f64,
    /// Mean |predicted − true| end of life over the true cycles left at the start.
    pub relative: f64,
}

impl Errors {
    /// The errors of the end of life `eol` gives each prediction.
    pub fn of(predictions: &[&Prediction], eol: impl Fn(&Prediction) -> f64) -> Self {
        let n = predictions.len();
        let errors: Vec<f64> = predictions
            .iter()
            .map(|p| (eol(p) - p.true_eol as f64).abs())
            .collect();
        let relative: f64 = predictions
            .iter()
            .zip(&errors)
            .map(|(p, e)| e / p.true_rul().max(1.0))
            .sum();
        let mean = |sum: f64| if n == 0 { f64::NAN } else { sum / n as f64 };
        Self {
            predictions: n,
            mae_cycles: mean(errors.iter().sum()),
            median_cycles: median(&errors).unwrap_or(f64::NAN),
            relative: mean(relative),
        }
    }
}

/// How often the intervals held the truth: (covered, predictions with an interval).
pub fn coverage(predictions: &[&Prediction]) -> (usize, usize) {
    predictions
        .iter()
        .filter_map(|p| p.covered())
        .fold((0, 0), |(inside, n), c| (inside + usize::from(c), n + 1))
}
