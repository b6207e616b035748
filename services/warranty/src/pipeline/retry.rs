//! Decision attempts and their retry. A claim's decision can stop half-way: the
//! analysis fails (a dependency errored), storing the outcome fails, or the service
//! stops. Such a claim stays `submitted` or `validating`; the [`Sweeper`] of every
//! replica looks for claims left there longer than the retry period and decides them
//! again, each taken by one replica only (`db::attempts`). After the configured number
//! of attempts the claim goes to a reviewer with the last failure as its reason, so a
//! broken dependency never leaves a claim undecided and unseen.

use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::claims::{ClaimDesk, CoverageOnly, Decide, SYSTEM, payable};
use crate::db::attempts::{self, Taken};
use crate::db::claims as db;
use crate::domain::coverage::eligibility_or_none;
use crate::domain::model::{Claim, Eligibility, Recommendation};
use crate::error::ApiError;

/// Most claims one sweep takes (a full sweep is followed by another at once).
const BATCH: i64 = 50;

impl ClaimDesk {
    /// Attempt number `attempt` at deciding `claim` (in `validating`): coverage, the
    /// analysis, the outcome applied. A failure is kept for the next attempt; when this
    /// was the last one allowed, the claim goes to a reviewer with the failure as reason.
    pub(super) async fn attempt(&self, claim: &Claim, attempt: i32) -> Result<(), ApiError> {
        let contract = self.contract(&claim.vehicle_id).await?;
        let eligibility = eligibility_or_none(contract.as_ref(), claim);
        let amount = payable(claim, contract.as_ref());
        let failure = match self.decide.decide(claim, &eligibility).await {
            Ok(a) => match self.apply(claim, &a, amount).await {
                Ok(()) => return Ok(()),
                Err(e) => format!("storing the decision failed: {e}"),
            },
            Err(e) => format!("{e:#}"),
        };
        metrics::counter!("warranty_claim_attempts_failed_total").increment(1);
        tracing::warn!(claim = %claim.id, attempt, error = %failure, "claim decision failed");
        if i64::from(attempt) >= i64::from(self.max_attempts) {
            let why = format!(
                "the analysis failed {attempt} times, so a person decides; the last failure: {failure}"
            );
            return self.to_review(claim, &eligibility, amount, why).await;
        }
        let mut conn = self.db.acquire().await?;
        attempts::failed(&mut conn, claim.id, attempt, &failure).await?;
        Ok(())
    }

    /// Sends `claim` to a reviewer on its coverage check alone, `why` among the reasons.
    async fn to_review(
        &self,
        claim: &Claim,
        eligibility: &Eligibility,
        amount: f64,
        why: String,
    ) -> Result<(), ApiError> {
        let mut a = CoverageOnly.decide(claim, eligibility).await?;
        a.recommendation = Recommendation::Review;
        a.reasons.push(why);
        self.apply(claim, &a, amount).await
    }

    /// Decides the claim `t` again, or hands it to a reviewer when its attempts are
    /// used up (the service stopped during each, say).
    async fn retry(&self, t: Taken) -> Result<(), ApiError> {
        let mut conn = self.db.acquire().await?;
        let Some(stored) = db::get(&mut conn, t.id).await? else {
            return Ok(());
        };
        drop(conn);
        metrics::counter!("warranty_claim_retries_total").increment(1);
        let claim = &stored.claim;
        if i64::from(t.attempt) <= i64::from(self.max_attempts) {
            tracing::info!(claim = %claim.id, attempt = t.attempt, was = %t.was, "deciding a claim again");
            return self.attempt(claim, t.attempt).await;
        }
        let contract = self.contract(&claim.vehicle_id).await?;
        let eligibility = eligibility_or_none(contract.as_ref(), claim);
        let last = t
            .last_error
            .as_deref()
            .unwrap_or("none recorded: the service stopped mid-decision");
        let why = format!(
            "no decision after {} attempts, so a person decides; the last failure: {last}",
            self.max_attempts
        );
        self.to_review(claim, &eligibility, payable(claim, contract.as_ref()), why)
            .await
    }
}

/// Decides again the claims left undecided, every `every` (also how long a claim must
/// have been left alone).
#[derive(Debug, Clone)]
pub struct Sweeper {
    desk: ClaimDesk,
    every: Duration,
}

impl Sweeper {
    /// A sweeper of `desk`'s claims.
    pub fn new(desk: ClaimDesk, every: Duration) -> Self {
        Self { desk, every }
    }

    /// Sweeps at start and then every period, until shutdown.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            let full = match self.sweep().await {
                Ok(n) => n >= BATCH as usize,
                Err(e) => {
                    tracing::warn!(error = %e, "claim retry sweep failed; tried again next period");
                    false
                }
            };
            if full && !shutdown.is_cancelled() {
                continue;
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(self.every) => {}
            }
        }
    }

    /// One sweep: takes the claims left alone for the period and decides them again,
    /// side by side; how many were taken.
    pub async fn sweep(&self) -> anyhow::Result<usize> {
        let taken = attempts::take_stale(&self.desk.db, self.every, BATCH, SYSTEM).await?;
        let n = taken.len();
        let mut running = JoinSet::new();
        for t in taken {
            let desk = self.desk.clone();
            running.spawn(async move {
                let id = t.id;
                (id, desk.retry(t).await)
            });
        }
        while let Some(done) = running.join_next().await {
            match done {
                Ok((_, Ok(()))) => {}
                Ok((id, Err(e))) => tracing::warn!(claim = %id, error = %e, "claim retry failed"),
                // A panic in the analysis: the claim is taken again next time, and
                // goes to a reviewer once its attempts are used up.
                Err(e) => tracing::error!(error = %e, "claim retry panicked"),
            }
        }
        Ok(n)
    }
}
