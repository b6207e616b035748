//! The trained RUL model: normalisation, features and a weighted ensemble of learners,
//! trained from run-to-failure series and serialisable as a versioned artifact.

use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::conditions::ConditionNormalizer;
use super::data::{CycleRecord, N_SENSORS, UnitSeries};
use super::error::{CmapssError, Result};
use super::features::{FeatureSpec, unit_features};
use super::intervals::IntervalCalibration;
use super::learners::{Design, Learner, LearnerParams};

/// Version of the artifact layout; [`RulModel::load`] refuses other versions.
pub const FORMAT_VERSION: u32 = 1;

/// How to train a model.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TrainConfig {
    /// Training targets are `min(RUL, rul_cap)` (piecewise-linear RUL: wear is invisible
    /// early in life), and predictions are clipped to `[0, rul_cap]`.
    pub rul_cap: f64,
    /// Features; an empty `sensors` list means "every informative sensor of the data".
    pub features: FeatureSpec,
    /// Learners of the ensemble.
    pub members: Vec<LearnerParams>,
    /// Ensemble weights, one per member (normalised to sum 1 when training).
    pub weights: Vec<f64>,
}

/// Where a model came from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TrainingMetadata {
    /// Data subset name, e.g. `FD001`.
    pub subset: String,
    /// Training file as given to the trainer.
    pub train_file: String,
    /// Number of training units.
    pub n_units: usize,
    /// Number of training rows (one per cycle).
    pub n_rows: usize,
    /// Seconds spent fitting the final model.
    pub train_seconds: f64,
    /// Cross-validation estimate on the training units, when computed.
    pub cv: Option<CvSummary>,
    /// Version of this crate that trained the model.
    pub crate_version: String,
}

/// A cross-validation estimate, as stored in artifacts and printed by the benchmark.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CvSummary {
    /// Number of folds (grouped by unit).
    pub folds: usize,
    /// Number of validation cuts scored.
    pub n_cuts: usize,
    /// RMSE against the capped true RUL.
    pub rmse: f64,
    /// PHM08 score per 100 cuts (comparable to a 100-unit test set), capped truth.
    pub phm08_per_100: f64,
    /// RMSE against the true (uncapped) RUL, the truth the test figures use; absent in
    /// artifacts written before it was computed.
    #[serde(default)]
    pub rmse_true: Option<f64>,
}

impl CvSummary {
    /// The line the benchmark prints for the estimate.
    pub fn log_line(&self, subset: &str, seconds: f64) -> String {
        let rmse_true = self
            .rmse_true
            .map_or_else(|| "n/a".to_owned(), |r| format!("{r:.2}"));
        format!(
            "{subset} cv rmse={rmse_true} rmse_capped={:.2} phm08_per_100_capped={:.2} \
             cuts={} folds={} cv_s={seconds:.1}",
            self.rmse, self.phm08_per_100, self.n_cuts, self.folds
        )
    }
}

/// Point predictions, and their `(low, high)` intervals when the model has them.
pub type Predictions = (Vec<f64>, Option<Vec<(f64, f64)>>);

/// A trained RUL model; the content of an artifact file.
#[derive(Debug, Serialize, Deserialize)]
pub struct RulModel {
    /// Model identity, e.g. `cmapss-fd001-v2`.
    pub model_version: String,
    /// Artifact layout version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// The configuration it was trained with.
    pub config: TrainConfig,
    /// The feature columns actually used (sensors resolved).
    pub feature_spec: FeatureSpec,
    /// Names of the feature columns, for inspection.
    pub feature_names: Vec<String>,
    /// Per-condition normalisation statistics of the training data.
    pub normalizer: ConditionNormalizer,
    /// Fitted learners.
    pub members: Vec<Learner>,
    /// Ensemble weights (sum 1).
    pub weights: Vec<f64>,
    /// Training metadata.
    pub metadata: TrainingMetadata,
    /// Prediction intervals calibrated on out-of-fold residuals, when computed (models
    /// written before intervals existed have none).
    #[serde(default)]
    pub intervals: Option<IntervalCalibration>,
}

/// Training rows of `units`: every cycle, target `min(RUL, cap)`.
pub fn training_design(
    spec: &FeatureSpec,
    normalizer: &ConditionNormalizer,
    units: &[UnitSeries],
    rul_cap: f64,
) -> Design {
    let mut design = Design {
        n_features: spec.len(),
        ..Design::default()
    };
    for unit in units {
        let rows = unit_features(spec, normalizer, unit);
        let last = unit.cycles.last().map_or(0, |r| r.cycle);
        for (i, record) in unit.cycles.iter().enumerate() {
            let rul = f64::from(last - record.cycle);
            design.push(rows.row(i), rul.min(rul_cap));
        }
    }
    design
}

/// Normalised ensemble weights; errors if they do not match the members.
pub fn normalised_weights(weights: &[f64], n_members: usize) -> Result<Vec<f64>> {
    let total: f64 = weights.iter().sum();
    if weights.len() != n_members
        || n_members == 0
        || weights.iter().any(|w| !w.is_finite() || *w < 0.0)
        || total <= 0.0
    {
        return Err(CmapssError::Training(format!(
            "need {n_members} non-negative ensemble weights with a positive sum, got {weights:?}"
        )));
    }
    Ok(weights.iter().map(|w| w / total).collect())
}

/// Blends member predictions (`per_member[m][row]`) and clips to `[0, cap]`.
pub fn blend(per_member: &[Vec<f64>], weights: &[f64], cap: f64) -> Vec<f64> {
    let rows = per_member.first().map_or(0, Vec::len);
    (0..rows)
        .map(|r| {
            per_member
                .iter()
                .zip(weights)
                .map(|(p, w)| w * p[r])
                .sum::<f64>()
                .clamp(0.0, cap)
        })
        .collect()
}

impl RulModel {
    /// Trains on run-to-failure `units` (each unit's last cycle is its failure).
    ///
    /// `model_version` names the model; `subset` and `train_file` are recorded.
    pub fn train(
        units: &[UnitSeries],
        config: &TrainConfig,
        model_version: &str,
        subset: &str,
        train_file: &str,
    ) -> Result<Self> {
        let start = Instant::now();
        let weights = normalised_weights(&config.weights, config.members.len())?;
        let normalizer = ConditionNormalizer::fit(units)?;
        let feature_spec = resolve_spec(&config.features, &normalizer);
        if feature_spec.is_empty() {
            return Err(CmapssError::Training("no features to train on".to_owned()));
        }
        let design = training_design(&feature_spec, &normalizer, units, config.rul_cap);
        let members = config
            .members
            .iter()
            .map(|p| Learner::fit(p, &design))
            .collect::<Result<Vec<_>>>()?;
        Ok(RulModel {
            model_version: model_version.to_owned(),
            format_version: FORMAT_VERSION,
            config: config.clone(),
            feature_names: feature_spec.names(),
            feature_spec,
            normalizer,
            members,
            weights,
            metadata: TrainingMetadata {
                subset: subset.to_owned(),
                train_file: train_file.to_owned(),
                n_units: units.len(),
                n_rows: design.n_rows(),
                train_seconds: start.elapsed().as_secs_f64(),
                cv: None,
                crate_version: env!("CARGO_PKG_VERSION").to_owned(),
            },
            intervals: None,
        })
    }

    /// Predicts from row-major feature rows (columns as in [`RulModel::feature_names`]).
    pub fn predict_features(&self, x: &[f64]) -> Vec<f64> {
        let n = self.feature_spec.len();
        let per_member: Vec<Vec<f64>> = self.members.iter().map(|m| m.predict(x, n)).collect();
        blend(&per_member, &self.weights, self.config.rul_cap)
    }

    /// Remaining useful life, in cycles, after the last cycle of `history`.
    ///
    /// `history` is one unit's cycles in increasing cycle order, from its first cycle.
    pub fn predict_rul(&self, history: &[CycleRecord]) -> Result<f64> {
        if history.is_empty() {
            return Err(CmapssError::InvalidData(
                "cannot predict from an empty history".to_owned(),
            ));
        }
        if history.windows(2).any(|w| w[1].cycle <= w[0].cycle) {
            return Err(CmapssError::InvalidData(
                "history cycles must be strictly increasing".to_owned(),
            ));
        }
        let unit = UnitSeries {
            unit: 0,
            cycles: history.to_vec(),
        };
        let rows = unit_features(&self.feature_spec, &self.normalizer, &unit);
        let last = rows.row(rows.n_rows() - 1);
        Ok(self.predict_features(last)[0])
    }

    /// RUL after the last cycle of each unit with its interval `(low, high)`, when the
    /// model has calibrated intervals.
    pub fn predict_units_with_intervals(&self, units: &[UnitSeries]) -> Result<Predictions> {
        let predicted = self.predict_units(units)?;
        let intervals = self
            .intervals
            .as_ref()
            .map(|cal| predicted.iter().map(|&p| cal.interval(p)).collect());
        Ok((predicted, intervals))
    }

    /// RUL after the last cycle of each unit, in order.
    pub fn predict_units(&self, units: &[UnitSeries]) -> Result<Vec<f64>> {
        let mut x = Vec::with_capacity(units.len() * self.feature_spec.len());
        for unit in units {
            if unit.cycles.is_empty() {
                return Err(CmapssError::InvalidData(format!(
                    "unit {} has no cycles",
                    unit.unit
                )));
            }
            let rows = unit_features(&self.feature_spec, &self.normalizer, unit);
            x.extend_from_slice(rows.row(rows.n_rows() - 1));
        }
        Ok(self.predict_features(&x))
    }

    /// Writes the model as JSON.
    pub fn save(&self, path: &Path) -> Result<()> {
        let artifact_error = |message: String| CmapssError::Artifact {
            path: path.to_path_buf(),
            message,
        };
        let json = serde_json::to_string(self).map_err(|e| artifact_error(e.to_string()))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| artifact_error(e.to_string()))?;
        }
        std::fs::write(path, json + "\n").map_err(|e| artifact_error(e.to_string()))
    }

    /// Reads a model written by [`RulModel::save`].
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|error| CmapssError::Io {
            path: path.to_path_buf(),
            error,
        })?;
        Self::from_json(&text).map_err(|e| match e {
            CmapssError::Artifact { message, .. } => CmapssError::Artifact {
                path: path.to_path_buf(),
                message,
            },
            other => other,
        })
    }

    /// Parses a model from JSON text, checking its format version and consistency.
    pub fn from_json(text: &str) -> Result<Self> {
        let artifact_error = |message: String| CmapssError::Artifact {
            path: "<json>".into(),
            message,
        };
        // Read the version first so an old or future layout gets a clear message
        // instead of a field-by-field decoding error.
        #[derive(Deserialize)]
        struct Header {
            format_version: u32,
        }
        let header: Header =
            serde_json::from_str(text).map_err(|e| artifact_error(e.to_string()))?;
        if header.format_version != FORMAT_VERSION {
            return Err(artifact_error(format!(
                "format version {} is not supported (this build reads {FORMAT_VERSION})",
                header.format_version
            )));
        }
        let model: RulModel =
            serde_json::from_str(text).map_err(|e| artifact_error(e.to_string()))?;
        if model.members.len() != model.weights.len()
            || model.feature_names.len() != model.feature_spec.len()
            || model.members.is_empty()
        {
            return Err(artifact_error(
                "inconsistent members, weights or features".to_owned(),
            ));
        }
        if model.feature_spec.sensors.iter().any(|&s| s >= N_SENSORS)
            || model.normalizer.centres.is_empty()
            || model.normalizer.sensor_mean.len() != model.normalizer.centres.len()
            || model.normalizer.sensor_std.len() != model.normalizer.centres.len()
        {
            return Err(artifact_error(
                "inconsistent sensors or normalisation".to_owned(),
            ));
        }
        if let Some(cal) = &model.intervals {
            cal.validate().map_err(|e| artifact_error(e.to_string()))?;
        }
        // Tree indices and coefficient lengths are checked too, so a damaged file fails
        // here rather than panicking in a prediction.
        for member in &model.members {
            member
                .validate(model.feature_spec.len())
                .map_err(|e| artifact_error(e.to_string()))?;
        }
        Ok(model)
    }
}

/// `spec` with an empty sensor list replaced by the informative sensors.
pub fn resolve_spec(spec: &FeatureSpec, normalizer: &ConditionNormalizer) -> FeatureSpec {
    let mut resolved = spec.clone();
    if resolved.sensors.is_empty() {
        resolved.sensors = normalizer.informative_sensors.clone();
    }
    resolved
}
