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
//! The rule band of a RUL (heavy use, a part past its limit) and the window to act
//! are `shared_schemas::urgency`, re-exported here: the benchmarks that score
//! decisions against the truth apply the same rules.
//!
//! **Model bounds**: a model may answer the rule band or one level above it; never
//! below the band, never two levels above. Anything else does not validate and the
//! rule-based diagnoser answers instead.

use shared_schemas::events::Severity;
pub use shared_schemas::urgency::{RuleBand, rule_band, urgency_days};

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

/// The severities a model may answer when the rules say `floor`.
pub fn allowed(floor: Severity) -> (Severity, Severity) {
    (floor, raise(floor))
}

/// Whether a model's `answer` is within the bounds of the rule band `floor`.
pub fn within_bounds(answer: Severity, floor: Severity) -> bool {
    let (lo, hi) = allowed(floor);
    answer >= lo && answer <= hi
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
    fn model_bounds_are_the_band_and_one_above() {
        assert!(within_bounds(Severity::Medium, Severity::Medium));
        assert!(within_bounds(Severity::High, Severity::Medium));
        assert!(!within_bounds(Severity::Critical, Severity::Medium));
        assert!(!within_bounds(Severity::Low, Severity::Medium));
        assert!(within_bounds(Severity::Critical, Severity::Critical));
    }
}
