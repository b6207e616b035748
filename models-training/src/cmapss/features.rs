//! Windowed features computed from a unit's cycle history.
//!
//! The features of cycle `t` use only cycles `1..=t`, so the rows of a full training
//! series are exactly the feature rows of every possible truncation of it: one pass over
//! a run-to-failure unit yields a training sample per cycle, and a test unit is scored
//! from the row of its last cycle. Windows longer than the history use what there is.

use serde::{Deserialize, Serialize};

use super::conditions::ConditionNormalizer;
use super::data::UnitSeries;

/// Which features to compute for each informative sensor (standardised per condition).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FeatureSpec {
    /// Sensors used (0-based; sensor `s + 1` in the data set's numbering).
    pub sensors: Vec<usize>,
    /// Mean over the last `w` cycles, for each `w` (1 is the last value).
    pub mean_windows: Vec<usize>,
    /// Least-squares slope over the last `w` cycles, for each `w`; 0 means the whole
    /// history.
    pub slope_windows: Vec<usize>,
    /// Exponentially weighted mean with each smoothing factor `alpha` in (0, 1].
    pub ewm_alphas: Vec<f64>,
    /// Standard deviation over the last `w` cycles, for each `w`.
    pub std_windows: Vec<usize>,
    /// If non-zero `b`: mean of the last `b` cycles minus mean of the first `b`; this
    /// removes the engine's unknown initial wear and manufacturing offset.
    pub drift_window: usize,
    /// Include the number of cycles observed so far.
    pub include_cycle: bool,
}

impl FeatureSpec {
    /// The default feature set, over the given sensors.
    pub fn standard(sensors: Vec<usize>) -> Self {
        FeatureSpec {
            sensors,
            mean_windows: vec![1, 5, 10, 20, 30],
            slope_windows: vec![10, 20, 40, 0],
            ewm_alphas: vec![0.1, 0.3],
            std_windows: vec![],
            drift_window: 20,
            include_cycle: true,
        }
    }

    /// Number of features per row.
    pub fn len(&self) -> usize {
        let per_sensor = self.mean_windows.len()
            + self.slope_windows.len()
            + self.ewm_alphas.len()
            + self.std_windows.len()
            + usize::from(self.drift_window > 0);
        self.sensors.len() * per_sensor + usize::from(self.include_cycle)
    }

    /// True when the spec yields no feature at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Feature names in column order, e.g. `s2_mean5`, `s7_slope_all`, `cycle`.
    pub fn names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(self.len());
        for &s in &self.sensors {
            let s = s + 1;
            names.extend(self.mean_windows.iter().map(|w| format!("s{s}_mean{w}")));
            names.extend(self.slope_windows.iter().map(|&w| {
                if w == 0 {
                    format!("s{s}_slope_all")
                } else {
                    format!("s{s}_slope{w}")
                }
            }));
            names.extend(self.ewm_alphas.iter().map(|a| format!("s{s}_ewm{a}")));
            names.extend(self.std_windows.iter().map(|w| format!("s{s}_std{w}")));
            if self.drift_window > 0 {
                names.push(format!("s{s}_drift{}", self.drift_window));
            }
        }
        if self.include_cycle {
            names.push("cycle".to_owned());
        }
        names
    }
}

/// Row-major feature rows, one per cycle of a unit.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureRows {
    /// Number of columns.
    pub n_features: usize,
    /// `n_rows * n_features` values, row after row.
    pub values: Vec<f64>,
}

impl FeatureRows {
    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.values.len().checked_div(self.n_features).unwrap_or(0)
    }

    /// The features of row `i` (the unit observed up to its `i + 1`-th cycle).
    pub fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.n_features..(i + 1) * self.n_features]
    }
}

/// Prefix sums of `x`, `j * x` and `x^2`, for O(1) window statistics.
struct Prefix {
    sum: Vec<f64>,
    sum_jx: Vec<f64>,
    sum_sq: Vec<f64>,
}

impl Prefix {
    fn new(x: &[f64]) -> Self {
        let mut p = Prefix {
            sum: vec![0.0; x.len() + 1],
            sum_jx: vec![0.0; x.len() + 1],
            sum_sq: vec![0.0; x.len() + 1],
        };
        for (j, &v) in x.iter().enumerate() {
            p.sum[j + 1] = p.sum[j] + v;
            p.sum_jx[j + 1] = (j as f64).mul_add(v, p.sum_jx[j]);
            p.sum_sq[j + 1] = v.mul_add(v, p.sum_sq[j]);
        }
        p
    }

    /// Cycles `start..end` of the window of length `w` (0 = all) ending at row `t`.
    fn window(t: usize, w: usize) -> (usize, usize) {
        let end = t + 1;
        let k = if w == 0 { end } else { w.min(end) };
        (end - k, end)
    }

    fn mean(&self, start: usize, end: usize) -> f64 {
        (self.sum[end] - self.sum[start]) / (end - start) as f64
    }

    fn std(&self, start: usize, end: usize) -> f64 {
        let k = (end - start) as f64;
        let mean = self.mean(start, end);
        mean.mul_add(-mean, (self.sum_sq[end] - self.sum_sq[start]) / k)
            .max(0.0)
            .sqrt()
    }

    /// Least-squares slope of x against cycle index over `start..end` (0 for one point).
    fn slope(&self, start: usize, end: usize) -> f64 {
        let k = (end - start) as f64;
        if end - start < 2 {
            return 0.0;
        }
        let sum = self.sum[end] - self.sum[start];
        // sum over the window of (j - start) * x_j
        let sum_ix = (start as f64).mul_add(-sum, self.sum_jx[end] - self.sum_jx[start]);
        let sum_i = k * (k - 1.0) / 2.0;
        let sum_ii = (k - 1.0) * k * (2.0f64.mul_add(k, -1.0)) / 6.0;
        let denom = k.mul_add(sum_ii, -(sum_i * sum_i));
        k.mul_add(sum_ix, -(sum_i * sum)) / denom
    }
}

/// Feature rows for every cycle of `unit`.
pub fn unit_features(
    spec: &FeatureSpec,
    normalizer: &ConditionNormalizer,
    unit: &UnitSeries,
) -> FeatureRows {
    let n = unit.cycles.len();
    let n_features = spec.len();
    let mut values = vec![0.0; n * n_features];
    let z: Vec<[f64; 21]> = unit
        .cycles
        .iter()
        .map(|r| normalizer.normalize(&r.settings, &r.sensors))
        .collect();
    let mut column = 0;
    let mut ewm = vec![0.0; spec.ewm_alphas.len()];
    for &s in &spec.sensors {
        let x: Vec<f64> = z.iter().map(|row| row[s]).collect();
        let prefix = Prefix::new(&x);
        for t in 0..n {
            let row = &mut values[t * n_features + column..(t + 1) * n_features];
            let mut c = 0;
            for &w in &spec.mean_windows {
                let (a, b) = Prefix::window(t, w.max(1));
                row[c] = prefix.mean(a, b);
                c += 1;
            }
            for &w in &spec.slope_windows {
                let (a, b) = Prefix::window(t, w);
                row[c] = prefix.slope(a, b);
                c += 1;
            }
            for (e, &alpha) in ewm.iter_mut().zip(&spec.ewm_alphas) {
                *e = if t == 0 {
                    x[0]
                } else {
                    alpha.mul_add(x[t] - *e, *e)
                };
                row[c] = *e;
                c += 1;
            }
            for &w in &spec.std_windows {
                let (a, b) = Prefix::window(t, w.max(1));
                row[c] = prefix.std(a, b);
                c += 1;
            }
            if spec.drift_window > 0 {
                let (a, b) = Prefix::window(t, spec.drift_window);
                let first = prefix.mean(0, spec.drift_window.min(t + 1));
                row[c] = prefix.mean(a, b) - first;
            }
        }
        column += n_features_per_sensor(spec);
    }
    if spec.include_cycle {
        for (t, record) in unit.cycles.iter().enumerate() {
            values[t * n_features + column] = f64::from(record.cycle);
        }
    }
    FeatureRows { n_features, values }
}

fn n_features_per_sensor(spec: &FeatureSpec) -> usize {
    if spec.sensors.is_empty() {
        0
    } else {
        (spec.len() - usize::from(spec.include_cycle)) / spec.sensors.len()
    }
}

/// Features of the last cycle of `unit`: the input for predicting its RUL now.
pub fn last_cycle_features(
    spec: &FeatureSpec,
    normalizer: &ConditionNormalizer,
    unit: &UnitSeries,
) -> Vec<f64> {
    let rows = unit_features(spec, normalizer, unit);
    match rows.n_rows() {
        0 => Vec::new(),
        n => rows.row(n - 1).to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmapss::data::{CycleRecord, N_SENSORS};

    /// A normaliser that leaves values unchanged (mean 0, std 1, one condition).
    fn identity() -> ConditionNormalizer {
        ConditionNormalizer {
            centres: vec![[0.0; 3]],
            sensor_mean: vec![[0.0; N_SENSORS]],
            sensor_std: vec![[1.0; N_SENSORS]],
            informative_sensors: vec![0],
        }
    }

    fn series(x: &[f64]) -> UnitSeries {
        UnitSeries {
            unit: 7,
            cycles: x
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let mut sensors = [0.0; N_SENSORS];
                    sensors[0] = v;
                    CycleRecord {
                        cycle: i as u32 + 1,
                        settings: [0.0; 3],
                        sensors,
                    }
                })
                .collect(),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn names_match_length() {
        let spec = FeatureSpec::standard(vec![1, 3]);
        assert_eq!(spec.names().len(), spec.len());
        assert_eq!(spec.names()[0], "s2_mean1");
        assert_eq!(spec.names().last().map(String::as_str), Some("cycle"));
    }

    #[test]
    fn window_statistics_on_a_tiny_series() {
        let spec = FeatureSpec {
            sensors: vec![0],
            mean_windows: vec![1, 3],
            slope_windows: vec![3, 0],
            ewm_alphas: vec![0.5],
            std_windows: vec![2],
            drift_window: 2,
            include_cycle: true,
        };
        // x = 1, 3, 2, 6
        let rows = unit_features(&spec, &identity(), &series(&[1.0, 3.0, 2.0, 6.0]));
        assert_eq!(rows.n_rows(), 4);
        assert_eq!(rows.n_features, 8);
        // First cycle: windows shrink to one point, slopes are 0.
        assert_eq!(rows.row(0), &[1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0]);
        let r = rows.row(3);
        assert!(close(r[0], 6.0)); // last value
        assert!(close(r[1], 11.0 / 3.0)); // mean of 3, 2, 6
        // slope of (0,3),(1,2),(2,6): sum_i=3, sum_ii=5, sum_x=11, sum_ix=14
        // (3*14 - 3*11) / (3*5 - 9) = 9/6
        assert!(close(r[2], 1.5), "{}", r[2]);
        // slope over all 4: x = 1,3,2,6; sum_ix = 0+3+4+18 = 25
        // (4*25 - 6*12) / (4*14 - 36) = 28/20
        assert!(close(r[3], 1.4), "{}", r[3]);
        // ewm 0.5: 1 -> 2 -> 2 -> 4
        assert!(close(r[4], 4.0), "{}", r[4]);
        // std of last 2 (2, 6) = 2
        assert!(close(r[5], 2.0), "{}", r[5]);
        // drift: mean(2, 6) - mean(1, 3) = 4 - 2
        assert!(close(r[6], 2.0), "{}", r[6]);
        assert!(close(r[7], 4.0));
    }

    #[test]
    fn rows_are_causal_and_match_truncated_history() {
        let spec = FeatureSpec::standard(vec![0]);
        let x: Vec<f64> = (0..50).map(|i| (f64::from(i) * 0.37).sin()).collect();
        let unit = series(&x);
        let full = unit_features(&spec, &identity(), &unit);
        for n in [1, 2, 17, 50] {
            let last = last_cycle_features(&spec, &identity(), &unit.truncated(n));
            assert_eq!(last.as_slice(), full.row(n - 1));
        }
    }
}
