//! The vector index of past claims: near neighbours of a new claim among other vehicles'
//! claims of the same organization (a story told again, the same shop, the same amounts).
//! Embedded Qdrant Edge on disk by default, a Qdrant server when `QDRANT_URL` is set.

use std::fmt::Debug;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::model::{Claim, SimilarClaim};

pub mod edge;
pub mod embed;
pub mod server;
#[cfg(test)]
pub(crate) mod testdata;
#[cfg(test)]
mod tests;

pub use edge::EdgeIndex;
pub use server::ServerIndex;

/// Name of the dense vector (and of the server collection: `warranty_claims`).
pub const VECTOR_NAME: &str = "claim";

/// Payload keys stored with each point.
pub mod keys {
    /// Organization (the filter every search applies).
    pub const ORG: &str = "org_id";
    /// VIN (claims of the same vehicle are repeat claims, not neighbours).
    pub const VIN: &str = "vin";
    /// The claim id, as text.
    pub const CLAIM: &str = "claim_id";
}

/// Past claims by similarity.
#[async_trait]
pub trait ClaimIndex: Send + Sync + Debug {
    /// Adds or replaces the claim (by its id).
    async fn upsert(&self, claim: &Claim) -> anyhow::Result<()>;

    /// The `limit` nearest claims of the same org, best first, excluding the claim itself
    /// and claims of the same VIN; similarity 0..1.
    async fn similar(&self, claim: &Claim, limit: usize) -> anyhow::Result<Vec<SimilarClaim>>;
}

/// The index the configuration asks for: a Qdrant server when its URL is set, otherwise
/// the embedded index under `data_dir/claim-index`. Blocking (the embedded index loads
/// from disk): call it at startup.
pub fn open(
    config_qdrant_url: Option<&str>,
    data_dir: &Path,
) -> anyhow::Result<Arc<dyn ClaimIndex>> {
    Ok(match config_qdrant_url {
        Some(url) => Arc::new(ServerIndex::connect(url)?),
        None => Arc::new(EdgeIndex::open(&data_dir.join("claim-index"))?),
    })
}
