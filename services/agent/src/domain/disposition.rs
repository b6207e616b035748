//! What a decision calls for, by the evidence behind it (ADR 0010): an alert to people,
//! a maintenance-planning item, or only the record on the dashboard.
//!
//! A message to a person must be worth reading: it needs evidence of a fault (a trend
//! the health engine judges abnormal, a band of fair or worse with a part a quarter of
//! the way to its limit, a crossing into poor or critical, a trouble code that supports
//! the diagnosis) or work that is due now. Parts
//! that wear in normal use, at the vehicle's normal pace, are planned, not alerted.

use shared_schemas::events::{Disposition, HealthBand, Severity};

use super::case::{Case, Trigger};
use super::evidence::Evidence;
use super::modes::FailureMode;

/// Furthest ahead routine wear is worth planning, days (a year, where the remaining
/// life messages stop counting too): beyond it there is nothing to plan yet.
pub const PLANNING_HORIZON_DAYS: f64 = 365.0;
/// Days before the limit a planned job should be done by: room to book a slot and get
/// parts.
pub const PLANNING_MARGIN_DAYS: f64 = 30.0;
/// How far towards its limit a part must be for a band of fair or worse to count as
/// evidence without a trend (the health engine's own bar for a part "well on its way"):
/// a fair score from a few warm days, with the part back at its baseline, is not.
pub const LEVEL_EVIDENCE_DAMAGE: f64 = 0.25;

/// What the decision about `case`, naming `mode` at `severity`, calls for.
/// `supporting_codes`: trouble codes corroborate the mode.
pub fn of(
    case: &Case,
    ev: &Evidence,
    mode: FailureMode,
    severity: Severity,
    supporting_codes: bool,
) -> Disposition {
    if mode == FailureMode::Monitor {
        return Disposition::Monitor;
    }
    if mode == FailureMode::RoutineBrakeWear {
        // Normal wear is due work only once it must be booked now.
        return if severity >= Severity::Medium {
            Disposition::Alert
        } else if case.rul_days.is_some_and(|d| d <= PLANNING_HORIZON_DAYS) {
            Disposition::Plan
        } else {
            Disposition::Monitor
        };
    }
    if case.trigger != Trigger::Changed {
        // A crossing into poor or critical, or a person asking.
        return Disposition::Alert;
    }
    let level = case.band.is_some_and(|b| b >= HealthBand::Fair)
        && ev.max_damage().is_some_and(|d| d >= LEVEL_EVIDENCE_DAMAGE);
    let fault = level || supporting_codes || severity >= Severity::Medium || abnormal_trend(ev);
    if fault {
        Disposition::Alert
    } else {
        Disposition::Monitor
    }
}

/// Whether the trend is evidence of a fault: the health engine's verdict, or, from a
/// producer that does not give one, a significant trend.
fn abnormal_trend(ev: &Evidence) -> bool {
    ev.trend
        .as_ref()
        .is_some_and(|t| t.abnormal.unwrap_or(t.t_stat >= 3.0))
}

/// Days within which to do a planned job: before the last [`PLANNING_MARGIN_DAYS`] of
/// its remaining life, and at least a week ahead.
pub fn planning_window_days(rul_days: f64) -> u32 {
    (rul_days - PLANNING_MARGIN_DAYS).clamp(7.0, PLANNING_HORIZON_DAYS) as u32
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use shared_schemas::events::{Component, HealthChanged};
    use uuid::Uuid;

    use super::*;
    use crate::domain::evidence::test_factors::{level, trend};

    fn changed(band: HealthBand, rul_days: f64) -> Case {
        Case::changed(
            Uuid::nil(),
            Uuid::nil(),
            HealthChanged {
                org_id: "o".to_owned(),
                vehicle_id: "V".to_owned(),
                component: Component::Cooling,
                previous_score: 0.9,
                previous_band: HealthBand::Excellent,
                current_score: 0.7,
                current_band: band,
                rul_days,
                reason: shared_schemas::events::ChangeReason::BandCrossed,
                detected_at: Utc::now(),
            },
        )
    }

    #[test]
    fn a_change_within_healthy_bands_alerts_only_on_evidence() {
        let quiet = Evidence::default();
        let c = changed(HealthBand::Good, 120.0);
        let mode = FailureMode::CoolantOverheat;
        assert_eq!(
            of(&c, &quiet, mode, Severity::Low, false),
            Disposition::Monitor
        );
        assert_eq!(
            of(&c, &quiet, mode, Severity::Low, true),
            Disposition::Alert
        );
        let mut t = trend("coolant_hot", 0.02, -0.3, 5.0);
        t.abnormal = Some(true);
        let ev = Evidence::read(&[t]);
        assert_eq!(of(&c, &ev, mode, Severity::Low, false), Disposition::Alert);
        // Fair with a part well on its way alerts; fair after a few warm days does not.
        let fair = changed(HealthBand::Fair, 120.0);
        let worn = Evidence::read(&[level(
            "coolant_temp_warm_c",
            "coolant_hot",
            99.0,
            88.0,
            110.0,
            0.5,
        )]);
        assert_eq!(
            of(&fair, &worn, mode, Severity::Low, false),
            Disposition::Alert
        );
        let warm = Evidence::read(&[level(
            "coolant_temp_warm_c",
            "coolant_hot",
            88.4,
            88.0,
            110.0,
            0.02,
        )]);
        assert_eq!(
            of(&fair, &warm, mode, Severity::Low, false),
            Disposition::Monitor
        );
    }

    #[test]
    fn routine_wear_is_planned_until_it_is_due() {
        let ev = Evidence::default();
        let mode = FailureMode::RoutineBrakeWear;
        let c = changed(HealthBand::Good, 158.0);
        assert_eq!(of(&c, &ev, mode, Severity::Low, false), Disposition::Plan);
        let far = changed(HealthBand::Excellent, 400.0);
        assert_eq!(
            of(&far, &ev, mode, Severity::Low, false),
            Disposition::Monitor
        );
        let due = changed(HealthBand::Fair, 10.0);
        assert_eq!(
            of(&due, &ev, mode, Severity::Medium, false),
            Disposition::Alert
        );
        assert_eq!(planning_window_days(158.0), 128);
        assert_eq!(planning_window_days(20.0), 7);
    }
}
