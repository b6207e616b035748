//! The rules that turn a remaining useful life into a decision's severity and its
//! window to act (docs/domain.md, urgency guide). The agent's rule diagnoser and the
//! benchmarks that score decisions against the truth both read them from here.
//!
//! The time to failure is the health engine's remaining useful life, measured on the
//! vehicle's own degradation: how hard the vehicle is used is already in it. Heavy
//! use (over [`HEAVY_KM_PER_DAY`] km/day) therefore does not change the band; it
//! brings the window to act forward by a quarter, a margin for use that grows before
//! the trend shows it. A component already past its limit (damage at or over 1) is
//! critical whatever its RUL says; one whose RUL says critical while its part still
//! reads near its baseline (damage under [`CRITICAL_MIN_DAMAGE`]) is high: a failure
//! within three days projected from a part that does not show the wear yet rests on a
//! slope the level does not confirm (a jump, a sensor fault, a hot spell).

use crate::events::Severity;

/// Daily distance over which a vehicle counts as heavily used, km (docs/domain.md).
pub const HEAVY_KM_PER_DAY: f64 = 80.0;
/// The window to act is computed on the remaining life times this for a heavily used
/// vehicle.
pub const HEAVY_USE_FACTOR: f64 = 0.75;

/// The least damage of the worst part that confirms a critical RUL (a fifth of the way
/// from baseline to limit). Chosen on the realistic tuning fleets (seeds 60–62): it
/// kept 118 of 124 critical decisions with a failure within two weeks and held back
/// 27 of 48 on components without a fault.
pub const CRITICAL_MIN_DAMAGE: f64 = 0.2;

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
    /// Whether the RUL said critical and the part's damage did not confirm it (the band
    /// is then high).
    pub unconfirmed: bool,
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
    let by_rul = Severity::for_days_to_failure(rul);
    let unconfirmed = !past_limit
        && by_rul == Severity::Critical
        && damage.is_some_and(|d| d < CRITICAL_MIN_DAMAGE);
    RuleBand {
        severity: if past_limit {
            Severity::Critical
        } else if unconfirmed {
            Severity::High
        } else {
            by_rul
        },
        effective_days: if heavy_use {
            rul * HEAVY_USE_FACTOR
        } else {
            rul
        },
        heavy_use,
        past_limit,
        unconfirmed,
    }
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

/// The daily distance a RUL in km and in days imply (the agent's measure of use):
/// none for a failure due within half a day, or without a positive rate.
pub fn implied_daily_km(rul_days: f64, rul_km: Option<f64>) -> Option<f64> {
    rul_km
        .filter(|_| rul_days > 0.5)
        .map(|km| km / rul_days)
        .filter(|km| km.is_finite() && *km > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_critical_rul_needs_a_part_that_shows_the_wear() {
        let near_baseline = rule_band(1.5, None, Some(0.09));
        assert_eq!(near_baseline.severity, Severity::High);
        assert!(near_baseline.unconfirmed);
        let worn = rule_band(1.5, None, Some(0.45));
        assert_eq!(worn.severity, Severity::Critical);
        assert!(!worn.unconfirmed);
        // Without a measured level (another producer) the RUL decides.
        assert_eq!(rule_band(1.5, None, None).severity, Severity::Critical);
        // Other bands do not need it.
        assert_eq!(rule_band(5.0, None, Some(0.0)).severity, Severity::High);
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
