//! The distributions the realistic profile draws from. Every range is `[lo, hi)`,
//! drawn uniformly unless said otherwise. Two named sets exist, `evaluation` (the
//! default) and `training`, whose law parameters do not overlap, so a model trained
//! on one can be evaluated on fleets it has never seen; any other set can be given
//! as a JSON file with the same fields (missing fields take `evaluation`'s values).

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// A `[lo, hi)` range.
pub type Range = [f64; 2];

/// Relative weights of the law families.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LawWeights {
    /// `x`.
    pub linear: f64,
    /// `x^k`.
    pub power: f64,
    /// `(e^{a x} − 1)/(e^a − 1)`.
    pub exponential: f64,
    /// A logistic curve rescaled to 0 at onset and 1 at failure.
    pub sigmoid: f64,
    /// A jump at onset, then linear drift.
    pub step_then_drift: f64,
}

/// The parameters of the realistic profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RealismParams {
    /// Name recorded in the truth file.
    pub name: String,
    /// Law family weights.
    pub law_weights: LawWeights,
    /// Power-law exponent `k`.
    pub power_exponent: Range,
    /// Exponential rate `a`.
    pub exponential_rate: Range,
    /// Sigmoid steepness.
    pub sigmoid_steepness: Range,
    /// Sigmoid midpoint (fraction of the wear to failure).
    pub sigmoid_midpoint: Range,
    /// Step-then-drift: severity jump at onset.
    pub step_size: Range,
    /// Onset→failure span at typical use: lognormal with median = this factor × the
    /// geometric mean of the mode's realistic range, and this log-sd.
    pub span_median_factor: f64,
    /// Log standard deviation of the span.
    pub span_log_sd: f64,
    /// Onset as a fraction of the run (for faults that start inside it).
    pub onset_window: Range,
    /// Probability a degraded vehicle gets a second concurrent fault (and, again, a
    /// third).
    pub concurrent_probability: f64,
    /// Share of faults that started before the run.
    pub pre_degraded_fraction: f64,
    /// Wear (fraction of the wear to failure) a pre-degraded fault has at entry.
    pub pre_degraded_wear: Range,
    /// Days from a failure to its corrective repair.
    pub repair_delay_days: Range,
    /// Days between routine services of a truck.
    pub truck_service_days: Range,
    /// Days between routine services of a car.
    pub car_service_days: Range,
    /// Wear above which a routine service can find a fault.
    pub inspection_wear: f64,
    /// Probability that a service finds such a fault (and fixes it).
    pub inspection_find_probability: f64,
    /// Share of vehicles with a sensor fault.
    pub sensor_fault_fraction: f64,
    /// Length of a sensor fault, days.
    pub sensor_fault_days: Range,
    /// Share of heavy-duty trucks (long-haul, regional) that run hot while healthy.
    pub runs_hot_fraction: f64,
    /// Extra coolant temperature of a hot-running truck, °C.
    pub runs_hot_coolant_c: Range,
    /// Extra transmission oil temperature of a hot-running truck, °C.
    pub runs_hot_trans_c: Range,
    /// Share of vehicles whose routes climb (mountain routes).
    pub altitude_fraction: f64,
    /// Peak route altitude, m.
    pub altitude_m: Range,
    /// Scale of the home base's seasonal amplitude.
    pub season_scale: Range,
    /// Share of vehicles that meet a heat wave or cold snap.
    pub weather_event_fraction: f64,
    /// Offset of that event, °C (sign drawn).
    pub weather_event_c: Range,
    /// Days the event lasts.
    pub weather_event_days: Range,
}

impl LawWeights {
    /// The weights in family order (linear, power, exponential, sigmoid,
    /// step-then-drift).
    pub const fn as_array(&self) -> [f64; 5] {
        [
            self.linear,
            self.power,
            self.exponential,
            self.sigmoid,
            self.step_then_drift,
        ]
    }
}

impl Default for RealismParams {
    fn default() -> Self {
        Self::evaluation()
    }
}

impl RealismParams {
    /// The default set, for evaluation.
    pub fn evaluation() -> Self {
        Self {
            name: "evaluation".into(),
            law_weights: LawWeights {
                linear: 1.0,
                power: 1.0,
                exponential: 1.0,
                sigmoid: 1.0,
                step_then_drift: 1.0,
            },
            power_exponent: [1.6, 2.6],
            exponential_rate: [2.2, 4.0],
            sigmoid_steepness: [8.0, 14.0],
            sigmoid_midpoint: [0.55, 0.75],
            step_size: [0.3, 0.5],
            span_median_factor: 1.0,
            span_log_sd: 0.45,
            onset_window: [0.0, 0.8],
            concurrent_probability: 0.25,
            pre_degraded_fraction: 0.15,
            pre_degraded_wear: [0.2, 0.7],
            repair_delay_days: [0.5, 6.0],
            truck_service_days: [25.0, 45.0],
            car_service_days: [60.0, 150.0],
            inspection_wear: 0.5,
            inspection_find_probability: 0.6,
            sensor_fault_fraction: 0.15,
            sensor_fault_days: [1.0, 20.0],
            runs_hot_fraction: 0.3,
            runs_hot_coolant_c: [5.0, 9.0],
            runs_hot_trans_c: [8.0, 15.0],
            altitude_fraction: 0.2,
            altitude_m: [800.0, 2500.0],
            season_scale: [0.8, 1.3],
            weather_event_fraction: 0.3,
            weather_event_c: [6.0, 12.0],
            weather_event_days: [3.0, 10.0],
        }
    }

    /// A set for training whose law parameters are disjoint from
    /// [`RealismParams::evaluation`]'s (and whose other shares differ).
    pub fn training() -> Self {
        Self {
            name: "training".into(),
            power_exponent: [1.1, 1.5],
            exponential_rate: [1.0, 2.0],
            sigmoid_steepness: [4.0, 7.5],
            sigmoid_midpoint: [0.3, 0.5],
            step_size: [0.1, 0.25],
            span_median_factor: 0.8,
            span_log_sd: 0.35,
            concurrent_probability: 0.2,
            pre_degraded_fraction: 0.1,
            inspection_wear: 0.6,
            sensor_fault_fraction: 0.1,
            runs_hot_coolant_c: [3.0, 5.0],
            runs_hot_trans_c: [5.0, 8.0],
            ..Self::evaluation()
        }
    }

    /// A named set (`evaluation`, `training`) or a JSON file.
    pub fn load(name_or_path: &str) -> anyhow::Result<Self> {
        match name_or_path {
            "evaluation" => Ok(Self::evaluation()),
            "training" => Ok(Self::training()),
            path => {
                let text = std::fs::read_to_string(Path::new(path)).with_context(|| {
                    format!("reading realism parameters {path} (or use evaluation, training)")
                })?;
                let p: Self = serde_json::from_str(&text)
                    .with_context(|| format!("parsing realism parameters {path}"))?;
                p.check()?;
                Ok(p)
            }
        }
    }

    /// Refuses ranges and shares that cannot be drawn from.
    pub fn check(&self) -> anyhow::Result<()> {
        let ranges = [
            ("power_exponent", self.power_exponent),
            ("exponential_rate", self.exponential_rate),
            ("sigmoid_steepness", self.sigmoid_steepness),
            ("sigmoid_midpoint", self.sigmoid_midpoint),
            ("step_size", self.step_size),
            ("onset_window", self.onset_window),
            ("pre_degraded_wear", self.pre_degraded_wear),
            ("repair_delay_days", self.repair_delay_days),
            ("truck_service_days", self.truck_service_days),
            ("car_service_days", self.car_service_days),
            ("sensor_fault_days", self.sensor_fault_days),
            ("runs_hot_coolant_c", self.runs_hot_coolant_c),
            ("runs_hot_trans_c", self.runs_hot_trans_c),
            ("altitude_m", self.altitude_m),
            ("season_scale", self.season_scale),
            ("weather_event_c", self.weather_event_c),
            ("weather_event_days", self.weather_event_days),
        ];
        for (name, [lo, hi]) in ranges {
            anyhow::ensure!(
                lo.is_finite() && hi.is_finite() && lo < hi && lo >= 0.0,
                "realism parameter {name} must be [lo, hi] with 0 <= lo < hi"
            );
        }
        let weights = self.law_weights.as_array();
        anyhow::ensure!(
            weights.iter().all(|x| *x >= 0.0) && weights.iter().sum::<f64>() > 0.0,
            "realism law_weights must be non-negative and not all 0"
        );
        anyhow::ensure!(
            self.step_size[1] < 1.0
                && self.onset_window[1] < 1.0
                && self.pre_degraded_wear[1] < 1.0,
            "step_size, onset_window and pre_degraded_wear must stay below 1"
        );
        anyhow::ensure!(
            self.span_median_factor > 0.0 && self.span_log_sd >= 0.0,
            "span_median_factor must be positive and span_log_sd non-negative"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disjoint(a: Range, b: Range) -> bool {
        a[1] <= b[0] || b[1] <= a[0]
    }

    #[test]
    fn training_law_parameters_do_not_overlap_evaluation() {
        let (t, e) = (RealismParams::training(), RealismParams::evaluation());
        t.check().expect("training");
        e.check().expect("evaluation");
        assert!(disjoint(t.power_exponent, e.power_exponent));
        assert!(disjoint(t.exponential_rate, e.exponential_rate));
        assert!(disjoint(t.sigmoid_steepness, e.sigmoid_steepness));
        assert!(disjoint(t.sigmoid_midpoint, e.sigmoid_midpoint));
        assert!(disjoint(t.step_size, e.step_size));
    }

    #[test]
    fn a_file_overrides_some_fields_and_bad_ranges_are_refused() {
        let path = std::env::temp_dir().join(format!("realism-{}.json", std::process::id()));
        std::fs::write(&path, r#"{"name":"x","power_exponent":[3.0,4.0]}"#).expect("write");
        let p = RealismParams::load(path.to_str().expect("utf8")).expect("load");
        assert_eq!(p.power_exponent, [3.0, 4.0]);
        assert_eq!(p.step_size, RealismParams::evaluation().step_size);
        std::fs::write(&path, r#"{"step_size":[0.5,0.2]}"#).expect("write");
        let err = RealismParams::load(path.to_str().expect("utf8")).expect_err("bad");
        assert!(format!("{err:#}").contains("step_size"));
        std::fs::write(&path, r#"{"warp":1}"#).expect("write");
        assert!(RealismParams::load(path.to_str().expect("utf8")).is_err());
        let _ = std::fs::remove_file(path);
    }
}
