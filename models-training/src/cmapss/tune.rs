//! Hyperparameter and feature selection by cross-validation on the training units.
//!
//! A coordinate search: starting from a base configuration, each dimension in turn is
//! set to the value with the lowest out-of-fold RMSE (capped truth) while the others
//! stay fixed. Only the training file is read. The winner is what
//! [`super::bench::default_config`] hard-codes, with the search log in the README.

use std::collections::HashMap;

use super::cv::{CvProtocol, out_of_fold};
use super::data::UnitSeries;
use super::error::Result;
use super::learners::LearnerParams;
use super::model::{CvSummary, TrainConfig};
use crate::metrics::rmse;

/// A setter applied to a configuration, with a label for the log.
pub type Choice = (String, Box<dyn Fn(&mut TrainConfig)>);

/// One search dimension.
pub struct Dimension {
    /// Name in the log.
    pub name: String,
    /// Choices; the first one is the base configuration's.
    pub choices: Vec<Choice>,
    /// Choices modify the current best rather than set a value (feature-set edits), so
    /// accepted choices accumulate in the label.
    pub cumulative: bool,
}

impl std::fmt::Debug for Dimension {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let labels: Vec<&str> = self.choices.iter().map(|c| c.0.as_str()).collect();
        f.debug_struct("Dimension")
            .field("name", &self.name)
            .field("choices", &labels)
            .field("cumulative", &self.cumulative)
            .finish()
    }
}

fn dimension(name: &str, choices: Vec<Choice>) -> Dimension {
    Dimension {
        name: name.to_owned(),
        choices,
        cumulative: false,
    }
}

fn gbm_choice(label: &str, f: impl Fn(&mut super::learners::GbmParams) + 'static) -> Choice {
    (
        label.to_owned(),
        Box::new(move |config: &mut TrainConfig| {
            for member in &mut config.members {
                if let LearnerParams::Gbm(p) = member {
                    f(p);
                }
            }
        }),
    )
}

/// The search space of the GBM and the features.
pub fn search_space() -> Vec<Dimension> {
    let mut dims: Vec<Dimension> = Vec::new();
    dims.push(dimension(
        "max_depth",
        [5usize, 4, 6, 7, 8]
            .into_iter()
            .map(|d| gbm_choice(&d.to_string(), move |p| p.max_depth = d))
            .collect(),
    ));
    dims.push(dimension(
        "min_leaf_weight",
        [20.0f32, 5.0, 50.0, 100.0, 200.0, 400.0]
            .into_iter()
            .map(|w| gbm_choice(&w.to_string(), move |p| p.min_leaf_weight = w))
            .collect(),
    ));
    dims.push(dimension(
        "colsample_bytree",
        [0.5f64, 0.2, 0.3, 0.8]
            .into_iter()
            .map(|c| gbm_choice(&c.to_string(), move |p| p.colsample_bytree = c))
            .collect(),
    ));
    dims.push(dimension(
        "subsample",
        [0.8f32, 0.4, 0.6, 1.0]
            .into_iter()
            .map(|s| gbm_choice(&s.to_string(), move |p| p.subsample = s))
            .collect(),
    ));
    dims.push(dimension(
        "learning_rate x iterations",
        [(0.03f32, 600usize), (0.015, 1200), (0.06, 300)]
            .into_iter()
            .map(|(lr, it)| {
                gbm_choice(&format!("{lr}x{it}"), move |p| {
                    p.learning_rate = lr;
                    p.iterations = it;
                })
            })
            .collect(),
    ));
    dims.push(dimension(
        "l2",
        [1.0f32, 10.0]
            .into_iter()
            .map(|l2| gbm_choice(&l2.to_string(), move |p| p.l2 = l2))
            .collect(),
    ));
    let feature = |label: &str, f: fn(&mut super::features::FeatureSpec)| -> Choice {
        (
            label.to_owned(),
            Box::new(move |config: &mut TrainConfig| f(&mut config.features)),
        )
    };
    dims.push(dimension(
        "features",
        vec![
            feature("standard", |_| {}),
            feature("no drift", |s| s.drift_window = 0),
            feature("no ewm", |s| s.ewm_alphas.clear()),
            feature("+std10,30", |s| s.std_windows = vec![10, 30]),
            feature("means 1,5,10 only", |s| s.mean_windows = vec![1, 5, 10]),
            feature("+mean50 +slope80", |s| {
                s.mean_windows.push(50);
                s.slope_windows.push(80);
            }),
            feature("no cycle", |s| s.include_cycle = false),
        ],
    ));
    if let Some(features) = dims.last_mut() {
        features.cumulative = true;
    }
    dims
}

/// Sweeps of the coordinate search at most.
const MAX_PASSES: usize = 2;

/// One evaluated configuration.
#[derive(Debug, Clone)]
pub struct Trial {
    /// `dimension=value` labels of the configuration.
    pub label: String,
    /// Its cross-validation score (single member or equal-weight blend).
    pub cv: CvSummary,
}

/// Runs the coordinate search from `base`; returns the best configuration and the log.
pub fn coordinate_search(
    units: &[UnitSeries],
    base: &TrainConfig,
    space: &[Dimension],
    protocol: &CvProtocol,
    log: &mut dyn FnMut(&str),
) -> Result<(TrainConfig, Vec<Trial>)> {
    let mut cache: HashMap<String, CvSummary> = HashMap::new();
    let mut trials = Vec::new();
    let mut best = base.clone();
    let mut labels: Vec<String> = space
        .iter()
        .map(|d| format!("{}={}", d.name, d.choices.first().map_or("", |c| &c.0)))
        .collect();
    let mut evaluate = |config: &TrainConfig, label: String| -> Result<CvSummary> {
        let key = serde_json::to_string(config).unwrap_or_default();
        if let Some(hit) = cache.get(&key) {
            if label.starts_with("chose ") {
                log(&format!("tune {label}"));
            }
            return Ok(hit.clone());
        }
        let oof = out_of_fold(units, config, protocol)?;
        let cv = oof.summary(&config.weights, config.rul_cap, protocol.folds);
        log(&format!(
            "tune {label}: cv rmse={:.3} phm08/100={:.2}",
            cv.rmse, cv.phm08_per_100
        ));
        trials.push(Trial {
            label,
            cv: cv.clone(),
        });
        cache.insert(key, cv.clone());
        Ok(cv)
    };
    let mut best_score = evaluate(&best, labels.join(" "))?.rmse;
    // Up to MAX_PASSES sweeps over the dimensions, stopping when a sweep changes nothing.
    for _pass in 0..MAX_PASSES {
        let before = labels.clone();
        for (d, dim) in space.iter().enumerate() {
            for (value, apply) in &dim.choices {
                let mut candidate = best.clone();
                apply(&mut candidate);
                let mut candidate_labels = labels.clone();
                candidate_labels[d] =
                    if dim.cumulative && Some(value) != dim.choices.first().map(|c| &c.0) {
                        format!("{},{value}", labels[d])
                    } else {
                        format!("{}={value}", dim.name)
                    };
                let score = evaluate(&candidate, candidate_labels.join(" "))?.rmse;
                if score < best_score {
                    best_score = score;
                    best = candidate;
                    labels = candidate_labels;
                }
            }
            evaluate(&best, format!("chose {}", labels[d]))?;
        }
        if labels == before {
            break;
        }
    }
    log(&format!(
        "tune best: {} cv rmse={best_score:.3}",
        labels.join(" ")
    ));
    Ok((best, trials))
}

/// Chooses ensemble weights for `members` by cross-validation and logs each member's
/// own score; returns the configuration with the chosen weights and its CV summary.
///
/// The weights are fitted on the same out-of-fold predictions they are scored on, so
/// the blend's figure is slightly optimistic; the members' own figures are not.
pub fn choose_ensemble(
    units: &[UnitSeries],
    base: &TrainConfig,
    members: Vec<LearnerParams>,
    protocol: &CvProtocol,
    log: &mut dyn FnMut(&str),
) -> Result<(TrainConfig, CvSummary)> {
    let mut config = base.clone();
    config.weights = vec![1.0; members.len()];
    config.members = members;
    let oof = out_of_fold(units, &config, protocol)?;
    for m in 0..config.members.len() {
        let mut alone = vec![0.0; config.members.len()];
        alone[m] = 1.0;
        let cv = oof.summary(&alone, config.rul_cap, protocol.folds);
        log(&format!(
            "ensemble member {m} {}: cv rmse={:.3} phm08/100={:.2}",
            serde_json::to_string(&config.members[m]).unwrap_or_default(),
            cv.rmse,
            cv.phm08_per_100
        ));
    }
    config.weights = super::cv::choose_weights(&oof, config.rul_cap, 20);
    let cv = oof.summary(&config.weights, config.rul_cap, protocol.folds);
    log(&format!(
        "ensemble weights {:?}: cv rmse={:.3} phm08/100={:.2}",
        config.weights, cv.rmse, cv.phm08_per_100
    ));
    Ok((config, cv))
}

/// Training caps [`cap_trade_off`] compares, in cycles (400 is beyond every C-MAPSS
/// test unit's RUL: no cap).
pub const CAP_CHOICES: [f64; 6] = [125.0, 140.0, 160.0, 200.0, 250.0, 400.0];

/// True RUL up to which a cut counts as "near failure" in [`cap_trade_off`]: the range
/// where a prediction drives a maintenance decision.
pub const NEAR_FAILURE: f64 = 100.0;

/// One cap's cross-validated figures.
#[derive(Debug, Clone, PartialEq)]
pub struct CapTrial {
    /// Training cap.
    pub cap: f64,
    /// RMSE against the true RUL over all cuts.
    pub rmse_true: f64,
    /// RMSE against the truth capped at 125 (published convention).
    pub rmse_capped125: f64,
    /// RMSE over the cuts with true RUL up to [`NEAR_FAILURE`].
    pub rmse_near_failure: f64,
}

/// Measures, for each of [`CAP_CHOICES`], the cross-validated RMSE against the true
/// RUL, against the truth capped at 125, and near failure.
///
/// The cap is not chosen from this: the true-RUL figure is dominated by the cuts
/// farthest from failure, whose share depends on where the test units are cut, which
/// the training data cannot tell (uniform cuts over FD004's lives reach 500 cycles of
/// RUL). It shows what a higher cap buys far from failure and costs near it.
pub fn cap_trade_off(
    units: &[UnitSeries],
    base: &TrainConfig,
    protocol: &CvProtocol,
    log: &mut dyn FnMut(&str),
) -> Result<Vec<CapTrial>> {
    let mut trials = Vec::new();
    for cap in CAP_CHOICES {
        let mut config = base.clone();
        config.rul_cap = cap;
        let oof = out_of_fold(units, &config, protocol)?;
        let weights = super::model::normalised_weights(&config.weights, config.members.len())?;
        let predicted = oof.blended(&weights, cap);
        let near: Vec<usize> = (0..oof.truth.len())
            .filter(|&i| oof.truth[i] <= NEAR_FAILURE)
            .collect();
        let pick = |v: &[f64]| near.iter().map(|&i| v[i]).collect::<Vec<f64>>();
        let trial = CapTrial {
            cap,
            rmse_true: rmse(&predicted, &oof.truth),
            rmse_capped125: rmse(&predicted, &oof.capped_truth(125.0)),
            rmse_near_failure: rmse(&pick(&predicted), &pick(&oof.truth)),
        };
        log(&format!(
            "cap={cap}: cv rmse_true={:.2} rmse_capped125={:.2} rmse_true_rul<={NEAR_FAILURE}={:.2} cuts={}",
            trial.rmse_true,
            trial.rmse_capped125,
            trial.rmse_near_failure,
            oof.truth.len()
        ));
        trials.push(trial);
    }
    Ok(trials)
}
