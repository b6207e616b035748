//! Features of the bill: labour against the standard time, parts against the job.

use shared_schemas::events::FraudSignalKind;

use super::Feature;
use crate::domain::model::Claim;
use crate::domain::standard_times::{part_belongs, standard_job};

/// Labour at this multiple of the standard time is full strength (log scale from 1).
const LABOUR_FULL_RATIO: f64 = 3.0;
/// Value of foreign parts tolerated (a fluid of another system topped up on the visit),
/// and the value at which they are full strength.
const FOREIGN_TOLERATED: f64 = 200.0;
const FOREIGN_FULL: f64 = 1_000.0;

/// Labour hours above the standard time for the job.
pub(super) fn labour_over_standard(claim: &Claim) -> Feature {
    let job = standard_job(claim.component);
    let ratio = claim.cost.labour_hours / job.labour_hours;
    Feature::new(
        "labour_over_standard",
        FraudSignalKind::LabourOverStandard,
        ratio,
        ratio.max(1.0).log(LABOUR_FULL_RATIO),
        format!(
            "{:.1} labour hours billed against a standard {:.1} h for \"{}\" ({ratio:.2}x)",
            claim.cost.labour_hours, job.labour_hours, job.title
        ),
    )
}

/// The value of parts that do not belong to the component's repair, beyond a top-up's
/// (by value, not share: a costly foreign part is not hidden by a big bill).
pub(super) fn parts_inconsistent(claim: &Claim) -> Feature {
    let value = |p: &crate::domain::model::ClaimPart| f64::from(p.quantity) * p.unit_price.max(0.0);
    let total: f64 = claim.cost.parts.iter().map(value).sum();
    let foreign: Vec<_> = claim
        .cost
        .parts
        .iter()
        .filter(|p| !part_belongs(claim.component, &p.part))
        .collect();
    let foreign_value: f64 = foreign.iter().map(|p| value(p)).sum();
    let share = if total > 0.0 {
        foreign_value / total
    } else if foreign.is_empty() {
        0.0
    } else {
        1.0
    };
    let names: Vec<&str> = foreign.iter().map(|p| p.part.as_str()).collect();
    let by_value = (foreign_value - FOREIGN_TOLERATED) / (FOREIGN_FULL - FOREIGN_TOLERATED);
    Feature::new(
        "parts_inconsistent",
        FraudSignalKind::PartsInconsistent,
        foreign_value,
        by_value,
        format!(
            "{foreign_value:.0} in parts ({:.0} % of the parts' value) that are not part of a {} repair ({})",
            share * 100.0,
            claim.component.as_str(),
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        ),
    )
}
