//! The analysis every claim gets after its coverage check: the vehicle's own record
//! from the other services, the claim's history in this service's records, its near
//! neighbours in the claim index, then the fraud signals and score
//! (`domain::fraud`). What it saw is kept for the evidence pack; the claim joins the
//! index for the claims after it.

use std::sync::Arc;

use async_trait::async_trait;
use sqlx::PgPool;

use super::claims::Decide;
use super::record::Records;
use crate::db::history;
use crate::domain::fraud;
use crate::domain::model::{Assessment, Claim, Eligibility};
use crate::similar::ClaimIndex;

/// How many near neighbours are read per claim.
const NEIGHBOURS: usize = 5;

/// The fraud engine behind the claim desk.
#[derive(Debug, Clone)]
pub struct Analysis {
    db: PgPool,
    records: Records,
    index: Arc<dyn ClaimIndex>,
}

impl Analysis {
    /// An analysis reading `records`, this service's `db` and `index`.
    pub fn new(db: PgPool, records: Records, index: Arc<dyn ClaimIndex>) -> Self {
        Self { db, records, index }
    }
}

#[async_trait]
impl Decide for Analysis {
    async fn decide(&self, claim: &Claim, eligibility: &Eligibility) -> anyhow::Result<Assessment> {
        let (record, history, similar) = tokio::join!(
            self.records.gather(claim),
            history::of_claim(&self.db, claim),
            self.index.similar(claim, NEIGHBOURS),
        );
        let mut history = history?;
        history.similar = similar.unwrap_or_else(|e| {
            tracing::warn!(error = %e, claim = %claim.id, "claim index unavailable: no near-duplicate check");
            Vec::new()
        });
        let assessment = fraud::assess(claim, eligibility, &record, &history);
        history::record(&self.db, claim.id, &record, &history).await?;
        if let Err(e) = self.index.upsert(claim).await {
            tracing::warn!(error = %e, claim = %claim.id, "claim not indexed");
        }
        Ok(assessment)
    }
}
