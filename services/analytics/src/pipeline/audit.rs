//! The auditor: appends drafts to their organizations' chains, lists entries, and
//! verifies the chains (ADR 0013).

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db::audit::{self as db, Filter};
use crate::domain::audit::Entry;
use crate::domain::audit::draft::{Draft, VehicleOrg};
use crate::domain::audit::verify::{BrokenLink, ChainCheck, ChainReport};

/// Entries read at a time while verifying a chain.
const VERIFY_PAGE: i64 = 2_000;

/// The audit log.
#[derive(Debug, Clone)]
pub struct Auditor {
    db: PgPool,
}

/// The verdict on the chains verified.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Verification {
    /// Whether every chain is intact.
    pub ok: bool,
    /// Entries checked, over all chains.
    pub checked: u64,
    /// The first broken link (chains in organization order), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken: Option<BrokenLink>,
    /// Each chain's verdict and head.
    pub chains: Vec<ChainReport>,
}

impl Auditor {
    /// The log in `db`.
    pub fn new(db: PgPool) -> Self {
        Self { db }
    }

    /// Appends `drafts`, in order, in one transaction: each joins the chains of its
    /// organizations, except where its event is already recorded (a redelivery).
    /// Returns the entries appended.
    pub async fn record(&self, drafts: &[Draft]) -> Result<usize, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        db::learn_vehicle_orgs(&mut tx, &latest_facts(drafts)).await?;
        let unresolved: Vec<String> = drafts
            .iter()
            .filter(|d| d.named_orgs.is_empty())
            .filter_map(|d| d.vehicle_id.clone())
            .collect();
        let vehicle_orgs = db::vehicle_orgs(&mut tx, &unresolved).await?;
        let ids: Vec<Uuid> = drafts.iter().map(|d| d.source_id).collect();
        let mut seen = db::recorded(&mut tx, &ids).await?;
        let mut placed: Vec<(&Draft, String)> = Vec::with_capacity(drafts.len());
        for draft in drafts {
            let vehicle_org = draft
                .vehicle_id
                .as_ref()
                .and_then(|v| vehicle_orgs.get(v))
                .map(String::as_str);
            for org in draft.chains(vehicle_org) {
                if seen.insert((draft.source_id, org.clone())) {
                    placed.push((draft, org));
                }
            }
        }
        let orgs: Vec<String> = placed.iter().map(|(_, o)| o.clone()).collect();
        let mut heads = db::lock_heads(&mut tx, &orgs).await?;
        let recorded_at = Utc::now();
        let mut entries: Vec<Entry> = Vec::with_capacity(placed.len());
        for (draft, org) in placed {
            let head = heads
                .entry(org.clone())
                .or_insert(crate::domain::audit::Head::EMPTY);
            entries.push(head.link(draft.content(&org, Uuid::now_v7(), recorded_at)));
        }
        let touched: HashSet<&str> = entries.iter().map(|e| e.content.org_id.as_str()).collect();
        heads.retain(|org, _| touched.contains(org.as_str()));
        db::append(&mut tx, &entries, &heads).await?;
        tx.commit().await?;
        Ok(entries.len())
    }

    /// Up to `limit` entries of `filter` before the cursor `before`, newest first, with
    /// their cursors.
    pub async fn list(
        &self,
        filter: &Filter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<(i64, Entry)>, sqlx::Error> {
        db::list(&self.db, filter, before, limit).await
    }

    /// Verifies the chain of `org_id`, or every chain.
    pub async fn verify(&self, org_id: Option<&str>) -> Result<Verification, sqlx::Error> {
        let heads = db::heads(&self.db, org_id).await?;
        let mut chains = Vec::with_capacity(heads.len());
        for (org, head) in heads {
            chains.push(self.verify_chain(&org, head).await?);
        }
        let broken = chains.iter().find_map(|c| c.broken.clone());
        Ok(Verification {
            ok: broken.is_none(),
            checked: chains.iter().map(|c| c.checked).sum(),
            broken,
            chains,
        })
    }

    /// Walks one chain page by page, up to its first broken link.
    async fn verify_chain(
        &self,
        org: &str,
        head: crate::domain::audit::Head,
    ) -> Result<ChainReport, sqlx::Error> {
        let mut check = ChainCheck::new(org);
        let mut after = 0;
        loop {
            let page = db::chain_page(&self.db, org, after, VERIFY_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.content.seq;
            let full = page.len() as i64 == VERIFY_PAGE;
            if !page.iter().all(|e| check.check(e)) || !full {
                break;
            }
        }
        Ok(check.finish(Some(head)))
    }
}

/// The newest organization each vehicle of `drafts` is said to belong to.
fn latest_facts(drafts: &[Draft]) -> Vec<VehicleOrg> {
    let mut latest: HashMap<&str, &VehicleOrg> = HashMap::new();
    for fact in drafts.iter().filter_map(|d| d.teaches.as_ref()) {
        let slot = latest.entry(fact.vehicle_id.as_str()).or_insert(fact);
        if fact.as_of >= slot.as_of {
            *slot = fact;
        }
    }
    latest.into_values().cloned().collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn unattributed_entries_go_to_the_platform_operators_chain() {
        assert_eq!(
            crate::domain::audit::PLATFORM,
            crate::pipeline::identity::PLATFORM_ORG
        );
    }
}
