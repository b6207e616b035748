//! Features from the warranty service's own records: repeats, the shop, the region and
//! near-duplicates.

use shared_schemas::events::FraudSignalKind;

use super::Feature;
use crate::domain::model::{Claim, ClaimHistory};

/// Earlier claims within this many days count as repeats.
const REPEAT_WINDOW_DAYS: i64 = 365;
/// A shop's approval rate means something from this many decided claims on.
const SHOP_MIN_DECIDED: usize = 5;
/// Same-component claims in the region within 30 days at which the cluster is full.
const REGION_FULL: f64 = 20.0;
/// Similarity from which a neighbour counts as a near-duplicate, and where it is full.
const DUPLICATE_FROM: f64 = 0.7;

/// Same VIN and component, and same VIN any component, within a year before.
pub(super) fn repeats(claim: &Claim, h: &ClaimHistory) -> [Feature; 2] {
    let recent: Vec<_> = h
        .same_vin
        .iter()
        .filter(|p| p.claim_id != claim.id)
        .filter(|p| {
            let days = (claim.failure_date - p.failure_date).num_days();
            (0..=REPEAT_WINDOW_DAYS).contains(&days)
        })
        .collect();
    let same = recent
        .iter()
        .filter(|p| p.component == claim.component)
        .count();
    let any = recent.len();
    [
        Feature::new(
            "repeat_same_component",
            FraudSignalKind::RepeatClaims,
            same as f64,
            same as f64 / 2.0,
            format!(
                "{same} earlier claim(s) on this VIN's {} within {REPEAT_WINDOW_DAYS} days",
                claim.component.as_str()
            ),
        ),
        Feature::new(
            "repeat_same_vin",
            FraudSignalKind::RepeatClaims,
            any as f64,
            any as f64 / 3.0,
            format!("{any} earlier claim(s) on this VIN within {REPEAT_WINDOW_DAYS} days"),
        ),
    ]
}

/// Confirmed fraud at the shop, and its approval rate.
pub(super) fn shop(h: &ClaimHistory) -> [Feature; 2] {
    let fraud = h.same_shop.iter().filter(|p| p.fraud_confirmed).count();
    let decided: Vec<_> = h
        .same_shop
        .iter()
        .filter_map(|p| p.status.as_deref())
        .collect();
    let approved = decided
        .iter()
        .filter(|s| matches!(**s, "approved" | "paid"))
        .count();
    let (rate, strength) = if decided.len() >= SHOP_MIN_DECIDED {
        let r = approved as f64 / decided.len() as f64;
        (r, 1.0 - r)
    } else {
        (1.0, 0.0)
    };
    [
        Feature::new(
            "shop_confirmed_fraud",
            FraudSignalKind::ShopHistory,
            fraud as f64,
            fraud as f64 / 3.0,
            format!(
                "{fraud} confirmed fraudulent claim(s) among the shop's {} earlier claims",
                h.same_shop.len()
            ),
        ),
        Feature::new(
            "shop_low_approval",
            FraudSignalKind::ShopHistory,
            rate,
            strength,
            format!(
                "the shop's approval rate is {:.0} % over {} decided claims (counted from {SHOP_MIN_DECIDED})",
                rate * 100.0,
                decided.len()
            ),
        ),
    ]
}

/// Claims of the same component in the shop's region in the last 30 days.
pub(super) fn regional_cluster(h: &ClaimHistory) -> Feature {
    let n = f64::from(h.region_recent);
    Feature::new(
        "regional_cluster",
        FraudSignalKind::RegionalCluster,
        n,
        n.ln_1p() / REGION_FULL.ln_1p(),
        format!("{n:.0} claims of this component in the shop's region in the last 30 days"),
    )
}

/// The most similar other claim by text and features.
pub(super) fn near_duplicate(h: &ClaimHistory) -> Feature {
    let top = h.similar.iter().map(|s| s.similarity).fold(0.0, f64::max);
    Feature::new(
        "near_duplicate",
        FraudSignalKind::NearDuplicate,
        top,
        (top - DUPLICATE_FROM) / (1.0 - DUPLICATE_FROM),
        format!(
            "the most similar other claim is {:.0} % alike (near-duplicate from {:.0} %)",
            top * 100.0,
            DUPLICATE_FROM * 100.0
        ),
    )
}
