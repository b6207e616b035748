//! Ignored warnings: the owner was told the component was degrading and did not act
//! (alerts left unacknowledged, a critical finding with no appointment booked).
//!
//! This is owner negligence, not fraud: the failure is genuine but may be excluded by
//! the warranty terms (failure to maintain). It therefore adds nothing to the fraud
//! score; it stops auto-approval and sends the claim to a reviewer with the evidence.

use chrono::{DateTime, Utc};
use shared_schemas::events::{Component, FraudSignalKind};

use crate::domain::model::{Claim, Signal, VehicleRecord};

/// Alerts older than this before the failure are history, not a warning ignored.
const WARNING_WINDOW_DAYS: i64 = 90;

/// The ignored-warnings finding, if any.
pub fn ignored_warnings(claim: &Claim, record: &VehicleRecord) -> Option<Signal> {
    let failure = claim.failure_date.and_hms_opt(23, 59, 59)?.and_utc();
    let about = |c: Option<Component>| c.is_none_or(|c| c == claim.component);
    let warnings: Vec<_> = record
        .alerts
        .iter()
        .filter(|a| about(a.component) && a.component.is_some())
        .filter(|a| a.severity != "info")
        .filter(|a| {
            let age = (failure - a.created_at).num_days();
            (0..=WARNING_WINDOW_DAYS).contains(&age)
        })
        .collect();
    let unacknowledged = warnings
        .iter()
        .filter(|a| a.acknowledged_at.is_none_or(|t| t > failure))
        .count();
    let unbooked = warnings
        .iter()
        .filter(|a| matches!(a.severity.as_str(), "critical" | "emergency"))
        .filter(|a| !booked_after(record, claim.component, a.created_at, failure))
        .count();
    if unacknowledged == 0 && unbooked == 0 {
        return None;
    }
    Some(Signal {
        kind: FraudSignalKind::IgnoredWarnings,
        name: "ignored_warnings".to_owned(),
        value: (unacknowledged + unbooked) as f64,
        weight: 0.0,
        explanation: format!(
            "{unacknowledged} of {} warning(s) about the {} in the {WARNING_WINDOW_DAYS} days before the failure were never acknowledged, and {unbooked} critical finding(s) had no appointment booked: possible owner negligence (not counted as fraud; sent to a reviewer)",
            warnings.len(),
            claim.component.as_str()
        ),
    })
}

/// Whether an appointment for the component (or the whole vehicle) was booked after
/// `from` to start by `until` and not abandoned.
fn booked_after(
    record: &VehicleRecord,
    component: Component,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> bool {
    record.appointments.iter().any(|a| {
        a.component.is_none_or(|c| c == component)
            && a.starts_at >= from
            && !matches!(a.status.as_str(), "cancelled" | "no_show")
            && a.starts_at <= until + chrono::Duration::days(WARNING_WINDOW_DAYS)
    })
}
