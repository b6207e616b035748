//! The claim's fraud features: each a named, explained measurement and a strength in
//! [0, 1] the score is computed from. Thresholds here are warranty practice (a
//! quarter after coverage starts or before it ends, a year for repeats), not fitted.

mod cost;
mod history;
mod telemetry;

use shared_schemas::events::FraudSignalKind;

use crate::domain::model::{Claim, ClaimHistory, Eligibility, VehicleRecord};

/// One feature of a claim.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// Finer name, e.g. `labour_over_standard`.
    pub name: &'static str,
    /// The pattern it belongs to.
    pub kind: FraudSignalKind,
    /// The measured value, in the unit the explanation names.
    pub value: f64,
    /// Strength in [0, 1] (0: no sign of the pattern).
    pub strength: f64,
    /// In words, with the numbers.
    pub explanation: String,
}

impl Feature {
    fn new(
        name: &'static str,
        kind: FraudSignalKind,
        value: f64,
        strength: f64,
        explanation: String,
    ) -> Self {
        Self {
            name,
            kind,
            value,
            strength: strength.clamp(0.0, 1.0),
            explanation,
        }
    }
}

/// The feature names, in the order [`extract`] returns them and the weights use.
pub const NAMES: [&str; 15] = [
    "repeat_same_component",
    "repeat_same_vin",
    "near_coverage_start",
    "near_coverage_end",
    "no_prior_degradation",
    "odometer_disagreement",
    "odometer_anomaly_on_record",
    "not_reporting_at_failure",
    "in_service_at_failure",
    "labour_over_standard",
    "parts_inconsistent",
    "shop_confirmed_fraud",
    "shop_low_approval",
    "regional_cluster",
    "near_duplicate",
];

/// Number of features.
pub const N: usize = NAMES.len();

/// Every feature of `claim`, in [`NAMES`] order.
pub fn extract(
    claim: &Claim,
    eligibility: &Eligibility,
    record: &VehicleRecord,
    history: &ClaimHistory,
) -> Vec<Feature> {
    let [same_component, same_vin] = history::repeats(claim, history);
    let [start, end] = timing(eligibility);
    let [shop_fraud, shop_approval] = history::shop(history);
    vec![
        same_component,
        same_vin,
        start,
        end,
        telemetry::no_prior_degradation(claim, record),
        telemetry::odometer_disagreement(claim, record),
        telemetry::odometer_anomaly(claim, record),
        telemetry::not_reporting(record),
        telemetry::in_service_at_failure(claim, record),
        cost::labour_over_standard(claim),
        cost::parts_inconsistent(claim),
        shop_fraud,
        shop_approval,
        history::regional_cluster(history),
        history::near_duplicate(history),
    ]
}

/// Days counted as "just after the start" or "just before the end" of coverage.
const TIMING_WINDOW_DAYS: f64 = 90.0;
/// Km before the distance limit counted as "just before the end".
const TIMING_WINDOW_KM: f64 = 5_000.0;

/// Near coverage start, near coverage end (time or distance).
fn timing(e: &Eligibility) -> [Feature; 2] {
    let near = |days: f64| 1.0 - days.max(0.0) / TIMING_WINDOW_DAYS;
    let start = e.days_since_start.map_or(0.0, |d| near(d as f64));
    let start = Feature::new(
        "near_coverage_start",
        FraudSignalKind::NearCoverageStart,
        e.days_since_start.map_or(-1.0, |d| d as f64),
        start,
        e.days_since_start.map_or_else(
            || "coverage start unknown".to_owned(),
            |d| {
                format!(
                    "failure {d} days after coverage started (window {TIMING_WINDOW_DAYS:.0} days)"
                )
            },
        ),
    );
    let by_time = e.days_to_end.map_or(0.0, |d| near(d as f64));
    let by_km = e
        .km_to_limit
        .map_or(0.0, |km| 1.0 - km.max(0.0) / TIMING_WINDOW_KM);
    let days = e
        .days_to_end
        .map_or_else(|| "unknown".to_owned(), |d| d.to_string());
    let km = e
        .km_to_limit
        .map_or_else(|| "unlimited".to_owned(), |k| format!("{k:.0}"));
    let end = Feature::new(
        "near_coverage_end",
        FraudSignalKind::NearExpiry,
        e.days_to_end.map_or(-1.0, |d| d as f64),
        by_time.max(by_km),
        format!(
            "failure {days} days and {km} km before coverage ends (windows {TIMING_WINDOW_DAYS:.0} days, {TIMING_WINDOW_KM:.0} km)"
        ),
    );
    [start, end]
}
