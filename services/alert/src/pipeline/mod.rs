//! The alert life cycle: folding events into alerts ([`fold`]), planning their
//! deliveries ([`deliveries`]), escalating ([`escalation`]), acknowledging and
//! resolving ([`close`]). Every change commits in one transaction with its outbox
//! events (`alert.created/acknowledged/escalated/resolved`) and its planned deliveries,
//! under the vehicle's advisory lock (see [`crate::db::lock_vehicle`]). A decision's
//! change to its maintenance-planning item commits in the same transaction.

mod close;
mod deliveries;
mod escalation;
mod fold;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use shared_schemas::events::{AlertSeverity, Channel};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use tokio::sync::Notify;
use uuid::Uuid;

pub use close::Outcome;
pub use fold::{Folded, Incoming, PlanningChange};

use crate::db::{self, alerts, contacts};
use crate::domain::alert::Alert;
use crate::domain::policy::step_roles;

/// Producer name on the alert service's events.
pub const PRODUCER: &str = "alert";

/// Subject of staleness alerts.
pub const STALENESS: &str = "staleness";

/// Escalation and delivery settings the life cycle needs.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Unacknowledged time per severity before the next step.
    pub delays: std::collections::BTreeMap<AlertSeverity, Duration>,
    /// Steps after the first notice.
    pub max_steps: u32,
    /// How long messages wait for the diagnosis.
    pub decision_wait: Duration,
    /// Messages per recipient, vehicle, channel and 24 h.
    pub rate_limits: HashMap<Channel, u32>,
    /// Channels that can send (configured); others are `skipped`.
    pub configured: Vec<Channel>,
}

/// The life cycle.
#[derive(Debug, Clone)]
pub struct Alerting {
    db: PgPool,
    policy: Arc<Policy>,
    /// Poked after a commit that planned deliveries.
    sender: Arc<Notify>,
    /// Poked after a commit that wrote outbox rows.
    relay: Arc<Notify>,
}

fn chrono_of(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl Alerting {
    /// The life cycle over `db`.
    pub fn new(db: PgPool, policy: Policy, sender: Arc<Notify>, relay: Arc<Notify>) -> Self {
        Self {
            db,
            policy: Arc::new(policy),
            sender,
            relay,
        }
    }

    /// The database.
    pub fn db(&self) -> &PgPool {
        &self.db
    }

    fn delay(&self, s: AlertSeverity) -> Option<chrono::Duration> {
        self.policy.delays.get(&s).copied().map(chrono_of)
    }

    fn poke(&self) {
        self.sender.notify_one();
        self.relay.notify_one();
    }

    /// Opens a transaction holding the alert's vehicle lock and the alert's row;
    /// `None` when there is no such alert.
    async fn lock_alert(
        &self,
        alert_id: Uuid,
    ) -> anyhow::Result<Option<(Transaction<'static, Postgres>, Alert)>> {
        // The vehicle's lock comes before the row lock (see `lock_vehicle`), so the
        // vehicle is read unlocked first.
        let Some(peek) = alerts::get(&self.db, alert_id).await? else {
            return Ok(None);
        };
        let mut tx = self.db.begin().await?;
        db::lock_vehicle(&mut tx, &peek.vehicle_id).await?;
        Ok(alerts::lock(&mut tx, alert_id).await?.map(|a| (tx, a)))
    }

    /// The unresolved alert on a vehicle's subject, if any.
    pub async fn active(
        &self,
        org_id: &str,
        vehicle_id: &str,
        subject: &str,
    ) -> anyhow::Result<Option<Alert>> {
        let id: Option<Uuid> = sqlx::query_scalar(
            "SELECT alert_id FROM alerts
             WHERE vehicle_id = $1 AND subject = $2 AND org_id = $3 AND status <> 'resolved'",
        )
        .bind(vehicle_id)
        .bind(subject)
        .bind(org_id)
        .fetch_optional(&self.db)
        .await?;
        match id {
            Some(id) => Ok(alerts::get(&self.db, id).await?),
            None => Ok(None),
        }
    }
}

/// The first escalation step from `from` on (0–2: the chain; reminders, 3 and later,
/// always have it) whose roles have someone for `a`'s vehicle; `None` when none has.
async fn first_step_with_recipients(
    conn: &mut PgConnection,
    a: &Alert,
    from: i32,
) -> anyhow::Result<Option<i32>> {
    for step in from..3 {
        if !contacts::recipients(conn, &a.org_id, &a.vehicle_id, step_roles(step))
            .await?
            .is_empty()
        {
            return Ok(Some(step));
        }
    }
    Ok(None)
}
