//! Operating conditions and per-condition sensor normalisation.
//!
//! FD002 and FD004 mix six flight conditions (altitude, Mach number, throttle resolver
//! angle); each moves the sensor levels far more than wear does. Rows are grouped into
//! conditions by their settings, and each sensor is standardised with the mean and
//! standard deviation of its condition in the training data, which leaves the wear
//! signal. FD001 and FD003 have a single condition, where this is plain standardisation.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::data::{N_SENSORS, N_SETTINGS, UnitSeries};
use super::error::{CmapssError, Result};

/// Two rows are in the same condition when every setting differs by at most this much.
///
/// The C-MAPSS conditions are at least 5 kft, 0.08 Mach and 40 TRA apart, while the
/// recorded settings jitter by less than 0.01 within a condition, so these tolerances
/// separate them with a wide margin either way.
pub const SETTING_TOLERANCE: [f64; N_SETTINGS] = [1.0, 0.03, 5.0];

/// Refuse data with more clusters than this: the settings are then not the discrete
/// C-MAPSS flight conditions, and per-condition statistics would be meaningless.
const MAX_CONDITIONS: usize = 32;

/// Fewer distinct values than this within a condition marks a sensor as constant
/// (FD001 sensors 1, 5, 6, 10, 16, 18, 19: one or two distinct readings).
const MIN_DISTINCT_VALUES: usize = 3;

/// Per-condition normalisation fitted on training data.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConditionNormalizer {
    /// Mean settings of each condition.
    pub centres: Vec<[f64; N_SETTINGS]>,
    /// Per condition, the mean of each sensor.
    pub sensor_mean: Vec<[f64; N_SENSORS]>,
    /// Per condition, the standard deviation of each sensor (floored to avoid dividing
    /// by zero for constant sensors).
    pub sensor_std: Vec<[f64; N_SENSORS]>,
    /// Sensors (0-based) that vary in every condition; the others carry no signal.
    pub informative_sensors: Vec<usize>,
}

fn same_condition(a: &[f64; N_SETTINGS], b: &[f64; N_SETTINGS]) -> bool {
    a.iter()
        .zip(b)
        .zip(SETTING_TOLERANCE)
        .all(|((x, y), tol)| (x - y).abs() <= tol)
}

impl ConditionNormalizer {
    /// Finds the conditions and the per-condition statistics of `units`.
    pub fn fit(units: &[UnitSeries]) -> Result<Self> {
        // Leader clustering: deterministic, and exact for well-separated conditions.
        let mut centres: Vec<[f64; N_SETTINGS]> = Vec::new();
        let mut sums: Vec<[f64; N_SETTINGS]> = Vec::new();
        let mut counts: Vec<usize> = Vec::new();
        for record in units.iter().flat_map(|u| &u.cycles) {
            match centres
                .iter()
                .position(|c| same_condition(c, &record.settings))
            {
                Some(k) => {
                    counts[k] += 1;
                    for (s, v) in sums[k].iter_mut().zip(record.settings) {
                        *s += v;
                    }
                }
                None => {
                    if centres.len() == MAX_CONDITIONS {
                        return Err(CmapssError::InvalidData(format!(
                            "operational settings form more than {MAX_CONDITIONS} conditions"
                        )));
                    }
                    centres.push(record.settings);
                    sums.push(record.settings);
                    counts.push(1);
                }
            }
        }
        if centres.is_empty() {
            return Err(CmapssError::InvalidData("no training rows".to_owned()));
        }
        for ((centre, sum), count) in centres.iter_mut().zip(&sums).zip(&counts) {
            for (c, s) in centre.iter_mut().zip(sum) {
                *c = s / *count as f64;
            }
        }
        let mut normalizer = ConditionNormalizer {
            sensor_mean: vec![[0.0; N_SENSORS]; centres.len()],
            sensor_std: vec![[1.0; N_SENSORS]; centres.len()],
            centres,
            informative_sensors: Vec::new(),
        };

        let k = normalizer.centres.len();
        let mut sum = vec![[0.0; N_SENSORS]; k];
        let mut sum_sq = vec![[0.0; N_SENSORS]; k];
        let mut n = vec![0usize; k];
        let mut distinct = vec![vec![HashSet::new(); N_SENSORS]; k];
        for record in units.iter().flat_map(|u| &u.cycles) {
            let c = normalizer.condition_of(&record.settings);
            n[c] += 1;
            for (s, &value) in record.sensors.iter().enumerate() {
                sum[c][s] += value;
                sum_sq[c][s] += value * value;
                if distinct[c][s].len() < MIN_DISTINCT_VALUES {
                    distinct[c][s].insert(value.to_bits());
                }
            }
        }
        for c in 0..k {
            let count = n[c].max(1) as f64;
            for s in 0..N_SENSORS {
                let mean = sum[c][s] / count;
                let var = (sum_sq[c][s] / count - mean * mean).max(0.0);
                normalizer.sensor_mean[c][s] = mean;
                // Floor relative to the level so float noise never becomes a huge z.
                normalizer.sensor_std[c][s] = var.sqrt().max(1e-9 * (1.0 + mean.abs()));
            }
        }
        normalizer.informative_sensors = (0..N_SENSORS)
            .filter(|&s| (0..k).all(|c| n[c] == 0 || distinct[c][s].len() >= MIN_DISTINCT_VALUES))
            .collect();
        Ok(normalizer)
    }

    /// Index of the condition nearest to `settings` (distance in units of
    /// [`SETTING_TOLERANCE`]), so unseen jitter still maps to a known condition.
    pub fn condition_of(&self, settings: &[f64; N_SETTINGS]) -> usize {
        let distance = |c: &[f64; N_SETTINGS]| -> f64 {
            c.iter()
                .zip(settings)
                .zip(SETTING_TOLERANCE)
                .map(|((a, b), tol)| ((a - b) / tol).powi(2))
                .sum()
        };
        let mut best = 0;
        let mut best_distance = f64::INFINITY;
        for (i, centre) in self.centres.iter().enumerate() {
            let d = distance(centre);
            if d < best_distance {
                best = i;
                best_distance = d;
            }
        }
        best
    }

    /// Standardised sensors of one row, using the statistics of its condition.
    pub fn normalize(
        &self,
        settings: &[f64; N_SETTINGS],
        sensors: &[f64; N_SENSORS],
    ) -> [f64; N_SENSORS] {
        let c = self.condition_of(settings);
        let mut z = [0.0; N_SENSORS];
        for (s, slot) in z.iter_mut().enumerate() {
            *slot = (sensors[s] - self.sensor_mean[c][s]) / self.sensor_std[c][s];
        }
        z
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmapss::data::CycleRecord;

    /// Two conditions far apart; sensor 0 varies with wear, sensor 1 is constant within
    /// each condition, sensor 2 is offset by the condition.
    fn two_condition_units() -> Vec<UnitSeries> {
        let mut cycles = Vec::new();
        for t in 0..40u32 {
            let high = t % 2 == 0;
            let jitter = f64::from(t % 5) * 0.001;
            let settings = if high {
                [42.0 + jitter, 0.84, 100.0]
            } else {
                [0.0 + jitter, 0.0, 100.0]
            };
            let mut sensors = [0.0; N_SENSORS];
            sensors[0] = f64::from(t);
            sensors[1] = if high { 10.0 } else { 20.0 };
            sensors[2] = if high { 1000.0 } else { 500.0 } + f64::from(t % 7);
            cycles.push(CycleRecord {
                cycle: t + 1,
                settings,
                sensors,
            });
        }
        vec![UnitSeries { unit: 1, cycles }]
    }

    #[test]
    fn finds_conditions_and_normalises_within_them() {
        let units = two_condition_units();
        let norm = ConditionNormalizer::fit(&units).expect("fit");
        assert_eq!(norm.centres.len(), 2);
        let high = norm.condition_of(&[41.99, 0.8401, 100.0]);
        let low = norm.condition_of(&[0.003, 0.0, 100.0]);
        assert_ne!(high, low);
        assert!(norm.informative_sensors.contains(&0));
        assert!(!norm.informative_sensors.contains(&1));
        assert!(norm.informative_sensors.contains(&2));
        assert!(!norm.informative_sensors.contains(&3));
        // The condition offset of sensor 2 disappears after normalisation.
        let mut z_high = 0.0;
        let mut z_low = 0.0;
        for r in &units[0].cycles {
            let z = norm.normalize(&r.settings, &r.sensors)[2];
            if r.settings[0] > 20.0 {
                z_high += z;
            } else {
                z_low += z;
            }
        }
        assert!(
            z_high.abs() < 1e-9 && z_low.abs() < 1e-9,
            "{z_high} {z_low}"
        );
    }

    #[test]
    fn single_condition_is_plain_standardisation() {
        let mut units = two_condition_units();
        for r in &mut units[0].cycles {
            r.settings = [0.0, 0.0, 100.0];
        }
        let norm = ConditionNormalizer::fit(&units).expect("fit");
        assert_eq!(norm.centres.len(), 1);
        let zs: Vec<f64> = units[0]
            .cycles
            .iter()
            .map(|r| norm.normalize(&r.settings, &r.sensors)[0])
            .collect();
        let mean = zs.iter().sum::<f64>() / zs.len() as f64;
        let var = zs.iter().map(|z| (z - mean).powi(2)).sum::<f64>() / zs.len() as f64;
        assert!(
            mean.abs() < 1e-9 && (var - 1.0).abs() < 1e-9,
            "{mean} {var}"
        );
    }
}
