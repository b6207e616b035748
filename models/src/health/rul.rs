//! Remaining useful life from a component's damage trajectory.
//!
//! Degradation accelerates (a clogging filter restricts faster as it clogs, a leak
//! widens, a sulphating battery loses capacity faster as it ages), so two extrapolations
//! of the recent trend bracket the truth: a straight line (optimistic early on) and a
//! log-linear one (exponential growth, slightly pessimistic for power-law wear). A
//! per-component calibration learned from simulated fleets with known failure times
//! ([`RulModel`], trained by `train-health`) combines them, and decides how strong a
//! trend must be before it counts, so healthy vehicles' weather-driven wobble does not.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shared_schemas::events::Component;

use super::growth::Growth;
use super::trend::{Line, Point, fit};

/// The longest RUL reported, days: "no failure foreseen".
pub const RUL_CAP_DAYS: f64 = 365.0;
/// Days of history the trend is fitted over.
pub const TREND_DAYS: f64 = 7.0;
/// Fewest days a trend needs to count.
pub const MIN_TREND_DAYS: usize = 4;
/// Smallest damage used in the log-linear fit (below it the logarithm is noise).
const LOG_FLOOR: f64 = 0.03;

/// How one component's trend features map to RUL; learned.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Constant term of `ln RUL`.
    pub intercept: f64,
    /// Weight of `ln RUL_linear`.
    pub w_linear: f64,
    /// Weight of `ln RUL_exponential`.
    pub w_exponential: f64,
    /// Weight of the current damage.
    pub w_damage: f64,
    /// Smallest damage at which a trend counts as degradation.
    pub min_damage: f64,
    /// Smallest slope t-statistic at which a trend counts.
    pub min_t: f64,
    /// Smallest slope, damage per day, at which a trend counts: faults move faster
    /// than seasons and slow natural losses.
    #[serde(default)]
    pub min_slope: f64,
    /// Residual standard deviation of `ln RUL` on the training data.
    pub residual_sd: f64,
    /// Wear items: how many times its normal pace a component must wear to be
    /// degrading.
    #[serde(default = "default_pace_ratio")]
    pub min_pace_ratio: f64,
}

fn default_pace_ratio() -> f64 {
    2.0
}

/// Normal wear is planned maintenance, not degradation: until a wear item wears
/// abnormally fast or reaches its limit, its RUL is reported but scores no lower than
/// this many days would (the edge of the poor band).
pub const WEAR_PLANNING_DAYS: f64 = 60.0;
/// Damage at which a wear item is at its limit whatever its pace.
const WEAR_LIMIT_DAMAGE: f64 = 0.95;
/// Slowest pace a wear item's normal pace is taken to be, damage per day: a vehicle
/// that barely wore its pads while the baseline was learned is not flagged for wearing
/// them at all later.
const MIN_NORMAL_PACE: f64 = 0.002;

impl Default for Calibration {
    /// Before training: trust the exponential extrapolation, count a trend from damage
    /// 0.1 at 3 standard errors.
    fn default() -> Self {
        Self {
            intercept: 0.0,
            w_linear: 0.0,
            w_exponential: 1.0,
            w_damage: 0.0,
            min_damage: 0.1,
            min_t: 3.0,
            min_slope: 0.0,
            residual_sd: 0.7,
            min_pace_ratio: default_pace_ratio(),
        }
    }
}

/// How an engine temperature moves with load and weather when healthy: °C per % of
/// load and per °C of ambient. Learned across a fleet, since a vehicle's first days
/// are too few to fit it; removing it leaves the part of the temperature that a fault
/// moves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Covariates {
    /// °C per % of engine load.
    pub per_load_pct: f64,
    /// °C per °C of ambient.
    pub per_ambient_c: f64,
    /// Further °C per °C of ambient above 25 °C.
    #[serde(default)]
    pub per_heat_c: f64,
}

/// Covariate models of the engine temperatures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Normalization {
    /// Coolant temperature while driving warm.
    pub coolant: Covariates,
    /// Transmission oil temperature while driving warm.
    pub transmission: Covariates,
}

impl Normalization {
    /// The covariate model of `indicator`, if it has one.
    pub fn of(&self, indicator: super::indicators::Indicator) -> Option<Covariates> {
        use super::indicators::Indicator;
        match indicator {
            Indicator::CoolantDriving => Some(self.coolant),
            Indicator::TransTemp => Some(self.transmission),
            _ => None,
        }
    }
}

/// The learned RUL model: one calibration per component, versioned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulModel {
    /// Version string stored with every health record, e.g. `health-rul-v1`.
    pub version: String,
    /// What it was trained on (for humans).
    pub trained_on: String,
    /// Load and weather models of the engine temperatures.
    #[serde(default)]
    pub normalization: Normalization,
    /// Calibration per component; a missing one uses the default.
    pub components: BTreeMap<Component, Calibration>,
    /// Growth law per failure part (by [`PartSpec::law`](super::damage::PartSpec::law)): the RUL of a degrading part with a
    /// law is the time its fitted curve reaches the limit; without one, the calibrated
    /// extrapolations.
    #[serde(default)]
    pub growth: BTreeMap<String, Growth>,
    /// The 80 % interval of a degrading part's RUL (`calibrate-intervals`); none: RULs
    /// come without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rul_intervals: Option<super::interval::RulIntervals>,
}

/// A model artifact that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Not a model artifact.
    #[error("not a health model artifact: {0}")]
    Json(#[from] serde_json::Error),
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// The artifact shipped with the code (`models/artifacts/health-rul.json`).
const BUNDLED: &str = include_str!("../../artifacts/health-rul.json");

impl RulModel {
    /// The bundled artifact.
    pub fn bundled() -> Result<Self, ModelError> {
        Self::from_json(BUNDLED)
    }

    /// Parses an artifact.
    pub fn from_json(json: &str) -> Result<Self, ModelError> {
        Ok(serde_json::from_str(json)?)
    }

    /// Reads an artifact file.
    pub fn from_path(path: &std::path::Path) -> Result<Self, ModelError> {
        let json = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&json)
    }

    /// The calibration of `c`.
    pub fn calibration(&self, c: Component) -> Calibration {
        self.components.get(&c).copied().unwrap_or_default()
    }

    /// The growth law named `law`, if learned.
    pub fn growth(&self, law: &str) -> Option<Growth> {
        self.growth.get(law).copied()
    }
}

/// The trend features of a damage series: what the calibration consumes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Features {
    /// Current damage: the trend line's level now.
    pub damage: f64,
    /// Recent damage without extrapolation: the last two days' weighted mean.
    pub recent: f64,
    /// The trend line's level at its newest day, carried on only across the days
    /// since on which the vehicle worked ([`Features::carry_on`]): `damage` without
    /// the extrapolation across days it stood.
    pub at_newest_day: f64,
    /// Damage change per day.
    pub slope: f64,
    /// Slope t-statistic.
    pub t_stat: f64,
    /// Straight-line days to damage 1 (capped).
    pub rul_linear: f64,
    /// Log-linear days to damage 1 (capped), when the damage is high enough to fit.
    pub rul_exponential: Option<f64>,
    /// Days in the fit.
    pub days: usize,
    /// Wear items: the slope over the vehicle's normal pace (`None` until learned).
    pub pace_ratio: Option<f64>,
}

impl Features {
    /// A single day: its level, no trend.
    pub fn level(damage: f64) -> Self {
        Self {
            damage,
            recent: damage,
            at_newest_day: damage,
            slope: 0.0,
            t_stat: 0.0,
            rul_linear: days_to_one(damage, 0.0),
            rul_exponential: None,
            days: 1,
            pace_ratio: None,
        }
    }

    /// Carries the line at the newest day on across `worked_days` days of work since
    /// (a leak does not wait for a warm idle to be read), never past `damage`, the
    /// line now: a parked truck's transmission does not overheat.
    pub fn carry_on(&mut self, worked_days: f64) {
        self.at_newest_day = (self.at_newest_day + self.slope.max(0.0) * worked_days)
            .min(self.damage.max(self.at_newest_day));
    }
}

/// Extracts the trend features from daily damage points (times relative to now);
/// `None` with fewer than two days. `normal_pace` is a wear item's normal damage per
/// day.
pub fn features(points: &[Point], normal_pace: Option<f64>) -> Option<Features> {
    let recent: Vec<Point> = points
        .iter()
        .copied()
        .filter(|p| p.t > -TREND_DAYS - 1.0)
        .collect();
    let line = fit(&recent)?;
    let last_two = &recent[recent.len().saturating_sub(2)..];
    let weight: f64 = last_two.iter().map(|p| p.w).sum();
    let recent_damage = last_two.iter().map(|p| p.w * p.y).sum::<f64>() / weight;
    let damage = line.level;
    let newest_t = recent.iter().map(|p| p.t).fold(f64::NEG_INFINITY, f64::max);
    let rul_linear = days_to_one(damage, line.slope);
    let logs: Vec<Point> = recent
        .iter()
        .filter(|p| p.y > LOG_FLOOR)
        .map(|p| Point { y: p.y.ln(), ..*p })
        .collect();
    let rul_exponential = match fit(&logs) {
        Some(Line { level, slope, .. }) if logs.len() >= 3 && damage > LOG_FLOOR => {
            // ln d grows linearly: it reaches ln 1 = 0 after −level / slope days.
            Some(if level >= 0.0 {
                0.0
            } else if slope > 0.0 {
                (-level / slope).min(RUL_CAP_DAYS)
            } else {
                RUL_CAP_DAYS
            })
        }
        _ => None,
    };
    Some(Features {
        damage,
        recent: recent_damage,
        at_newest_day: line.level + line.slope * newest_t.min(0.0),
        slope: line.slope,
        t_stat: line.t_stat(),
        rul_linear,
        rul_exponential,
        days: line.points,
        pace_ratio: normal_pace.map(|p| line.slope / p.max(MIN_NORMAL_PACE)),
    })
}

fn days_to_one(damage: f64, slope: f64) -> f64 {
    if damage >= 1.0 {
        0.0
    } else if slope > 0.0 {
        ((1.0 - damage) / slope).min(RUL_CAP_DAYS)
    } else {
        RUL_CAP_DAYS
    }
}

/// A component's RUL verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// Remaining useful life, days.
    pub rul_days: f64,
    /// Whether the RUL is normal wear, to be scored no lower than
    /// [`WEAR_PLANNING_DAYS`] would be.
    pub planning_floor: bool,
    /// Whether a significant degradation trend was found.
    pub degrading: bool,
}

impl Verdict {
    /// The RUL the score is computed from.
    pub fn scored_rul(&self) -> f64 {
        if self.planning_floor {
            self.rul_days.max(WEAR_PLANNING_DAYS)
        } else {
            self.rul_days
        }
    }
}

impl Calibration {
    /// The RUL of a component with these features. `wear` marks components that wear
    /// in normal use: their RUL is the straight-line time to the limit, and they
    /// degrade only by wearing faster than their normal pace (see
    /// [`WEAR_PLANNING_DAYS`]).
    pub fn verdict(&self, f: &Features, wear: bool) -> Verdict {
        if f.recent >= if wear { WEAR_LIMIT_DAMAGE } else { 1.0 } {
            return Verdict {
                rul_days: 0.0,
                planning_floor: false,
                degrading: true,
            };
        }
        let trending = f.slope > self.min_slope.max(0.0)
            && f.days >= MIN_TREND_DAYS
            && f.t_stat >= self.min_t
            // Where the data put the part, not the line carried on across days
            // the vehicle stood: a parked truck's last trip is no new evidence.
            && f.at_newest_day >= self.min_damage;
        let degrading =
            trending && (!wear || f.pace_ratio.is_some_and(|r| r >= self.min_pace_ratio));
        if !degrading {
            return Verdict {
                rul_days: if wear { f.rul_linear } else { RUL_CAP_DAYS },
                planning_floor: wear,
                degrading: false,
            };
        }
        let exponential = f.rul_exponential.unwrap_or(f.rul_linear);
        let ln_rul = self.intercept
            + self.w_linear * f.rul_linear.max(0.1).ln()
            + self.w_exponential * exponential.max(0.1).ln()
            + self.w_damage * f.damage;
        // Accelerating growth keeps the truth below the optimistic straight-line
        // extrapolation; the regression may correct downwards as far as it learned to
        // (slow power-law starts make both extrapolations optimistic).
        let high = exponential.max(f.rul_linear);
        Verdict {
            rul_days: ln_rul.exp().min(high).clamp(0.0, RUL_CAP_DAYS),
            planning_floor: false,
            degrading: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features_of(points: &[Point]) -> Option<Features> {
        features(points, None)
    }

    fn series(f: impl Fn(f64) -> f64) -> Vec<Point> {
        (0..8)
            .map(|k| {
                let t = -f64::from(7 - k);
                Point { t, y: f(t), w: 1.0 }
            })
            .collect()
    }

    #[test]
    fn exponential_growth_is_extrapolated_to_the_limit() {
        // d = 0.5 · e^{0.1 t}: reaches 1 after ln 2 / 0.1 ≈ 6.93 days.
        let f = features_of(&series(|t| 0.5 * (0.1 * t).exp())).expect("features");
        let exp = f.rul_exponential.expect("log fit");
        assert!((exp - 2f64.ln() / 0.1).abs() < 0.01, "{exp}");
        assert!(
            f.rul_linear > exp,
            "a straight line is optimistic for convex growth"
        );
        let v = Calibration::default().verdict(&f, false);
        assert!(v.degrading);
        assert!((v.rul_days - exp).abs() < 1e-9);
    }

    #[test]
    fn flat_noise_is_not_degradation() {
        let f = features_of(&series(|t| 0.05 + 0.01 * (t * 1.7).sin())).expect("features");
        let v = Calibration::default().verdict(&f, false);
        assert!(!v.degrading);
        assert_eq!(v.rul_days, RUL_CAP_DAYS);
    }

    #[test]
    fn wear_items_report_their_pace_but_degrade_only_when_abnormal() {
        // 0.01 per day from 0.5: 50 days left at the normal pace.
        let points = series(|t| 0.5 + 0.01 * t);
        let normal = features(&points, Some(0.01)).expect("features");
        let v = Calibration::default().verdict(&normal, true);
        assert!(!v.degrading);
        assert!((v.rul_days - 50.0).abs() < 1e-6);
        assert_eq!(v.scored_rul(), WEAR_PLANNING_DAYS, "normal wear is planned");
        let sticking = features(&points, Some(0.003)).expect("features");
        let v = Calibration::default().verdict(&sticking, true);
        assert!(v.degrading, "three times the normal pace");
        assert!(v.scored_rul() < WEAR_PLANNING_DAYS);
    }

    #[test]
    fn past_the_limit_is_zero() {
        let f = features_of(&series(|t| 1.1 + 0.01 * t)).expect("features");
        let v = Calibration::default().verdict(&f, false);
        assert_eq!(v.rul_days, 0.0);
        assert!(v.degrading);
    }

    #[test]
    fn bundled_model_loads() {
        let m = RulModel::bundled().expect("bundled artifact parses");
        assert!(m.version.starts_with("health-rul"));
    }
}
