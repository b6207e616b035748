//! Severity from time to failure, and the bounds a model's severity must respect.
//!
//! The urgency guide of docs/domain.md, on continuous days (fractions count towards the
//! lower band: 7.9 days is "7 days"):
//!
//! | time to failure | severity |
//! |---|---|
//! | under 3 days | critical |
//! | 3 to under 8 days (3–7) | high |
//! | 8 to under 15 days (8–14) | medium |
//! | 15 days or more (over 14) | low |
//!
//! The time to failure is the health engine's remaining useful life, which it measures
//! on the vehicle's own degradation: how hard the vehicle is used is already in it.
//! Heavy use (over [`HEAVY_KM_PER_DAY`] km/day) therefore does not change the band;
//! it brings the window to act forward by a quarter, a margin for use that grows
//! before the trend shows it. A component already past its limit (damage at or over
//! 1) is critical whatever its RUL says.
//!
//! **Model bounds**: a model may answer the rule band or one level above it; never
//! below the band, never two levels above. Anything else does not validate and the
//! rule-based diagnoser answers instead.

use shared_schemas::events::Severity;

/// Daily distance over which a vehicle counts as heavily used, km (docs/domain.md).
pub const HEAVY_KM_PER_DAY: f64 = 80.0;
/// The window to act is computed on the remaining life times this for a heavily used
/// vehicle.
pub const HEAVY_USE_FACTOR: f64 = 0.75;

/// Every severity, least severe first.
pub const ALL: [Severity; 4] = [
    Severity::Low,
    Severity::Medium,
    Severity::High,
    Severity::Critical,
];

/// The band of a time to failure in days (see the module table).
pub fn band_for_days(days: f64) -> Severity {
    Severity::for_days_to_failure(days)
}

/// One level more severe (critical stays critical).
pub fn raise(s: Severity) -> Severity {
    match s {
        Severity::Low => Severity::Medium,
        Severity::Medium => Severity::High,
        Severity::High | Severity::Critical => Severity::Critical,
    }
}

/// Parses a wire name (`low`, `medium`, `high`, `critical`).
pub fn parse(s: &str) -> Option<Severity> {
    ALL.into_iter().find(|v| v.as_str() == s)
}

/// How the rule band was found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleBand {
    /// The band.
    pub severity: Severity,
    /// Time to failure the window to act is computed on, days (after the heavy-use
    /// margin).
    pub effective_days: f64,
    /// Whether the vehicle is heavily used.
    pub heavy_use: bool,
    /// Whether the component is already past its limit.
    pub past_limit: bool,
}

/// The rule band of a component with `rul_days` left, used `daily_km` a day, whose worst
/// damage is `damage` (1 = at the limit).
pub fn rule_band(rul_days: f64, daily_km: Option<f64>, damage: Option<f64>) -> RuleBand {
    let heavy_use = daily_km.is_some_and(|km| km > HEAVY_KM_PER_DAY);
    let rul = if rul_days.is_finite() {
        rul_days.max(0.0)
    } else {
        f64::NAN
    };
    let past_limit = damage.is_some_and(|d| d >= 1.0);
    RuleBand {
        severity: if past_limit {
            Severity::Critical
        } else {
            band_for_days(rul)
        },
        effective_days: if heavy_use {
            rul * HEAVY_USE_FACTOR
        } else {
            rul
        },
        heavy_use,
        past_limit,
    }
}

/// The severities a model may answer when the rules say `floor`.
pub fn allowed(floor: Severity) -> (Severity, Severity) {
    (floor, raise(floor))
}

/// Whether a model's `answer` is within the bounds of the rule band `floor`.
pub fn within_bounds(answer: Severity, floor: Severity) -> bool {
    let (lo, hi) = allowed(floor);
    answer >= lo && answer <= hi
}

/// Days within which to act: half the remaining time (a margin for booking and parts),
/// capped per severity (critical 1, high 3, medium 7, low 30). A "monitor" decision
/// (nothing to repair) reviews within 30 days.
pub fn urgency_days(severity: Severity, effective_days: f64) -> u32 {
    let cap = match severity {
        Severity::Critical => 1.0,
        Severity::High => 3.0,
        Severity::Medium => 7.0,
        Severity::Low => 30.0,
    };
    let half = if effective_days.is_finite() {
        (effective_days / 2.0).floor().max(0.0)
    } else {
        0.0
    };
    half.min(cap) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_follow_the_urgency_guide() {
        let cases = [
            (0.0, Severity::Critical),
            (2.99, Severity::Critical),
            (3.0, Severity::High),
            (7.9, Severity::High),
            (8.0, Severity::Medium),
            (14.9, Severity::Medium),
            (15.0, Severity::Low),
            (365.0, Severity::Low),
            (f64::NAN, Severity::Critical),
        ];
        for (days, s) in cases {
            assert_eq!(band_for_days(days), s, "{days}");
        }
    }

    #[test]
    fn heavy_use_shortens_the_window_not_the_band() {
        let light = rule_band(16.0, Some(40.0), None);
        let heavy = rule_band(16.0, Some(500.0), None);
        assert_eq!(light.severity, Severity::Low);
        assert_eq!(heavy.severity, Severity::Low);
        assert!(heavy.heavy_use && !light.heavy_use);
        assert_eq!(light.effective_days, 16.0);
        assert_eq!(heavy.effective_days, 12.0);
        assert!(
            urgency_days(heavy.severity, heavy.effective_days)
                < urgency_days(light.severity, light.effective_days)
        );
        assert_eq!(
            rule_band(200.0, None, Some(1.05)).severity,
            Severity::Critical
        );
    }

    #[test]
    fn model_bounds_are_the_band_and_one_above() {
        assert!(within_bounds(Severity::Medium, Severity::Medium));
        assert!(within_bounds(Severity::High, Severity::Medium));
        assert!(!within_bounds(Severity::Critical, Severity::Medium));
        assert!(!within_bounds(Severity::Low, Severity::Medium));
        assert!(within_bounds(Severity::Critical, Severity::Critical));
    }

    #[test]
    fn urgency_is_half_the_time_left_capped() {
        assert_eq!(urgency_days(Severity::Critical, 0.5), 0);
        assert_eq!(urgency_days(Severity::Critical, 2.9), 1);
        assert_eq!(urgency_days(Severity::High, 5.0), 2);
        assert_eq!(urgency_days(Severity::Medium, 12.0), 6);
        assert_eq!(urgency_days(Severity::Low, 40.0), 20);
        assert_eq!(urgency_days(Severity::Low, 365.0), 30);
    }
}
