//! The maintenance-planning digest: routine wear is planned, not alerted (ADR 0010), so
//! the fleet managers get one email per period listing their vehicles' planning items.
//!
//! Planning: an organization's digest is due when it has planning items and
//! `ALERT_DIGEST_EVERY` has passed since its previous digest (or, the first time, since
//! its oldest item). One replica plans at a time (a transaction-scoped advisory lock,
//! taken with `try`: the others skip the pass). In one transaction the period is
//! recorded (`digest_periods`, so the next is due a period later even when nobody could
//! receive this one) and one `digests` row per active fleet manager covering at least one
//! of the items, unique per (organization, contact, period): `pending`, or `skipped` with
//! the reason (email off in the preferences' threshold for `info`, no address, email not
//! configured). The row holds the items as they were, so a retry sends the same email.
//!
//! Sending works like the delivery outbox: claimed (`FOR UPDATE SKIP LOCKED`), sent
//! outside any transaction through the same SMTP transport, `sent`, retried with backoff,
//! or `failed`; a claim older than the lease is sent again.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, SubsecRound, Utc};
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

use super::SendError;
use super::email::{EmailSender, Outgoing};
use crate::db::digests::{self, Claimed, Due, NewDigest};
use crate::db::{contacts, planning};
use crate::domain::contact::Contact;
use crate::domain::digest::Digest;
use crate::domain::planning::PlanningItem;
use crate::domain::policy::Role;

/// Organizations planned per pass (the rest are still due at the next one).
const ORGS_PER_PASS: i64 = 100;
/// Digests claimed per pass.
const CLAIM: i64 = 32;

/// Digest settings.
#[derive(Debug, Clone)]
pub struct DigestConfig {
    /// The period (`ALERT_DIGEST_EVERY`).
    pub every: Duration,
    /// How often due digests are looked for and sent.
    pub tick: Duration,
    /// Attempts before `failed`.
    pub max_attempts: i32,
    /// First retry delay.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// One send's timeout.
    pub send_timeout: Duration,
    /// Claims older than this are taken back.
    pub lease: Duration,
}

/// Plans and sends digests until shut down.
#[derive(Debug, Clone)]
pub struct Digests {
    db: PgPool,
    email: Option<EmailSender>,
    config: Arc<DigestConfig>,
}

impl Digests {
    /// Digests over `db`, sent through `email` (`None`: recorded as `skipped`).
    pub fn new(db: PgPool, email: Option<EmailSender>, config: DigestConfig) -> Self {
        Self {
            db,
            email,
            config: Arc::new(config),
        }
    }

    /// How often the planner looks for due organizations: a quarter of the period,
    /// between the tick and a minute (a weekly digest need not be looked for every
    /// second; a short test period must be).
    fn plan_every(&self) -> Duration {
        (self.config.every / 4)
            .max(self.config.tick)
            .min(Duration::from_secs(60))
    }

    /// Runs until `shutdown`; a send in flight finishes first.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut last_plan: Option<tokio::time::Instant> = None;
        let mut last_reclaim = tokio::time::Instant::now();
        while !shutdown.is_cancelled() {
            if last_plan.is_none_or(|t| t.elapsed() >= self.plan_every()) {
                last_plan = Some(tokio::time::Instant::now());
                match self.plan_due().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(digests = n, "planning digests planned"),
                    Err(e) => {
                        tracing::warn!(error = format!("{e:#}"), "digest planning failed; retrying")
                    }
                }
            }
            super::queue::reclaim_every_5s(
                &mut last_reclaim,
                &self.db,
                &digests::QUEUE,
                self.config.lease,
            )
            .await;
            if let Err(e) = self.send_due().await {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "digest send pass failed; retrying"
                );
            }
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(self.config.tick) => {}
            }
        }
        tracing::debug!("digest sender stopped");
    }

    /// Plans the digests of every organization due; returns the digests to send. Does
    /// nothing while another replica plans.
    pub async fn plan_due(&self) -> anyhow::Result<usize> {
        // Microseconds: what Postgres keeps of the period's end, which is a key.
        let now = Utc::now().trunc_subsecs(6);
        let every = chrono::Duration::from_std(self.config.every).unwrap_or(chrono::Duration::MAX);
        let cutoff = now
            .checked_sub_signed(every)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let mut tx = self.db.begin().await?;
        if !digests::try_lock(&mut tx).await? {
            return Ok(0);
        }
        let mut planned = 0;
        for due in digests::due(&mut tx, cutoff, ORGS_PER_PASS).await? {
            planned += self.plan_org(&mut tx, &due, now).await?;
        }
        tx.commit().await?;
        Ok(planned)
    }

    /// Records one organization's period and its digests; returns those to send.
    async fn plan_org(
        &self,
        tx: &mut PgConnection,
        due: &Due,
        now: DateTime<Utc>,
    ) -> anyhow::Result<usize> {
        let items = planning::of_org(tx, &due.org_id).await?;
        let managers = contacts::active_of_role(tx, &due.org_id, Role::FleetManager).await?;
        // Each fleet manager hears of the vehicles they answer for.
        let recipients: Vec<(&Contact, Vec<&PlanningItem>)> = managers
            .iter()
            .map(|c| {
                (
                    c,
                    items.iter().filter(|i| c.covers(&i.vehicle_id)).collect(),
                )
            })
            .filter(|(_, mine): &(_, Vec<_>)| !mine.is_empty())
            .collect();
        let period = (due.period_start, now);
        digests::insert_period(tx, &due.org_id, period, items.len(), recipients.len()).await?;
        if recipients.is_empty() {
            tracing::warn!(org_id = %due.org_id, items = items.len(),
                "planning digest has no recipient: add a fleet manager contact for the organization");
        }
        let mut planned = 0;
        for (c, mine) in &recipients {
            let (status, reason) = self.decide(c);
            let new = NewDigest {
                org_id: &due.org_id,
                contact_id: c.contact_id,
                period,
                address: c.email.as_deref(),
                status,
                reason,
                items: mine,
            };
            if digests::insert(tx, &new).await? {
                metrics::counter!("digests_planned_total", "status" => status).increment(1);
                planned += usize::from(status == "pending");
            }
        }
        Ok(planned)
    }

    /// Whether a fleet manager's digest can go: a digest is `info`, so it goes to those
    /// whose email threshold lets info through, with an address, when email is
    /// configured.
    fn decide(&self, c: &Contact) -> (&'static str, Option<String>) {
        match super::email_refusal(c, self.email.is_some(), "the digest's level") {
            Some(why) => ("skipped", Some(why)),
            None => ("pending", None),
        }
    }

    /// Claims and sends one batch of due digests; returns its size.
    pub async fn send_due(&self) -> anyhow::Result<usize> {
        super::queue::send_batch(
            &self.db,
            &digests::QUEUE,
            CLAIM,
            8,
            |d: Claimed| async move {
                self.deliver(&d)
                    .await
                    .with_context(|| format!("digest {}", d.digest_id))
            },
        )
        .await
    }

    async fn deliver(&self, d: &Claimed) -> anyhow::Result<()> {
        let queue = &digests::QUEUE;
        let Some(contact) =
            super::queue::active_contact(&self.db, queue, d.digest_id, d.contact_id).await?
        else {
            return Ok(());
        };
        let result = self.send(d, &contact).await;
        let outcome = super::record_outcome(
            &self.db,
            &digests::QUEUE,
            d.digest_id,
            d.attempts,
            self.retries(),
            result,
        )
        .await?;
        metrics::counter!("digests_total", "outcome" => outcome).increment(1);
        Ok(())
    }

    fn retries(&self) -> super::Retries {
        super::Retries {
            max_attempts: self.config.max_attempts,
            base: self.config.retry_base,
            max: self.config.retry_max,
        }
    }

    async fn send(&self, d: &Claimed, contact: &Contact) -> Result<String, SendError> {
        let Some(sender) = &self.email else {
            return Err(SendError::Permanent("email is not configured".to_owned()));
        };
        let email = Digest {
            org_id: &d.org_id,
            recipient: &contact.name,
            period_end: d.period_end,
            every: self.config.every,
            items: &d.content.0,
        }
        .email();
        let headers = [
            ("X-Fleet-Digest-Id", d.digest_id.to_string()),
            ("X-Fleet-Org-Id", d.org_id.clone()),
        ];
        let out = Outgoing {
            name: &contact.name,
            address: d.address.as_deref().unwrap_or_default(),
            email,
            id: d.digest_id,
            headers: &headers,
            attachment: None,
        };
        super::within(self.config.send_timeout, sender.send_email(&out)).await
    }
}
