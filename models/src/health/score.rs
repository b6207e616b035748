//! From RUL and damage to a 0..1 health score.
//!
//! The score follows time to failure, so the bands mean the same for every component
//! and match the design's time-to-failure bands (60+ days healthy, 21–60 warning,
//! under 21 critical): critical (< 0.2) is under 21 days left, poor (< 0.4) under 60,
//! fair under 120, good under 240. A component already close to its limit scores low
//! even without a trend (`1 − damage`), except wear items, whose damage is their
//! normal consumption.

/// `(rul_days, score)` anchors of the RUL-to-score map, linear between them.
const ANCHORS: [(f64, f64); 6] = [
    (0.0, 0.0),
    (21.0, 0.2),
    (60.0, 0.4),
    (120.0, 0.6),
    (240.0, 0.8),
    (365.0, 1.0),
];

/// The score implied by a remaining useful life.
pub fn from_rul(rul_days: f64) -> f64 {
    if rul_days.is_nan() {
        return 0.0;
    }
    for pair in ANCHORS.windows(2) {
        let ((d0, s0), (d1, s1)) = (pair[0], pair[1]);
        if rul_days <= d1 {
            let x = ((rul_days - d0) / (d1 - d0)).clamp(0.0, 1.0);
            return s0 + x * (s1 - s0);
        }
    }
    1.0
}

/// The remaining useful life a score stands for: the inverse of [`from_rul`] (a score
/// of 1 stands for the longest RUL reported).
pub fn rul_for(score: f64) -> f64 {
    if score.is_nan() || score <= 0.0 {
        return 0.0;
    }
    for pair in ANCHORS.windows(2) {
        let ((d0, s0), (d1, s1)) = (pair[0], pair[1]);
        if score <= s1 {
            return d0 + (score - s0) / (s1 - s0) * (d1 - d0);
        }
    }
    ANCHORS[ANCHORS.len() - 1].0
}

/// The component score: the RUL score, capped by how close the component already is to
/// its limit (not for wear items).
pub fn score(rul_days: f64, damage: f64, wear: bool) -> f64 {
    let by_rul = from_rul(rul_days);
    if wear {
        by_rul
    } else {
        by_rul.min((1.0 - damage).clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use shared_schemas::events::HealthBand;

    use super::*;

    #[test]
    fn anchors_and_bands() {
        assert_eq!(from_rul(0.0), 0.0);
        assert!((from_rul(21.0) - 0.2).abs() < 1e-12);
        assert!((from_rul(10.5) - 0.1).abs() < 1e-12);
        assert_eq!(from_rul(1000.0), 1.0);
        assert_eq!(HealthBand::from_score(from_rul(20.0)), HealthBand::Critical);
        assert_eq!(HealthBand::from_score(from_rul(45.0)), HealthBand::Poor);
        assert_eq!(HealthBand::from_score(from_rul(90.0)), HealthBand::Fair);
        assert_eq!(HealthBand::from_score(from_rul(200.0)), HealthBand::Good);
        assert_eq!(
            HealthBand::from_score(from_rul(300.0)),
            HealthBand::Excellent
        );
    }

    #[test]
    fn monotonic() {
        let mut prev = -1.0;
        for d in 0..400 {
            let s = from_rul(f64::from(d));
            assert!(s >= prev);
            prev = s;
        }
    }

    #[test]
    fn rul_for_inverts_from_rul() {
        for d in [0.0, 2.5, 21.0, 45.0, 100.0, 300.0, 365.0] {
            assert!((rul_for(from_rul(d)) - d).abs() < 1e-9, "{d}");
        }
        assert_eq!(rul_for(-0.1), 0.0);
    }

    #[test]
    fn damage_caps_all_but_wear_items() {
        assert!((score(365.0, 0.7, false) - 0.3).abs() < 1e-12);
        assert_eq!(score(365.0, 0.7, true), 1.0);
        assert_eq!(score(365.0, -0.2, false), 1.0);
    }
}
