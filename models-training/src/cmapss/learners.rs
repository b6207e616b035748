//! The regressors of the ensemble: gradient-boosted trees (forust-ml) and ridge
//! regression (linfa-linear), behind one fit/predict interface.

use forust_ml::GradientBooster;
use forust_ml::objective::ObjectiveType;
use forust_ml::sampler::SampleMethod;
use linfa::prelude::*;
use linfa_linear::LinearRegression;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::error::{CmapssError, Result};
use super::trees::CompactBooster;

/// A row-major design matrix with its targets.
#[derive(Debug, Clone, Default)]
pub struct Design {
    /// Number of columns.
    pub n_features: usize,
    /// `rows * n_features` values.
    pub x: Vec<f64>,
    /// One target per row.
    pub y: Vec<f64>,
}

impl Design {
    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.y.len()
    }

    /// Appends one row.
    pub fn push(&mut self, row: &[f64], target: f64) {
        debug_assert_eq!(row.len(), self.n_features);
        self.x.extend_from_slice(row);
        self.y.push(target);
    }
}

/// Column-major copy of row-major `x`, the layout forust-ml reads.
fn column_major(x: &[f64], n_features: usize) -> Vec<f64> {
    let rows = x.len().checked_div(n_features).unwrap_or(0);
    let mut out = vec![0.0; x.len()];
    for r in 0..rows {
        for c in 0..n_features {
            out[c * rows + r] = x[r * n_features + c];
        }
    }
    out
}

/// Hyperparameters of a gradient-boosted tree model (squared loss).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GbmParams {
    /// Number of trees.
    pub iterations: usize,
    /// Shrinkage of each tree.
    pub learning_rate: f32,
    /// Maximum tree depth.
    pub max_depth: usize,
    /// Minimum hessian sum (= rows, for squared loss) in a leaf.
    pub min_leaf_weight: f32,
    /// L2 penalty on leaf weights.
    pub l2: f32,
    /// Share of rows sampled for each tree.
    pub subsample: f32,
    /// Share of columns sampled for each tree.
    pub colsample_bytree: f64,
    /// Histogram bins per feature.
    pub nbins: u16,
    /// Seed of the row and column sampling.
    pub seed: u64,
}

/// Hyperparameters of ridge regression on standardised features.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RidgeParams {
    /// L2 penalty `lambda` of `mean((y - Xw)^2) + lambda * |w|^2` on standardised
    /// features (the intercept is not penalised).
    pub penalty: f64,
}

/// Which learner to fit.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LearnerParams {
    /// Gradient-boosted trees.
    Gbm(GbmParams),
    /// Ridge regression.
    Ridge(RidgeParams),
}

/// A fitted ridge model, stored with the standardisation it was fitted on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RidgeModel {
    /// Per-feature mean subtracted before the dot product.
    pub mean: Vec<f64>,
    /// Per-feature scale divided by before the dot product.
    pub scale: Vec<f64>,
    /// Coefficients on the standardised features.
    pub coefficients: Vec<f64>,
    /// Intercept.
    pub intercept: f64,
}

impl RidgeModel {
    fn predict_row(&self, row: &[f64]) -> f64 {
        row.iter()
            .zip(&self.mean)
            .zip(&self.scale)
            .zip(&self.coefficients)
            .fold(self.intercept, |acc, (((x, m), s), c)| {
                ((x - m) / s).mul_add(*c, acc)
            })
    }
}

/// A fitted learner.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Learner {
    /// Gradient-boosted trees, fitted by forust-ml and kept in compact form.
    Gbm {
        /// The trees.
        booster: CompactBooster,
    },
    /// Ridge regression.
    Ridge {
        /// The fitted coefficients.
        model: RidgeModel,
    },
}

impl std::fmt::Debug for Learner {
    // Thousands of trees are no use in a debug print; show their size instead.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Learner::Gbm { booster } => f
                .debug_struct("Gbm")
                .field("trees", &booster.trees.len())
                .field("nodes", &booster.n_nodes())
                .finish(),
            Learner::Ridge { model } => f.debug_struct("Ridge").field("model", model).finish(),
        }
    }
}

impl Learner {
    /// Fits a learner on `design`.
    pub fn fit(params: &LearnerParams, design: &Design) -> Result<Self> {
        if design.n_rows() == 0 || design.n_features == 0 {
            return Err(CmapssError::Training("empty design matrix".to_owned()));
        }
        match params {
            LearnerParams::Gbm(p) => fit_gbm(p, design),
            LearnerParams::Ridge(p) => fit_ridge(p, design),
        }
    }

    /// Checks the fitted parameters against the number of features (for loaded models).
    pub fn validate(&self, n_features: usize) -> Result<()> {
        match self {
            Learner::Gbm { booster } => booster
                .trees
                .iter()
                .try_for_each(|tree| tree.validate(n_features)),
            Learner::Ridge { model } => {
                if model.mean.len() == n_features
                    && model.scale.len() == n_features
                    && model.coefficients.len() == n_features
                {
                    Ok(())
                } else {
                    Err(CmapssError::InvalidData(
                        "ridge coefficients do not match the features".to_owned(),
                    ))
                }
            }
        }
    }

    /// Predicts every row of the row-major matrix `x` with `n_features` columns.
    pub fn predict(&self, x: &[f64], n_features: usize) -> Vec<f64> {
        match self {
            Learner::Gbm { booster } => x
                .chunks_exact(n_features)
                .map(|row| booster.predict_row(row))
                .collect(),
            Learner::Ridge { model } => x
                .chunks_exact(n_features)
                .map(|row| model.predict_row(row))
                .collect(),
        }
    }
}

fn fit_gbm(p: &GbmParams, design: &Design) -> Result<Learner> {
    Ok(Learner::Gbm {
        booster: CompactBooster::from_forust(&fit_booster(p, design)?)?,
    })
}

fn fit_booster(p: &GbmParams, design: &Design) -> Result<GradientBooster> {
    let training = |e: forust_ml::errors::ForustError| CmapssError::Training(e.to_string());
    let mut booster = GradientBooster::default()
        .set_objective_type(ObjectiveType::SquaredLoss)
        .set_iterations(p.iterations)
        .set_learning_rate(p.learning_rate)
        .set_max_depth(p.max_depth)
        .set_min_leaf_weight(p.min_leaf_weight)
        .set_l2(p.l2)
        .set_subsample(p.subsample)
        .set_colsample_bytree(p.colsample_bytree)
        .set_nbins(p.nbins)
        .set_seed(p.seed)
        .set_sample_method(if p.subsample < 1.0 {
            SampleMethod::Random
        } else {
            SampleMethod::None
        })
        .set_initialize_base_score(true)
        .set_parallel(true);
    let data = column_major(&design.x, design.n_features);
    let matrix = forust_ml::Matrix::new(&data, design.n_rows(), design.n_features);
    let weights = vec![1.0; design.n_rows()];
    booster
        .fit(&matrix, &design.y, &weights, None)
        .map_err(training)?;
    Ok(booster)
}

fn fit_ridge(p: &RidgeParams, design: &Design) -> Result<Learner> {
    let (n, d) = (design.n_rows(), design.n_features);
    let mut mean = vec![0.0; d];
    let mut sq = vec![0.0; d];
    for row in design.x.chunks_exact(d) {
        for (j, v) in row.iter().enumerate() {
            mean[j] += v;
            sq[j] += v * v;
        }
    }
    let scale: Vec<f64> = mean
        .iter_mut()
        .zip(&sq)
        .map(|(m, s)| {
            *m /= n as f64;
            // Constant columns get scale 1: their standardised value is 0 either way.
            let sd = (*m).mul_add(-*m, s / n as f64).max(0.0).sqrt();
            if sd > 1e-12 { sd } else { 1.0 }
        })
        .collect();
    let standardised: Vec<f64> = design
        .x
        .chunks_exact(d)
        .flat_map(|row| {
            row.iter()
                .zip(&mean)
                .zip(&scale)
                .map(|((x, m), s)| (x - m) / s)
                .collect::<Vec<_>>()
        })
        .collect();
    // Ridge as ordinary least squares on an augmented system: appending the rows
    // sqrt(n * lambda) * I with target 0 adds n * lambda * |w|^2 to the squared error.
    // linfa-linear's QR solver (pure Rust) handles the strongly correlated window
    // features in one pass, where coordinate descent (linfa-elasticnet) needed minutes.
    let y_mean = design.y.iter().sum::<f64>() / n as f64;
    let mut augmented = standardised;
    let mut targets: Vec<f64> = design.y.iter().map(|y| y - y_mean).collect();
    let diagonal = (n as f64 * p.penalty.max(0.0)).sqrt();
    for j in 0..d {
        augmented.extend((0..d).map(|k| if k == j { diagonal } else { 0.0 }));
        targets.push(0.0);
    }
    let x = Array2::from_shape_vec((n + d, d), augmented)
        .map_err(|e| CmapssError::Training(e.to_string()))?;
    let dataset = linfa::Dataset::new(x, Array1::from(targets));
    let fitted = LinearRegression::new()
        .with_intercept(false)
        .fit(&dataset)
        .map_err(|e| CmapssError::Training(e.to_string()))?;
    Ok(Learner::Ridge {
        model: RidgeModel {
            mean,
            scale,
            coefficients: fitted.params().to_vec(),
            intercept: y_mean,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linear_design() -> Design {
        let mut design = Design {
            n_features: 2,
            ..Design::default()
        };
        for i in 0..200 {
            let a = f64::from(i % 20);
            let b = f64::from(i / 20);
            design.push(&[a, b], 3.0f64.mul_add(a, -2.0 * b) + 5.0);
        }
        design
    }

    #[test]
    fn ridge_recovers_a_linear_function() {
        let design = linear_design();
        let model = Learner::fit(
            &LearnerParams::Ridge(RidgeParams { penalty: 1e-6 }),
            &design,
        )
        .expect("fit");
        let pred = model.predict(&[10.0, 4.0], 2);
        assert!((pred[0] - 27.0).abs() < 0.05, "{pred:?}");
    }

    #[test]
    fn gbm_fits_a_step_function() {
        let mut design = Design {
            n_features: 1,
            ..Design::default()
        };
        for i in 0..400 {
            let x = f64::from(i) / 4.0;
            design.push(&[x], if x < 50.0 { 10.0 } else { 90.0 });
        }
        let params = GbmParams {
            iterations: 100,
            learning_rate: 0.2,
            max_depth: 3,
            min_leaf_weight: 1.0,
            l2: 1.0,
            subsample: 1.0,
            colsample_bytree: 1.0,
            nbins: 64,
            seed: 1,
        };
        let model = Learner::fit(&LearnerParams::Gbm(params.clone()), &design).expect("fit");
        let pred = model.predict(&[10.0, 90.0], 1);
        assert!(
            (pred[0] - 10.0).abs() < 1.0 && (pred[1] - 90.0).abs() < 1.0,
            "{pred:?}"
        );
    }

    #[test]
    fn compact_trees_predict_exactly_like_forust() {
        let mut design = Design {
            n_features: 3,
            ..Design::default()
        };
        for i in 0..500u32 {
            let a = f64::from(i % 37) * 0.3;
            let b = f64::from(i % 11).sin();
            let c = f64::from(i) * 0.01;
            design.push(&[a, b, c], a.mul_add(b, c * c));
        }
        let params = GbmParams {
            iterations: 40,
            learning_rate: 0.1,
            max_depth: 4,
            min_leaf_weight: 2.0,
            l2: 1.0,
            subsample: 1.0,
            colsample_bytree: 1.0,
            nbins: 32,
            seed: 0,
        };
        let booster = fit_booster(&params, &design).expect("fit");
        let compact = CompactBooster::from_forust(&booster).expect("convert");
        let data = column_major(&design.x, 3);
        let matrix = forust_ml::Matrix::new(&data, design.n_rows(), 3);
        let reference = booster.predict(&matrix, false);
        for (row, expected) in design.x.chunks_exact(3).zip(reference) {
            assert_eq!(compact.predict_row(row), expected);
        }
        for tree in &compact.trees {
            tree.validate(3).expect("valid tree");
        }
    }
}
