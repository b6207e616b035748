//! Each claim's history as the warranty service would have it when the claim arrives:
//! earlier claims of the VIN and of the shop with their outcomes, the region's recent
//! claims of the component, and the nearest other claims by text (hashed-trigram
//! cosine, a stand-in for the service's vector index).

use std::collections::HashMap;

use uuid::Uuid;
use warranty::domain::model::{ClaimHistory, PastClaim, SimilarClaim};

use crate::build::World;
use crate::generate::{Label, Labelled};
use crate::text;

/// Share of fraud that reviewers caught and confirmed (the rest was paid).
const CAUGHT: f64 = 0.6;

/// Histories for `claims` (oldest failure first), in the same order.
pub(crate) fn histories(world: &World, claims: &[Labelled]) -> Vec<ClaimHistory> {
    let vectors: Vec<Vec<f32>> = claims
        .iter()
        .map(|c| text::embed(&c.claim.description))
        .collect();
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
            let similar = nearest(&vectors, claims, i);
            ClaimHistory {
                same_vin,
                same_shop,
                region_recent,
                similar,
            }
        })
        .collect()
}

fn nearest(vectors: &[Vec<f32>], claims: &[Labelled], i: usize) -> Vec<SimilarClaim> {
    let mut best: Vec<SimilarClaim> = (0..i)
        .filter(|j| claims[*j].claim.vin != claims[i].claim.vin)
        .map(|j| SimilarClaim {
            claim_id: claims[j].claim.id,
            similarity: text::cosine(&vectors[i], &vectors[j]),
        })
        .collect();
    best.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
    best.truncate(5);
    best
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
