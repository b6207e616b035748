//! Planning the deliveries of an escalation step: who is told, on which channels, and
//! whether and when each message goes.

use chrono::{DateTime, Utc};
use shared_schemas::events::{AlertSeverity, Channel};
use sqlx::PgConnection;

use super::{Alerting, chrono_of};
use crate::db::contacts;
use crate::db::deliveries::{self, NewDelivery};
use crate::domain::alert::Alert;
use crate::domain::contact::Contact;
use crate::domain::policy::{self, PERSONAL_CHANNELS, Role, rank, step_roles};

/// Whether and when one message goes.
struct Decision {
    status: &'static str,
    held: Option<&'static str>,
    reason: Option<String>,
    due_at: DateTime<Utc>,
}

impl Alerting {
    /// Plans step `step` of `a` at its severity; returns the deliveries planned.
    pub(super) async fn plan(
        &self,
        tx: &mut PgConnection,
        a: &Alert,
        step: i32,
        wait: bool,
        now: DateTime<Utc>,
    ) -> anyhow::Result<usize> {
        let mut n = self
            .plan_roles(tx, a, step, step_roles(step), wait, now)
            .await?;
        if a.needs_review && step == 0 {
            n += self
                .plan_roles(tx, a, step, &[Role::FleetManager], wait, now)
                .await?;
        }
        Ok(n)
    }

    /// Plans step `step` of `a` for the contacts of `roles`; returns the deliveries
    /// planned to go (`pending`).
    pub(super) async fn plan_roles(
        &self,
        tx: &mut PgConnection,
        a: &Alert,
        step: i32,
        roles: &[Role],
        wait: bool,
        now: DateTime<Utc>,
    ) -> anyhow::Result<usize> {
        let people = contacts::recipients(tx, &a.org_id, &a.vehicle_id, roles).await?;
        let mut planned = 0;
        for c in &people {
            for channel in PERSONAL_CHANNELS {
                if !policy::channels(a.severity).contains(&channel)
                    && !c.preferences.wants(channel, a.severity)
                {
                    continue;
                }
                let d = self.decide(tx, a, c, channel, wait, now).await?;
                let new = NewDelivery {
                    alert_id: a.alert_id,
                    contact_id: c.contact_id,
                    channel: channel.as_str(),
                    step,
                    severity: (a.severity.as_str(), rank(a.severity)),
                    org_id: &a.org_id,
                    vehicle_id: &a.vehicle_id,
                    address: c.address(channel),
                    status: d.status,
                    held: d.held,
                    reason: d.reason,
                    due_at: d.due_at,
                    correlation_id: a.correlation_id,
                };
                if deliveries::insert(tx, &new).await? {
                    metrics::counter!("deliveries_planned_total", "channel" => channel.as_str(), "status" => d.status)
                        .increment(1);
                    if d.status == "pending" {
                        planned += 1;
                    }
                }
            }
        }
        Ok(planned)
    }

    /// Whether and when one message goes: preferences, address, configuration, rate
    /// limit, quiet hours, waiting for the diagnosis.
    async fn decide(
        &self,
        tx: &mut PgConnection,
        a: &Alert,
        c: &Contact,
        channel: Channel,
        wait: bool,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Decision> {
        let refused = match self.refusal(a.severity, c, channel) {
            Some(refused) => Some(refused),
            None => self.rate_limited(tx, a, c, channel).await?,
        };
        if let Some((status, reason)) = refused {
            return Ok(Decision {
                status,
                held: None,
                reason: Some(reason),
                due_at: now,
            });
        }
        Ok(self.timing(c, channel, a.severity, wait, now))
    }

    /// Why the message cannot go at all (status and reason): the contact's
    /// preferences, no address, the channel not configured.
    fn refusal(
        &self,
        sev: AlertSeverity,
        c: &Contact,
        channel: Channel,
    ) -> Option<(&'static str, String)> {
        if !c.preferences.wants(channel, sev) {
            return Some((
                "suppressed",
                format!(
                    "{}'s preferences: no {} for {} alerts",
                    c.name,
                    channel.as_str(),
                    sev.as_str()
                ),
            ));
        }
        if c.address(channel).is_none() {
            return Some((
                "skipped",
                format!("{} has no {} address", c.name, channel.as_str()),
            ));
        }
        if !self.policy.configured.contains(&channel) {
            return Some((
                "skipped",
                format!(
                    "the {} channel is not configured on this service",
                    channel.as_str()
                ),
            ));
        }
        None
    }

    /// `rate_limited` and why, when the contact had the channel's limit of messages
    /// about the vehicle in the last 24 h (emergencies are never limited).
    async fn rate_limited(
        &self,
        tx: &mut PgConnection,
        a: &Alert,
        c: &Contact,
        channel: Channel,
    ) -> anyhow::Result<Option<(&'static str, String)>> {
        if a.severity >= AlertSeverity::Emergency {
            return Ok(None);
        }
        let Some(&limit) = self.policy.rate_limits.get(&channel) else {
            return Ok(None);
        };
        let used =
            deliveries::recent_count(tx, &a.vehicle_id, c.contact_id, channel.as_str()).await?;
        if used < i64::from(limit) {
            return Ok(None);
        }
        Ok(Some((
            "rate_limited",
            format!(
                "{used} {} messages to {} about {} in the last 24 h (limit {limit})",
                channel.as_str(),
                c.name,
                a.vehicle_id
            ),
        )))
    }

    /// When a message that may go is due: after the contact's quiet hours, after the
    /// wait for the diagnosis, or now.
    fn timing(
        &self,
        c: &Contact,
        channel: Channel,
        sev: AlertSeverity,
        wait: bool,
        now: DateTime<Utc>,
    ) -> Decision {
        if let Some(until) = c.preferences.held_until(channel, sev, now) {
            return Decision {
                status: "pending",
                held: Some("quiet_hours"),
                reason: Some(format!("{}'s quiet hours", c.name)),
                due_at: until,
            };
        }
        if wait {
            return Decision {
                status: "pending",
                held: Some("decision"),
                reason: Some("waiting for the agent's diagnosis".to_owned()),
                due_at: now + chrono_of(self.policy.decision_wait),
            };
        }
        Decision {
            status: "pending",
            held: None,
            reason: None,
            due_at: now,
        }
    }
}
