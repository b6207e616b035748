//! Reading the health engine's factors: which failure part is trending (the
//! `{part}_trend_per_day` factor, with its t-statistic), and each part's latest value,
//! baseline, limit and damage, from the factors' structured fields. Factors without
//! them (other producers) still count through their name, value and impact.

use shared_schemas::events::Factor;

/// A trending failure part.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    /// Part name, e.g. `coolant_cold`, `tire_rl`.
    pub part: String,
    /// Damage growth per day (share of the way to the limit).
    pub slope_per_day: f64,
    /// t-statistic of the trend (0 when not given).
    pub t_stat: f64,
    /// For a wear item: its pace over the vehicle's own normal pace (`None` while that
    /// pace is being learned, or from producers that do not say).
    pub pace_ratio: Option<f64>,
    /// Whether the health engine judges the trend a fault (`None`: not said).
    pub abnormal: Option<bool>,
}

/// One part's latest state.
#[derive(Debug, Clone, PartialEq)]
pub struct PartState {
    /// Part name (from the detail), or the indicator name.
    pub part: String,
    /// Indicator name, e.g. `coolant_temp_warm_c`.
    pub indicator: String,
    /// Latest value.
    pub value: f64,
    /// Baseline, when given.
    pub baseline: Option<f64>,
    /// Failure limit, when given.
    pub limit: Option<f64>,
    /// Damage: 0 at baseline, 1 at the limit (from the impact).
    pub damage: f64,
}

/// What the factors say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    /// The trending part, if any.
    pub trend: Option<Trend>,
    /// Part states, most damaged first.
    pub parts: Vec<PartState>,
}

impl Evidence {
    /// Reads `factors`.
    pub fn read(factors: &[Factor]) -> Self {
        let mut ev = Self::default();
        for f in factors {
            if let Some(part) = f.name.strip_suffix("_trend_per_day") {
                if ev.trend.is_none() {
                    ev.trend = Some(Trend {
                        part: f.part.clone().unwrap_or_else(|| part.to_owned()),
                        slope_per_day: f.value,
                        t_stat: f.t_stat.unwrap_or(0.0),
                        pace_ratio: f.pace_ratio,
                        abnormal: f.abnormal,
                    });
                }
                continue;
            }
            let Some(damage) = f.part_damage() else {
                continue;
            };
            ev.parts.push(PartState {
                part: f.part.clone().unwrap_or_else(|| f.name.clone()),
                indicator: f.name.clone(),
                value: f.value,
                baseline: f.baseline,
                limit: f.limit,
                damage,
            });
        }
        ev.parts.sort_by(|a, b| b.damage.total_cmp(&a.damage));
        ev
    }

    /// The part with the most damage.
    pub fn worst(&self) -> Option<&PartState> {
        self.parts.first()
    }

    /// A part by name.
    pub fn part(&self, name: &str) -> Option<&PartState> {
        self.parts.iter().find(|p| p.part == name)
    }

    /// The highest damage of any part.
    pub fn max_damage(&self) -> Option<f64> {
        self.parts.first().map(|p| p.damage)
    }

    /// Whether anything was read.
    pub fn is_empty(&self) -> bool {
        self.trend.is_none() && self.parts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_engines_factors() {
        let ev = Evidence::read(&[
            test_factors::trend("coolant_cold", 0.045, -0.7, 6.2),
            test_factors::level(
                "coolant_temp_warm_c",
                "coolant_cold",
                78.5,
                89.0,
                70.0,
                0.55,
            ),
            test_factors::level(
                "coolant_temp_warm_c",
                "coolant_hot",
                78.5,
                89.0,
                110.0,
                -0.52,
            ),
        ]);
        let t = ev.trend.as_ref().unwrap();
        assert_eq!(t.part, "coolant_cold");
        assert!((t.t_stat - 6.2).abs() < 1e-9);
        let w = ev.worst().unwrap();
        assert_eq!(w.part, "coolant_cold");
        assert_eq!(w.baseline, Some(89.0));
        assert_eq!(w.limit, Some(70.0));
        assert!((w.damage - 0.55).abs() < 1e-9);
        assert_eq!(ev.part("coolant_hot").unwrap().damage, 0.0);
    }

    #[test]
    fn past_the_limit_is_not_clamped() {
        let ev = Evidence::read(&[test_factors::level(
            "brake_pad_wear_pct",
            "pad_wear",
            104.0,
            0.0,
            100.0,
            1.04,
        )]);
        assert_eq!(ev.max_damage(), Some(1.04));
    }

    #[test]
    fn foreign_factors_still_count() {
        let ev = Evidence::read(&[Factor {
            name: "soot_load_pct".to_owned(),
            value: 78.0,
            impact: -0.4,
            detail: "soot load 78 %".to_owned(),
            ..Factor::default()
        }]);
        assert_eq!(ev.worst().unwrap().part, "soot_load_pct");
        assert!((ev.worst().unwrap().damage - 0.4).abs() < 1e-9);
        assert!(ev.trend.is_none());
    }
}

/// Factors as the health engine writes them, for tests.
#[cfg(test)]
pub(crate) mod test_factors {
    use shared_schemas::events::Factor;

    /// A `{part}_trend_per_day` factor.
    pub(crate) fn trend(part: &str, slope: f64, impact: f64, t_stat: f64) -> Factor {
        Factor {
            name: format!("{part}_trend_per_day"),
            value: slope,
            impact,
            detail: format!(
                "{part} damage rising {:.2} %/day (t = {t_stat:.1})",
                100.0 * slope
            ),
            part: Some(part.to_owned()),
            t_stat: Some(t_stat),
            ..Factor::default()
        }
    }

    /// A part's level factor.
    pub(crate) fn level(
        indicator: &str,
        part: &str,
        value: f64,
        baseline: f64,
        limit: f64,
        damage: f64,
    ) -> Factor {
        Factor {
            name: indicator.to_owned(),
            value,
            impact: -damage.clamp(0.0, 1.0),
            detail: format!(
                "{part}: {value:.3} against a baseline of {baseline:.3} (limit {limit:.3}), {:.0} % of the way",
                100.0 * damage.max(0.0)
            ),
            part: Some(part.to_owned()),
            baseline: Some(baseline),
            limit: Some(limit),
            damage: Some(damage),
            ..Factor::default()
        }
    }
}
