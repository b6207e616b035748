//! Features from the vehicle's own telemetry: did the component degrade before the
//! failure, does the odometer agree, was the vehicle reporting at all.

use shared_schemas::events::FraudSignalKind;

use super::Feature;
use crate::domain::fraud::knowledge::slow_failure;
use crate::domain::model::{Claim, VehicleRecord};

/// Days of health history before the failure that should show a slow decline.
const LOOKBACK_DAYS: i64 = 60;
/// Lowest score in the lookback at or above which nothing declined (full strength), and
/// at or below which the decline is clear (no strength): good band and poor band.
const HEALTHY_SCORE: f64 = 0.9;
const DECLINED_SCORE: f64 = 0.5;
/// Days before the failure that give the vehicle's usual daily distance.
const USUAL_DAYS: i64 = 14;
/// Below this usual daily distance, km, the vehicle is used too little to judge.
const USUAL_MIN_KM: f64 = 30.0;
/// Share of its usual distance driven on the failure day and the day after at or below
/// which the vehicle was clearly off the road (no strength), and at or above which it
/// clearly was not (full strength).
const OFF_ROAD_SHARE: f64 = 0.4;
const AS_USUAL_SHARE: f64 = 1.0;
/// Km of disagreement tolerated (a day's driving between failure and the shop), and
/// where it is full strength.
const ODOMETER_TOLERANCE_KM: f64 = 250.0;
const ODOMETER_FULL_KM: f64 = 3_000.0;

/// A slow-failing component whose health never declined before the failure.
pub(super) fn no_prior_degradation(claim: &Claim, record: &VehicleRecord) -> Feature {
    let (slow, why) = slow_failure(claim.component);
    let window: Vec<f64> = record
        .component_history
        .iter()
        .filter(|p| {
            let before = (claim.failure_date - p.day).num_days();
            (0..=LOOKBACK_DAYS).contains(&before)
        })
        .map(|p| p.score)
        .collect();
    let name = "no_prior_degradation";
    let kind = FraudSignalKind::NoPriorDegradation;
    let Some(lowest) = window.iter().copied().reduce(f64::min) else {
        return Feature::new(
            name,
            kind,
            -1.0,
            0.0,
            "no health history before the failure".to_owned(),
        );
    };
    let healthy = (lowest - DECLINED_SCORE) / (HEALTHY_SCORE - DECLINED_SCORE);
    Feature::new(
        name,
        kind,
        lowest,
        healthy.clamp(0.0, 1.0) * slow,
        format!(
            "lowest {} health score in the {} days before the failure: {lowest:.2} (declined below {DECLINED_SCORE}, healthy above {HEALTHY_SCORE}); weight {slow:.2} because {why}",
            claim.component.as_str(),
            window.len()
        ),
    )
}

/// Claimed odometer against telemetry's: against the odometer's range on the failure
/// day (from the day before's last reading to the day's last) when the daily use is
/// known, else against the reading nearest the failure day's noon.
pub(super) fn odometer_disagreement(claim: &Claim, record: &VehicleRecord) -> Feature {
    let name = "odometer_disagreement";
    let kind = FraudSignalKind::OdometerRollback;
    let Some((low, high)) = failure_day_odometer(claim, record) else {
        return Feature::new(
            name,
            kind,
            0.0,
            0.0,
            "no telemetry odometer at the failure date".to_owned(),
        );
    };
    let km = claim.odometer_km;
    let diff = if km < low {
        km - low
    } else if km > high {
        km - high
    } else {
        0.0
    };
    let telemetry = if (high - low).abs() < 0.5 {
        format!("{low:.0} km")
    } else {
        format!("{low:.0}-{high:.0} km that day")
    };
    Feature::new(
        name,
        kind,
        diff,
        (diff.abs() - ODOMETER_TOLERANCE_KM) / (ODOMETER_FULL_KM - ODOMETER_TOLERANCE_KM),
        format!(
            "claimed {km:.0} km, telemetry {telemetry}: {diff:+.0} km off (tolerance {ODOMETER_TOLERANCE_KM:.0} km)"
        ),
    )
}

/// The odometer at the start and end of the failure day, from the daily use; else the
/// reading nearest the failure.
fn failure_day_odometer(claim: &Claim, record: &VehicleRecord) -> Option<(f64, f64)> {
    let day = record
        .usage
        .iter()
        .find(|u| u.day == claim.failure_date)
        .and_then(|u| u.odometer_km.map(|end| (end - u.distance_km.max(0.0), end)));
    day.or_else(|| record.telemetry_odometer_km.map(|km| (km, km)))
}

/// Odometer anomalies on record up to the failure: a rollback is full strength, a
/// reset or unit switch (a replaced cluster, a misconfigured device) partial, a spike
/// (one corrupt reading) nothing.
pub(super) fn odometer_anomaly(claim: &Claim, record: &VehicleRecord) -> Feature {
    let until = claim.failure_date + chrono::Days::new(1);
    let found: Vec<&str> = record
        .odometer_anomalies
        .iter()
        .filter(|(at, _)| at.date_naive() <= until)
        .map(|(_, kind)| kind.as_str())
        .collect();
    let strength = found
        .iter()
        .map(|k| match *k {
            "rollback" => 1.0,
            "spike" => 0.0,
            _ => 0.4,
        })
        .fold(0.0, f64::max);
    Feature::new(
        "odometer_anomaly_on_record",
        FraudSignalKind::OdometerRollback,
        found.len() as f64,
        strength,
        format!(
            "odometer anomalies on record up to the failure: {}",
            if found.is_empty() {
                "none".to_owned()
            } else {
                found.join(", ")
            }
        ),
    )
}

/// The vehicle sent no readings around the failure date.
pub(super) fn not_reporting(record: &VehicleRecord) -> Feature {
    let silent = record.telemetry_available && record.reporting_at_failure == Some(false);
    Feature::new(
        "not_reporting_at_failure",
        FraudSignalKind::NotReporting,
        f64::from(u8::from(silent)),
        f64::from(u8::from(silent)),
        if silent {
            "the vehicle sent no readings within a day of the claimed failure".to_owned()
        } else {
            "the vehicle was reporting at the failure date (or unknown)".to_owned()
        },
    )
}

/// The vehicle drove as usual on the claimed failure day and the day after: a breakdown
/// and its repair keep a vehicle off the road for a while, a staged claim does not.
pub(super) fn in_service_at_failure(claim: &Claim, record: &VehicleRecord) -> Feature {
    let name = "in_service_at_failure";
    let kind = FraudSignalKind::InServiceAtFailure;
    let km_on = |from: i64, to: i64| -> (f64, usize) {
        let days: Vec<f64> = record
            .usage
            .iter()
            .filter(|u| (from..to).contains(&(u.day - claim.failure_date).num_days()))
            .map(|u| u.distance_km.max(0.0))
            .collect();
        (days.iter().sum(), days.len())
    };
    let (before, _) = km_on(-USUAL_DAYS, 0);
    let usual = before / USUAL_DAYS as f64;
    let (after, days_after) = km_on(0, 2);
    if usual < USUAL_MIN_KM || days_after == 0 {
        return Feature::new(
            name,
            kind,
            -1.0,
            0.0,
            format!(
                "not judged: {usual:.0} km on an average day in the {USUAL_DAYS} days before, {days_after} day(s) of readings from the failure on"
            ),
        );
    }
    let share = after / (usual * days_after as f64);
    Feature::new(
        name,
        kind,
        share,
        (share - OFF_ROAD_SHARE) / (AS_USUAL_SHARE - OFF_ROAD_SHARE),
        format!(
            "drove {after:.0} km in the {days_after} day(s) from the claimed failure, {:.0} % of the usual {usual:.0} km a day (off the road at {:.0} % or less)",
            share * 100.0,
            OFF_ROAD_SHARE * 100.0
        ),
    )
}
