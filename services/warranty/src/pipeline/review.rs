//! What people do with a claim after the analysis: a reviewer approves or rejects it
//! (the decision becomes a training label), then it is paid or closed.

use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::announce;
use super::claims::{ClaimDesk, payable};
use crate::db::claims::{self as db, StoredClaim};
use crate::db::contracts;
use crate::domain::claim_status::ClaimStatus;
use crate::error::ApiError;

/// A reviewer's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Pay it.
    Approve,
    /// Refuse it.
    Reject,
}

/// A reviewer's decision on a claim in review.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Approve or reject.
    pub decision: Verdict,
    /// Why, 1 to 2,000 characters (kept with the claim and the label).
    pub note: String,
    /// The amount approved (default: the cost less the deductible).
    pub approved_amount: Option<f64>,
    /// Whether the claim was fraud, for training (default: rejected = fraud).
    pub fraud: Option<bool>,
}

impl Decision {
    fn check(&self) -> Result<(), ApiError> {
        let n = self.note.trim().chars().count();
        let mut problems = Vec::new();
        if n == 0 || n > 2_000 {
            problems.push(format!("`note` must be 1 to 2,000 characters, not {n}"));
        }
        if let Some(a) = self.approved_amount {
            if self.decision == Verdict::Reject {
                problems.push("`approved_amount` is for approvals only".to_owned());
            } else if !(0.0..=10_000_000.0).contains(&a) {
                problems.push(format!(
                    "`approved_amount` must be 0 to 10,000,000, not {a}"
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ApiError::BadRequest(problems.join("; ")))
        }
    }
}

impl ClaimDesk {
    /// Applies reviewer `by`'s decision `d` to `claim` (which must be in review).
    pub async fn review(
        &self,
        claim: &StoredClaim,
        d: &Decision,
        by: &str,
    ) -> Result<(), ApiError> {
        d.check()?;
        let c = &claim.claim;
        let mut tx = self.db.begin().await?;
        let contract = contracts::get(&mut tx, &c.vehicle_id).await?;
        let to = match d.decision {
            Verdict::Approve => ClaimStatus::Approved,
            Verdict::Reject => ClaimStatus::Rejected,
        };
        if d.decision == Verdict::Approve && !claim.eligibility.as_ref().is_some_and(|e| e.eligible)
        {
            return Err(ApiError::Conflict(format!(
                "claim {} is not covered and cannot be approved",
                c.id
            )));
        }
        let note = d.note.trim();
        if !db::transition(&mut tx, c.id, ClaimStatus::NeedsReview, to, by, Some(note)).await? {
            return Err(ApiError::Conflict(format!(
                "claim {} is {}, not waiting for review",
                c.id,
                claim.status.as_str()
            )));
        }
        let fraud = d.fraud.unwrap_or(d.decision == Verdict::Reject);
        let verdict = if to == ClaimStatus::Approved {
            "approve"
        } else {
            "reject"
        };
        db::label(&mut tx, c.id, fraud, verdict, Some(note), by).await?;
        let flow = Uuid::now_v7();
        let score = claim.assessment.as_ref().map(|a| a.score);
        if let (ClaimStatus::Approved, Some(a)) = (to, &claim.assessment) {
            let amount = d
                .approved_amount
                .unwrap_or_else(|| payable(c, contract.as_ref()));
            db::set_decision(&mut tx, c.id, by, Some(amount)).await?;
            announce::validated(&mut tx, flow, c, a, Some(amount), Some(by)).await?;
        } else {
            db::set_decision(&mut tx, c.id, by, None).await?;
            let reasons = vec![format!("rejected by a reviewer: {note}")];
            announce::rejected(&mut tx, flow, c, reasons, score, Some(by)).await?;
        }
        tx.commit().await?;
        self.notify.notify_one();
        Ok(())
    }

    /// Moves `claim` to `to` (paid or closed) for `by`.
    pub async fn settle(
        &self,
        claim: &StoredClaim,
        to: ClaimStatus,
        by: &str,
    ) -> Result<(), ApiError> {
        let from = claim.status;
        if !from.can_become(to) {
            return Err(ApiError::Conflict(format!(
                "claim {} is {}; it cannot become {}",
                claim.claim.id,
                from.as_str(),
                to.as_str()
            )));
        }
        let mut conn = self.db.acquire().await?;
        if !db::transition(&mut conn, claim.claim.id, from, to, by, None).await? {
            return Err(ApiError::Conflict(format!(
                "claim {} changed meanwhile; read it again",
                claim.claim.id
            )));
        }
        Ok(())
    }
}
