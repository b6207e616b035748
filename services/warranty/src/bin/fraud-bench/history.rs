//! Each claim's history as the warranty service would have it when the claim arrives:
//! earlier claims of the VIN and of the shop with their outcomes and the region's recent
//! claims of the component. The near neighbours come from the real index (`index.rs`).

use std::collections::HashMap;

use uuid::Uuid;
use warranty::domain::model::{ClaimHistory, PastClaim};

use crate::build::World;
use crate::generate::{Label, Labelled};

/// Share of fraud that reviewers caught and confirmed (the rest was paid).
const CAUGHT: f64 = 0.6;

/// Histories for `claims` (oldest failure first), in the same order.
pub(crate) fn histories(world: &World, claims: &[Labelled]) -> Vec<ClaimHistory> {
    let region: HashMap<&str, &str> = world
        .shops
        .iter()
        .map(|s| (s.shop.id.as_str(), s.shop.region.as_str()))
        .collect();
    claims
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let earlier = &claims[..i];
            let mut same_vin = c.prior.clone();
            same_vin.extend(
                earlier
                    .iter()
                    .filter(|e| e.claim.vin == c.claim.vin)
                    .map(past),
            );
            let mut same_shop: Vec<PastClaim> = world
                .shops
                .iter()
                .filter(|s| s.shop.id == c.claim.shop.id)
                .flat_map(|s| s.past.iter().cloned())
                .collect();
            same_shop.extend(
                earlier
                    .iter()
                    .filter(|e| e.claim.shop.id == c.claim.shop.id)
                    .map(past),
            );
            let here = region.get(c.claim.shop.id.as_str());
            let region_recent = earlier
                .iter()
                .filter(|e| e.claim.component == c.claim.component)
                .filter(|e| (c.claim.failure_date - e.claim.failure_date).num_days() <= 30)
                .filter(|e| region.get(e.claim.shop.id.as_str()) == here)
                .count() as u32;
            ClaimHistory {
                same_vin,
                same_shop,
                region_recent,
                similar: Vec::new(),
            }
        })
        .collect()
}

/// An earlier claim as the service recorded its outcome.
fn past(e: &Labelled) -> PastClaim {
    let caught = e.label == Label::Fraud && fraction(e.claim.id) < CAUGHT;
    PastClaim {
        claim_id: e.claim.id,
        vin: e.claim.vin.clone(),
        component: e.claim.component,
        failure_date: e.claim.failure_date,
        shop_id: e.claim.shop.id.clone(),
        status: Some(if caught { "rejected" } else { "approved" }.to_owned()),
        fraud_confirmed: caught,
    }
}

/// A deterministic draw in [0, 1) from an id.
fn fraction(id: Uuid) -> f64 {
    (id.as_u128() % 1_000) as f64 / 1_000.0
}
