//! Filing a claim and carrying it through its life: stored with its documents and
//! announced in one transaction, checked for coverage, analysed by [`Decide`], and the
//! recommendation applied (rejected, approved or queued for review). A decision that
//! fails is tried again by the retry sweeper (`pipeline::retry`).

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use sqlx::PgPool;
use tokio::sync::Notify;
use uuid::Uuid;

use super::announce;
use crate::db::claims::{self as db, Idempotency, StoredClaim};
use crate::db::{attempts, contracts, documents};
use crate::domain::claim_status::ClaimStatus;
use crate::domain::model::{Assessment, Claim, Contract, Eligibility, Recommendation};
use crate::error::ApiError;
use crate::storage::Storage;

/// Who the service acts as in transitions it makes itself.
pub const SYSTEM: &str = "system";
/// Score above which a claim is announced as suspected fraud.
pub const FRAUD_ALERT_SCORE: f64 = 0.7;
/// Decision attempts per claim unless configured (`WARRANTY_RETRY_MAX_ATTEMPTS`).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// The analysis of a claim (coverage already checked): the lead plugs the fraud engine
/// in here.
#[async_trait]
pub trait Decide: Send + Sync + Debug {
    /// What to do with `claim`, covered or not as `eligibility` says.
    async fn decide(&self, claim: &Claim, eligibility: &Eligibility) -> anyhow::Result<Assessment>;
}

/// Coverage only: not covered is rejected, everything else goes to a person (no fraud
/// analysis configured, so no confidence to approve on).
#[derive(Debug, Default)]
pub struct CoverageOnly;

#[async_trait]
impl Decide for CoverageOnly {
    async fn decide(
        &self,
        _claim: &Claim,
        eligibility: &Eligibility,
    ) -> anyhow::Result<Assessment> {
        let (recommendation, reasons) = if eligibility.eligible {
            let mut r = eligibility.reasons.clone();
            r.push("analysis not yet configured".to_owned());
            (Recommendation::Review, r)
        } else {
            (Recommendation::Reject, eligibility.reasons.clone())
        };
        Ok(Assessment {
            eligibility: eligibility.clone(),
            score: 0.5,
            confidence: 0.0,
            signals: Vec::new(),
            recommendation,
            reasons,
            features: std::collections::BTreeMap::new(),
        })
    }
}

/// A document received with a claim, type sniffed and checksum taken.
#[derive(Debug, Clone)]
pub struct Upload {
    /// SHA-256, hex.
    pub sha256: String,
    /// Sniffed type.
    pub content_type: &'static str,
    /// The client's file name.
    pub filename: Option<String>,
    /// Content.
    pub bytes: Vec<u8>,
}

/// What filing did.
#[derive(Debug)]
pub enum Filed {
    /// A new claim.
    New(Box<StoredClaim>),
    /// The claim filed earlier under the same idempotency key.
    Again(Box<StoredClaim>),
}

/// Files, decides and moves claims.
#[derive(Debug, Clone)]
pub struct ClaimDesk {
    pub(crate) db: PgPool,
    pub(crate) notify: Arc<Notify>,
    storage: Storage,
    pub(super) decide: Arc<dyn Decide>,
    pub(super) max_attempts: u32,
}

impl ClaimDesk {
    /// A desk on `db`, poking `notify` after each commit with events.
    pub fn new(db: PgPool, notify: Arc<Notify>, storage: Storage, decide: Arc<dyn Decide>) -> Self {
        Self {
            db,
            notify,
            storage,
            decide,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }

    /// The desk with `n` (at least 1) decision attempts per claim before a reviewer
    /// takes it over.
    #[must_use]
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The documents' storage.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The contract of `vehicle_id`, if any.
    pub async fn contract(&self, vehicle_id: &str) -> Result<Option<Contract>, ApiError> {
        let mut conn = self.db.acquire().await?;
        Ok(contracts::get(&mut conn, vehicle_id).await?)
    }

    /// The claim filed earlier under `idem`'s key: `Ok(None)` if none, 409 when the
    /// body differs from the first.
    pub async fn earlier(&self, idem: &Idempotency) -> Result<Option<StoredClaim>, ApiError> {
        let mut conn = self.db.acquire().await?;
        let Some((id, hash)) = db::by_idempotency(&mut conn, &idem.caller, &idem.key).await? else {
            return Ok(None);
        };
        if hash != idem.request_hash {
            return Err(ApiError::Conflict(format!(
                "Idempotency-Key {:?} was used for a different claim ({id})",
                idem.key
            )));
        }
        Ok(db::get(&mut conn, id).await?)
    }

    /// Files `claim` with `uploads`, then decides it.
    pub async fn file(
        &self,
        claim: Claim,
        uploads: Vec<Upload>,
        idem: Option<Idempotency>,
    ) -> Result<Filed, ApiError> {
        if let Some(i) = &idem
            && let Some(c) = self.earlier(i).await?
        {
            return Ok(Filed::Again(Box::new(c)));
        }
        for u in &uploads {
            self.storage
                .put(claim.id, &u.sha256, &u.bytes)
                .await
                .map_err(|e| {
                    ApiError::Internal(anyhow::Error::new(e).context("storing a document"))
                })?;
        }
        let inserted = self.insert(&claim, &uploads, idem.as_ref()).await;
        match inserted {
            Ok(true) => {}
            Ok(false) | Err(_) => self.storage.discard(claim.id).await,
        }
        if !inserted? {
            // Another request with the same key won the race.
            let i = idem
                .as_ref()
                .ok_or_else(|| anyhow::anyhow!("claim not inserted"))?;
            let c = self
                .earlier(i)
                .await?
                .ok_or_else(|| anyhow::anyhow!("claim vanished"))?;
            return Ok(Filed::Again(Box::new(c)));
        }
        self.notify.notify_one();
        if let Err(e) = self.process(&claim).await {
            // Filed all the same: the retry sweeper decides it later.
            tracing::warn!(claim = %claim.id, error = ?e, "claim filed, its decision left for a retry");
        }
        let mut conn = self.db.acquire().await?;
        let stored = db::get(&mut conn, claim.id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("claim vanished"))?;
        Ok(Filed::New(Box::new(stored)))
    }

    async fn insert(
        &self,
        claim: &Claim,
        uploads: &[Upload],
        idem: Option<&Idempotency>,
    ) -> Result<bool, ApiError> {
        let mut tx = self.db.begin().await?;
        if !db::insert(&mut tx, claim, idem).await? {
            return Ok(false);
        }
        for u in uploads {
            let name = u.filename.as_deref();
            documents::insert(
                &mut tx,
                claim.id,
                &u.sha256,
                u.content_type,
                u.bytes.len(),
                name,
            )
            .await?;
        }
        announce::submitted(&mut tx, Uuid::now_v7(), claim, uploads.len()).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Starts the first decision attempt on the just-filed `claim` (the retry sweeper
    /// makes the others, see `pipeline::retry`).
    async fn process(&self, claim: &Claim) -> Result<(), ApiError> {
        let mut conn = self.db.acquire().await?;
        let Some(attempt) = attempts::begin(&mut conn, claim.id, SYSTEM).await? else {
            return Ok(());
        };
        drop(conn);
        self.attempt(claim, attempt).await
    }

    /// Stores the analysis `a` of `claim` (in `validating`) and moves the claim as it
    /// recommends, announcing the outcome; nothing when it was decided meanwhile.
    pub(super) async fn apply(
        &self,
        claim: &Claim,
        a: &Assessment,
        amount: f64,
    ) -> Result<(), ApiError> {
        let flow = Uuid::now_v7();
        let mut tx = self.db.begin().await?;
        db::set_assessment(&mut tx, claim.id, a).await?;
        let from = ClaimStatus::Validating;
        let note = a.reasons.join("; ");
        let to = match a.recommendation {
            Recommendation::Reject => ClaimStatus::Rejected,
            Recommendation::AutoApprove if a.eligibility.eligible => ClaimStatus::Approved,
            Recommendation::AutoApprove | Recommendation::Review => ClaimStatus::NeedsReview,
        };
        if !db::transition(&mut tx, claim.id, from, to, SYSTEM, Some(&note)).await? {
            return Ok(());
        }
        match to {
            ClaimStatus::Rejected => {
                db::set_decision(&mut tx, claim.id, SYSTEM, None).await?;
                let score = (a.confidence > 0.0).then_some(a.score);
                announce::rejected(&mut tx, flow, claim, a.reasons.clone(), score, None).await?;
            }
            ClaimStatus::Approved => {
                db::set_decision(&mut tx, claim.id, SYSTEM, Some(amount)).await?;
                announce::validated(&mut tx, flow, claim, a, Some(amount), None).await?;
            }
            _ if a.score > FRAUD_ALERT_SCORE => {
                announce::fraud_detected(&mut tx, flow, claim, a).await?;
            }
            _ => {}
        }
        tx.commit().await?;
        self.notify.notify_one();
        Ok(())
    }
}

/// What the warranty pays by default: the cost less the contract's deductible (when
/// both are in the same currency), never below zero.
pub fn payable(claim: &Claim, contract: Option<&Contract>) -> f64 {
    let deductible = contract
        .filter(|c| c.currency == claim.cost.currency)
        .map_or(0.0, |c| c.deductible);
    (claim.cost.total() - deductible).max(0.0)
}
