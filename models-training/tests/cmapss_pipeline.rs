//! End-to-end checks of the C-MAPSS pipeline on the committed FD001 training data.
//! Only training units are used (split into training and held-out units).

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use models_training::cmapss::bench::default_data_dir;
use models_training::cmapss::cv::{CvProtocol, cuts_for_unit};
use models_training::cmapss::features::FeatureSpec;
use models_training::cmapss::learners::{GbmParams, LearnerParams, RidgeParams};
use models_training::cmapss::{RulModel, TrainConfig, UnitSeries, read_series};
use models_training::metrics::rmse;

fn fd001_train() -> Vec<UnitSeries> {
    read_series(&default_data_dir().join("train_FD001.txt")).expect("committed FD001 data")
}

/// A small, fast configuration (debug builds run the tests).
fn small_config() -> TrainConfig {
    let mut features = FeatureSpec::standard(Vec::new());
    features.mean_windows = vec![1, 10];
    features.slope_windows = vec![20];
    features.ewm_alphas = vec![0.1];
    TrainConfig {
        rul_cap: 125.0,
        features,
        members: vec![
            LearnerParams::Gbm(GbmParams {
                iterations: 60,
                learning_rate: 0.1,
                max_depth: 3,
                min_leaf_weight: 20.0,
                l2: 1.0,
                subsample: 0.8,
                colsample_bytree: 0.8,
                nbins: 64,
                seed: 3,
            }),
            LearnerParams::Ridge(RidgeParams { penalty: 1e-3 }),
        ],
        weights: vec![0.7, 0.3],
    }
}

/// Held-out units cut at random cycles: (history, true RUL capped at 125).
fn held_out_cuts(units: &[UnitSeries]) -> Vec<(UnitSeries, f64)> {
    let protocol = CvProtocol::default();
    let mut cuts = Vec::new();
    for (i, unit) in units.iter().enumerate() {
        for n in cuts_for_unit(unit.cycles.len(), i, &protocol)
            .into_iter()
            .take(3)
        {
            cuts.push((
                unit.truncated(n),
                ((unit.cycles.len() - n) as f64).min(125.0),
            ));
        }
    }
    cuts
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("models-test-{}-{name}", std::process::id()))
}

#[test]
fn small_model_beats_the_mean_on_held_out_units() {
    let units = fd001_train();
    let (train, held_out) = units.split_at(30);
    let held_out = &held_out[..15];
    let model = RulModel::train(train, &small_config(), "test-v0", "FD001", "train").unwrap();

    let cuts = held_out_cuts(held_out);
    let truth: Vec<f64> = cuts.iter().map(|c| c.1).collect();
    let predicted: Vec<f64> = cuts
        .iter()
        .map(|(history, _)| model.predict_rul(&history.cycles).unwrap())
        .collect();

    // Baseline: the mean capped RUL of the training rows, predicted for every cut.
    let train_targets: Vec<f64> = train
        .iter()
        .flat_map(|u| {
            (0..u.cycles.len()).map(move |i| ((u.cycles.len() - 1 - i) as f64).min(125.0))
        })
        .collect();
    let mean = train_targets.iter().sum::<f64>() / train_targets.len() as f64;
    let baseline = rmse(&vec![mean; truth.len()], &truth);
    let model_rmse = rmse(&predicted, &truth);
    assert!(
        model_rmse < 0.5 * baseline && model_rmse < 20.0,
        "model rmse {model_rmse:.2} vs mean baseline {baseline:.2}"
    );
    assert!(predicted.iter().all(|p| (0.0..=125.0).contains(p)));
}

#[test]
fn artifact_round_trip_gives_identical_predictions() {
    let units = fd001_train();
    let (train, other) = units.split_at(20);
    let model = RulModel::train(train, &small_config(), "test-v0", "FD001", "train").unwrap();
    let path = temp_path("roundtrip.json");
    model.save(&path).unwrap();
    let loaded = RulModel::load(&path).unwrap();
    std::fs::remove_file(&path).ok();

    let probe: Vec<UnitSeries> = other[..10]
        .iter()
        .map(|u| u.truncated(u.cycles.len() / 2))
        .collect();
    let before = model.predict_units(&probe).unwrap();
    let after = loaded.predict_units(&probe).unwrap();
    assert_eq!(before, after);
    assert_eq!(loaded.model_version, "test-v0");
    assert_eq!(loaded.feature_names, model.feature_names);
    assert_eq!(loaded.normalizer, model.normalizer);
}

#[test]
fn load_rejects_bad_artifacts_with_the_path() {
    let path = temp_path("bad.json");
    std::fs::write(&path, "{\"format_version\": 999}").unwrap();
    let msg = RulModel::load(&path).unwrap_err().to_string();
    std::fs::remove_file(&path).ok();
    assert!(msg.contains("bad.json") && msg.contains("999"), "{msg}");
    let missing = RulModel::load(Path::new("/nonexistent/model.json")).unwrap_err();
    assert!(missing.to_string().contains("/nonexistent/model.json"));
}

#[test]
fn predict_rejects_empty_history() {
    let units = fd001_train();
    let model = RulModel::train(&units[..10], &small_config(), "t", "FD001", "train").unwrap();
    assert!(model.predict_rul(&[]).is_err());
}

#[test]
fn committed_fd001_artifact_loads_and_predicts() {
    let path = models_training::cmapss::bench::default_artifact_dir().join("cmapss-fd001-v2.json");
    let model = RulModel::load(&path).unwrap();
    assert_eq!(model.model_version, "cmapss-fd001-v2");
    assert_eq!(model.metadata.subset, "FD001");
    assert_eq!(model.feature_names.len(), model.feature_spec.len());
    let intervals = model
        .intervals
        .as_ref()
        .expect("the artifact carries 80 % intervals");
    assert!((intervals.level - 0.8).abs() < 1e-12 && intervals.n_residuals == 1000);
    // Training units: one cut early in life, one a few cycles before failure.
    for unit in fd001_train().iter().take(20) {
        let early = model.predict_rul(&unit.cycles[..30]).unwrap();
        let late = model
            .predict_rul(&unit.cycles[..unit.cycles.len() - 5])
            .unwrap();
        assert!((0.0..=125.0).contains(&early) && (0.0..=125.0).contains(&late));
        // Near failure the trend pins the RUL down; early in life it does not.
        let (low, high) = intervals.interval(late);
        let (early_low, early_high) = intervals.interval(early);
        assert!(low <= late && late <= high && early_low <= early && early <= early_high);
        assert!(high - low < early_high - early_low);
        assert!(
            late < 40.0 && early > 90.0,
            "unit {}: early {early}, late {late}",
            unit.unit
        );
    }
}

/// FD001 units moved into six synthetic operating conditions (FD002-like settings; each
/// condition scales and shifts every sensor far more than wear does), chosen per row.
fn six_condition_copy(units: &[UnitSeries]) -> Vec<UnitSeries> {
    const CONDITIONS: [[f64; 3]; 6] = [
        [42.0, 0.84, 100.0],
        [35.0, 0.84, 100.0],
        [25.0, 0.62, 60.0],
        [20.0, 0.25, 100.0],
        [10.0, 0.25, 100.0],
        [0.0, 0.0, 100.0],
    ];
    let mut out = units.to_vec();
    let mut row = 0u64;
    for unit in &mut out {
        for record in &mut unit.cycles {
            row += 1;
            let k = ((row.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 33) % 6) as usize;
            let jitter = f64::from((row % 7) as u32) * 0.000_5;
            record.settings = CONDITIONS[k];
            record.settings[0] += jitter;
            for s in &mut record.sensors {
                *s = (*s).mul_add(0.15f64.mul_add(k as f64, 1.0), 37.0 * k as f64);
            }
        }
    }
    out
}

#[test]
fn per_condition_normalisation_handles_six_conditions() {
    let units = fd001_train();
    let mixed = six_condition_copy(&units[..45]);
    let (train, held_out) = mixed.split_at(30);
    let model = RulModel::train(train, &small_config(), "t", "FD002", "train").unwrap();
    assert_eq!(model.normalizer.centres.len(), 6);
    // The same informative sensors as in FD001 survive the condition offsets.
    assert_eq!(
        model.normalizer.informative_sensors,
        vec![1, 2, 3, 6, 7, 8, 10, 11, 12, 13, 14, 16, 19, 20]
    );
    let cuts = held_out_cuts(held_out);
    let truth: Vec<f64> = cuts.iter().map(|c| c.1).collect();
    let predicted: Vec<f64> = cuts
        .iter()
        .map(|(history, _)| model.predict_rul(&history.cycles).unwrap())
        .collect();
    let mixed_rmse = rmse(&predicted, &truth);

    let plain = RulModel::train(&units[..30], &small_config(), "t", "FD001", "train").unwrap();
    let plain_cuts = held_out_cuts(&units[30..45]);
    let plain_predicted: Vec<f64> = plain_cuts
        .iter()
        .map(|(history, _)| plain.predict_rul(&history.cycles).unwrap())
        .collect();
    let plain_rmse = rmse(&plain_predicted, &truth);
    assert!(
        mixed_rmse < 1.3 * plain_rmse,
        "six conditions: {mixed_rmse:.2}, one condition: {plain_rmse:.2}"
    );
}

/// The benchmark pipeline end to end on a kept subset, small enough for CI: the family's
/// configuration with a small GBM, and a 3-fold cross-validation for the intervals.
fn short_run(subset: &str) -> models_training::cmapss::bench::BenchReport {
    use models_training::cmapss::bench::{self, BenchOptions};
    let mut options = BenchOptions::subset(&default_data_dir(), subset);
    let config = &mut options.config;
    config.members = vec![LearnerParams::Gbm(GbmParams {
        iterations: 120,
        learning_rate: 0.1,
        max_depth: 6,
        min_leaf_weight: 100.0,
        l2: 1.0,
        subsample: 0.6,
        colsample_bytree: 0.3,
        nbins: 64,
        seed: 1,
    })];
    config.weights = vec![1.0];
    options.protocol = CvProtocol {
        folds: 3,
        cuts_per_unit: 4,
        ..CvProtocol::default()
    };
    bench::run(&options, &mut |_| {}).unwrap()
}

/// Pins a short run's figures (measured, plus a margin for platform float differences):
/// a change that makes the pipeline worse on a subset fails here.
fn assert_short_run(subset: &str, max_rmse: f64, max_rmse_capped: f64) {
    let report = short_run(subset);
    let coverage = report.coverage80.unwrap();
    println!(
        "{} / {} coverage80={coverage:.3}",
        report.result_line(),
        report.literature_line()
    );
    assert!(
        report.rmse <= max_rmse && report.rmse_capped <= max_rmse_capped,
        "{subset}: rmse {:.2} (pinned {max_rmse}), capped {:.2} (pinned {max_rmse_capped})",
        report.rmse,
        report.rmse_capped
    );
    assert!(
        (0.70..=0.92).contains(&coverage),
        "{subset}: 80 % intervals cover {coverage:.3}"
    );
}

#[test]
fn short_run_fd001_holds_its_figures() {
    // Measured: rmse 11.36, capped 10.27, coverage 0.790.
    assert_short_run("FD001", 11.9, 10.8);
}

#[test]
fn short_run_fd002_holds_its_figures() {
    // Measured: rmse 22.34, capped 10.01, coverage 0.861.
    assert_short_run("FD002", 22.9, 10.5);
}

#[test]
fn short_run_fd004_holds_its_figures() {
    // Measured: rmse 23.21, capped 10.11, coverage 0.871.
    assert_short_run("FD004", 23.8, 10.6);
}
