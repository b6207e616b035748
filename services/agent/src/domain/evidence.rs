//! Reading the health engine's factors: which failure part is trending (the
//! `{part}_trend_per_day` factor, with its t-statistic), and each part's latest value,
//! baseline, limit and damage (`"{part}: {value} against a baseline of {b} (limit {l}),
//! {p} % of the way"`). Factors from other producers still count through their name,
//! value and impact.

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
                        part: part.to_owned(),
                        slope_per_day: f.value,
                        t_stat: number_after(&f.detail, "t = ").unwrap_or(0.0),
                    });
                }
                continue;
            }
            if !f.value.is_finite() {
                continue;
            }
            let part = f
                .detail
                .split_once(": ")
                .map(|(p, _)| p.trim())
                .filter(|p| !p.is_empty() && !p.contains(' '))
                .unwrap_or(&f.name)
                .to_owned();
            ev.parts.push(PartState {
                part,
                indicator: f.name.clone(),
                value: f.value,
                baseline: number_after(&f.detail, "baseline of "),
                limit: number_after(&f.detail, "(limit "),
                damage: (-f.impact).max(0.0),
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

/// The number right after `marker` in `text`.
fn number_after(text: &str, marker: &str) -> Option<f64> {
    let rest = &text[text.find(marker)? + marker.len()..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .unwrap_or(rest.len());
    rest[..end].parse().ok().filter(|v: &f64| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factor(name: &str, value: f64, impact: f64, detail: &str) -> Factor {
        Factor {
            name: name.to_owned(),
            value,
            impact,
            detail: detail.to_owned(),
        }
    }

    #[test]
    fn reads_the_engines_factor_formats() {
        let ev = Evidence::read(&[
            factor(
                "coolant_cold_trend_per_day",
                0.045,
                -0.7,
                "coolant_cold damage rising 4.50 %/day (t = 6.2); limit in about 9 days",
            ),
            factor(
                "coolant_temp_warm_c",
                78.5,
                -0.55,
                "coolant_cold: 78.500 against a baseline of 89.000 (limit 70.000), 55 % of the way",
            ),
            factor(
                "coolant_temp_warm_c",
                78.5,
                0.0,
                "coolant_hot: 78.500 against a baseline of 89.000 (limit 110.000), 0 % of the way",
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
    fn foreign_factors_still_count() {
        let ev = Evidence::read(&[factor("soot_load_pct", 78.0, -0.4, "soot load 78 %")]);
        assert_eq!(ev.worst().unwrap().part, "soot_load_pct");
        assert!(ev.trend.is_none());
    }
}
