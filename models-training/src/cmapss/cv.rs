//! Cross-validation on the training units only, mimicking the test protocol.
//!
//! Units are split into folds (grouped: all cycles of a unit are in one fold, otherwise
//! neighbouring cycles of the same engine would leak between training and validation).
//! Each held-out run-to-failure unit is cut at several random cycles, as the test units
//! are cut "some time prior to system failure", and the model predicts the RUL at the
//! cut from the history up to it. Predictions are scored against the capped true RUL.
//! The test files are never read here.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::conditions::ConditionNormalizer;
use super::data::UnitSeries;
use super::error::{CmapssError, Result};
use super::features::unit_features;
use super::learners::Learner;
use super::model::{CvSummary, TrainConfig, blend, resolve_spec, training_design};
use crate::metrics::{phm08_score, rmse};

/// How the validation folds and cuts are drawn.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CvProtocol {
    /// Number of folds.
    pub folds: usize,
    /// Random cuts per held-out unit.
    pub cuts_per_unit: usize,
    /// A cut leaves at least this many observed cycles (or the whole unit if shorter).
    pub min_history: usize,
    /// Seed of the fold assignment and the cuts.
    pub seed: u64,
}

impl Default for CvProtocol {
    fn default() -> Self {
        CvProtocol {
            folds: 5,
            cuts_per_unit: 10,
            min_history: 20,
            seed: 20_080_906,
        }
    }
}

/// Out-of-fold predictions of every ensemble member at every validation cut.
#[derive(Debug, Clone, Default)]
pub struct OutOfFold {
    /// `member_predictions[m][cut]`, unclipped.
    pub member_predictions: Vec<Vec<f64>>,
    /// True RUL at each cut (uncapped).
    pub truth: Vec<f64>,
}

impl OutOfFold {
    /// Truth capped like the training target.
    pub fn capped_truth(&self, cap: f64) -> Vec<f64> {
        self.truth.iter().map(|t| t.min(cap)).collect()
    }

    /// The members' predictions blended with `weights` and clipped to `[0, cap]`.
    pub fn blended(&self, weights: &[f64], cap: f64) -> Vec<f64> {
        blend(&self.member_predictions, weights, cap)
    }

    /// Scores the blend of the members with `weights`.
    pub fn summary(&self, weights: &[f64], cap: f64, folds: usize) -> CvSummary {
        let predicted = self.blended(weights, cap);
        let truth = self.capped_truth(cap);
        CvSummary {
            folds,
            n_cuts: truth.len(),
            rmse: rmse(&predicted, &truth),
            phm08_per_100: phm08_score(&predicted, &truth) * 100.0 / truth.len().max(1) as f64,
            rmse_true: Some(rmse(&predicted, &self.truth)),
        }
    }
}

/// Fold of each unit (by position in `units`), balanced and shuffled with `seed`.
pub fn fold_assignment(n_units: usize, folds: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n_units).collect();
    order.shuffle(&mut StdRng::seed_from_u64(seed));
    let mut fold = vec![0; n_units];
    for (position, &unit) in order.iter().enumerate() {
        fold[unit] = position % folds;
    }
    fold
}

/// Number of observed cycles at each cut of a unit with `len` cycles.
///
/// Seeded by the unit's position, so the cuts do not depend on the fold layout or on the
/// model being evaluated: every configuration is scored on the same cuts.
pub fn cuts_for_unit(len: usize, index: usize, protocol: &CvProtocol) -> Vec<usize> {
    let mut rng = StdRng::seed_from_u64(protocol.seed ^ (index as u64).wrapping_mul(0x9E37_79B9));
    let low = protocol.min_history.clamp(1, len.max(1));
    (0..protocol.cuts_per_unit)
        .map(|_| rng.random_range(low..=len.max(low)))
        .collect()
}

/// Trains the members of `config` on each fold's training units and predicts its cuts.
pub fn out_of_fold(
    units: &[UnitSeries],
    config: &TrainConfig,
    protocol: &CvProtocol,
) -> Result<OutOfFold> {
    if protocol.folds < 2 || units.len() < protocol.folds {
        return Err(CmapssError::InvalidData(format!(
            "{} folds need at least as many units, have {}",
            protocol.folds.max(2),
            units.len()
        )));
    }
    let fold = fold_assignment(units.len(), protocol.folds, protocol.seed);
    let mut oof = OutOfFold {
        member_predictions: vec![Vec::new(); config.members.len()],
        truth: Vec::new(),
    };
    for f in 0..protocol.folds {
        let train: Vec<UnitSeries> = units
            .iter()
            .zip(&fold)
            .filter(|(_, k)| **k != f)
            .map(|(u, _)| u.clone())
            .collect();
        // Normalisation statistics come from the fold's training units only.
        let normalizer = ConditionNormalizer::fit(&train)?;
        let spec = resolve_spec(&config.features, &normalizer);
        let design = training_design(&spec, &normalizer, &train, config.rul_cap);
        let mut x = Vec::new();
        for (index, unit) in units.iter().enumerate().filter(|(i, _)| fold[*i] == f) {
            let rows = unit_features(&spec, &normalizer, unit);
            for n in cuts_for_unit(unit.cycles.len(), index, protocol) {
                x.extend_from_slice(rows.row(n - 1));
                oof.truth.push((unit.cycles.len() - n) as f64);
            }
        }
        for (m, params) in config.members.iter().enumerate() {
            let learner = Learner::fit(params, &design)?;
            oof.member_predictions[m].extend(learner.predict(&x, spec.len()));
        }
    }
    Ok(oof)
}

/// Ensemble weights on a grid of step `1/steps` over the simplex that minimise the
/// out-of-fold RMSE of the clipped blend (ties keep the first, i.e. more weight on
/// earlier members).
pub fn choose_weights(oof: &OutOfFold, cap: f64, steps: usize) -> Vec<f64> {
    let m = oof.member_predictions.len();
    let truth = oof.capped_truth(cap);
    let mut best = (f64::INFINITY, vec![1.0 / m as f64; m]);
    let mut counts = vec![0usize; m];
    // Enumerate all compositions of `steps` into `m` parts.
    fn visit(
        counts: &mut Vec<usize>,
        position: usize,
        remaining: usize,
        f: &mut dyn FnMut(&[usize]),
    ) {
        if position + 1 == counts.len() {
            counts[position] = remaining;
            f(counts);
            return;
        }
        for k in (0..=remaining).rev() {
            counts[position] = k;
            visit(counts, position + 1, remaining - k, f);
        }
    }
    if m == 0 {
        return Vec::new();
    }
    visit(&mut counts, 0, steps.max(1), &mut |c: &[usize]| {
        let w: Vec<f64> = c.iter().map(|&k| k as f64 / steps.max(1) as f64).collect();
        let score = rmse(&blend(&oof.member_predictions, &w, cap), &truth);
        if score < best.0 - 1e-12 {
            best = (score, w);
        }
    });
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_balanced_and_deterministic() {
        let a = fold_assignment(23, 5, 7);
        assert_eq!(a, fold_assignment(23, 5, 7));
        for f in 0..5 {
            let n = a.iter().filter(|&&k| k == f).count();
            assert!(n == 4 || n == 5, "{n}");
        }
    }

    #[test]
    fn cuts_stay_inside_the_unit() {
        let protocol = CvProtocol::default();
        for len in [1, 5, 20, 21, 300] {
            for n in cuts_for_unit(len, 3, &protocol) {
                assert!(n >= 1 && n <= len, "{n} of {len}");
                assert!(len < protocol.min_history || n >= protocol.min_history);
            }
        }
        assert_eq!(
            cuts_for_unit(200, 3, &protocol),
            cuts_for_unit(200, 3, &protocol)
        );
    }

    #[test]
    fn weights_prefer_the_accurate_member() {
        let oof = OutOfFold {
            member_predictions: vec![vec![10.0, 20.0, 30.0], vec![0.0, 0.0, 0.0]],
            truth: vec![10.0, 20.0, 30.0],
        };
        assert_eq!(choose_weights(&oof, 125.0, 10), vec![1.0, 0.0]);
    }
}
