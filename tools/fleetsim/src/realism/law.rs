//! Growth laws: how a fault's severity follows its wear `x` (0 at onset, 1 at the
//! failure threshold). Every law is monotone with `g(0) = 0` and `g(1) = 1`, so the
//! failure instant is where the wear reaches 1, whatever the family.

use rand::Rng;
use rand::rngs::SmallRng;
use serde::Serialize;

use super::params::{Range, RealismParams};
use crate::degradation::{FailureMode, MAX_SEVERITY};

/// A law family with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub enum Law {
    /// `x`.
    Linear,
    /// `x^exponent`.
    Power {
        /// `k`.
        exponent: f64,
    },
    /// `(e^{rate x} − 1)/(e^rate − 1)`.
    Exponential {
        /// `a`.
        rate: f64,
    },
    /// Logistic `σ(steepness (x − midpoint))`, rescaled to 0 at 0 and 1 at 1.
    Sigmoid {
        /// Steepness.
        steepness: f64,
        /// Midpoint, fraction of the wear to failure.
        midpoint: f64,
    },
    /// `step + (1 − step) x` for `x > 0`: a sudden partial fault that then drifts.
    StepThenDrift {
        /// The jump at onset.
        step: f64,
    },
    /// The failure mode's own curve of the default profile (laws switched off).
    ModeCurve {
        /// The mode.
        mode: FailureMode,
    },
}

fn logistic(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn uniform(rng: &mut SmallRng, [lo, hi]: Range) -> f64 {
    rng.random_range(lo..hi)
}

impl Law {
    /// The families' wire names, in [`super::params::LawWeights`] order.
    pub const FAMILIES: [&'static str; 5] = [
        "linear",
        "power",
        "exponential",
        "sigmoid",
        "step_then_drift",
    ];

    /// Draws a family by the parameters' weights, then its parameters.
    pub fn draw(rng: &mut SmallRng, p: &RealismParams) -> Self {
        let weights = p.law_weights.as_array();
        let mut pick = rng.random_range(0.0..weights.iter().sum::<f64>());
        let mut family = 0;
        for (i, wi) in weights.iter().enumerate() {
            if pick < *wi {
                family = i;
                break;
            }
            pick -= wi;
        }
        match family {
            0 => Self::Linear,
            1 => Self::Power {
                exponent: uniform(rng, p.power_exponent),
            },
            2 => Self::Exponential {
                rate: uniform(rng, p.exponential_rate),
            },
            3 => Self::Sigmoid {
                steepness: uniform(rng, p.sigmoid_steepness),
                midpoint: uniform(rng, p.sigmoid_midpoint),
            },
            _ => Self::StepThenDrift {
                step: uniform(rng, p.step_size),
            },
        }
    }

    /// The family's name.
    pub const fn family(&self) -> &'static str {
        match self {
            Self::Linear => "linear",
            Self::Power { .. } => "power",
            Self::Exponential { .. } => "exponential",
            Self::Sigmoid { .. } => "sigmoid",
            Self::StepThenDrift { .. } => "step_then_drift",
            Self::ModeCurve { .. } => "mode_curve",
        }
    }

    /// Severity at wear `x` (0 before onset, 1 at failure, capped at
    /// [`MAX_SEVERITY`]).
    pub fn severity(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        let s = match *self {
            Self::Linear => x,
            Self::Power { exponent } => x.powf(exponent),
            Self::Exponential { rate } => (rate * x).exp_m1() / rate.exp_m1(),
            Self::Sigmoid {
                steepness,
                midpoint,
            } => {
                let at = |u: f64| logistic(steepness * (u - midpoint));
                let (lo, hi) = (at(0.0), at(1.0));
                // Past failure the logistic flattens; keep growing linearly instead
                // so a failed component keeps getting worse, as the others do.
                let core = (at(x.min(1.0)) - lo) / (hi - lo);
                core + (x - 1.0).max(0.0)
            }
            Self::StepThenDrift { step } => step + (1.0 - step) * x,
            Self::ModeCurve { mode } => mode.severity(x),
        };
        s.min(MAX_SEVERITY)
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn every_family_is_monotone_from_zero_to_failure_at_wear_one() {
        let mut rng = SmallRng::seed_from_u64(1);
        let p = RealismParams::evaluation();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..400 {
            let law = Law::draw(&mut rng, &p);
            seen.insert(law.family());
            assert_eq!(law.severity(0.0), 0.0);
            assert!((law.severity(1.0) - 1.0).abs() < 1e-9, "{law:?}");
            let mut prev = 0.0;
            for i in 1..=200 {
                let s = law.severity(f64::from(i) / 100.0);
                assert!(s >= prev - 1e-12, "{law:?} not monotone at {i}");
                assert!(s < 1.0 || i >= 100, "{law:?} fails before wear 1");
                prev = s;
            }
            assert!(prev <= MAX_SEVERITY);
        }
        assert_eq!(seen.len(), 5, "every family drawn: {seen:?}");
    }
}
