//! Sending the delivery outbox.
//!
//! The sender claims due deliveries (`pending`, due) with `FOR UPDATE SKIP LOCKED`,
//! marking them `sending` with one more attempt, commits, sends each on its channel
//! outside any transaction, then records the outcome: `sent` (with the provider's
//! message id), `pending` again at a later time (exponential backoff with jitter) after
//! a transient failure, or `failed` after a permanent failure or `ALERT_MAX_ATTEMPTS`.
//! A sender that dies after claiming leaves rows `sending`; after
//! `ALERT_SENDER_LEASE_S` any replica puts them back to `pending`, so nothing is lost.
//!
//! Exactly once at the receiver cannot be promised over SMTP: a crash after the server
//! accepted a message and before `sent` is recorded sends it again. Every send carries
//! the delivery id as its idempotency key (email `Message-ID: <delivery-id@…>`, the
//! `I-Twilio-Idempotency-Token` and `Idempotency-Key` headers, the webhook's
//! `X-Fleet-Delivery`), so receivers that dedupe (Twilio does; mail clients thread on
//! Message-ID) show it once. See ADR 0007.

pub mod calendar;
pub mod digest;
pub mod email;
pub mod http;
pub mod notices;
mod queue;

pub use queue::{Retries, backoff};
pub(crate) use queue::{record_outcome, within};

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use shared_schemas::events::{AlertSeverity, Channel};
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::db::deliveries::{self, Delivery};
use crate::db::{alerts, contacts};
use crate::domain::alert::{Alert, Status};
use crate::domain::contact::Contact;
use crate::domain::link::LinkSigner;
use crate::domain::message::Notice;
use crate::domain::policy::{parse_channel, parse_severity};

/// Why a send failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// May work later (timeouts, 5xx, 429, SMTP 4xx): retried with backoff.
    #[error("{0}")]
    Transient(String),
    /// Will not work (bad address, 4xx, SMTP 5xx): `failed` now.
    #[error("{0}")]
    Permanent(String),
}

/// The channels this process can send on.
#[derive(Debug, Clone, Default)]
pub struct Channels {
    /// SMTP.
    pub email: Option<email::EmailSender>,
    /// Twilio-compatible SMS.
    pub sms: Option<http::SmsSender>,
    /// FCM-compatible push.
    pub push: Option<http::PushSender>,
    /// Signed webhooks.
    pub webhook: Option<http::WebhookSender>,
}

impl Channels {
    /// The channels configured.
    pub fn configured(&self) -> Vec<Channel> {
        let mut out = Vec::new();
        if self.email.is_some() {
            out.push(Channel::Email);
        }
        if self.sms.is_some() {
            out.push(Channel::Sms);
        }
        if self.push.is_some() {
            out.push(Channel::Push);
        }
        if self.webhook.is_some() {
            out.push(Channel::Webhook);
        }
        out
    }
}

/// Sender settings.
#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// Attempts before `failed`.
    pub max_attempts: i32,
    /// First retry delay.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// One send's timeout.
    pub send_timeout: Duration,
    /// Sends in flight.
    pub concurrency: usize,
    /// Claims older than this are taken back.
    pub lease: Duration,
    /// How often an idle sender looks for due rows.
    pub poll: Duration,
    /// Public base URL (links).
    pub public_url: String,
    /// Link lifetime.
    pub link_ttl: chrono::Duration,
}

/// Sends due deliveries until shut down.
#[derive(Debug, Clone)]
pub struct Sender {
    db: PgPool,
    channels: Arc<Channels>,
    links: LinkSigner,
    config: Arc<SenderConfig>,
    wake: Arc<Notify>,
}

impl Sender {
    /// A sender over `db`.
    pub fn new(db: PgPool, channels: Channels, links: LinkSigner, config: SenderConfig) -> Self {
        Self {
            db,
            channels: Arc::new(channels),
            links,
            config: Arc::new(config),
            wake: Arc::new(Notify::new()),
        }
    }

    /// Poke after committing deliveries.
    pub fn notifier(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }

    /// Runs until `shutdown`; sends in flight finish first.
    pub async fn run(self, shutdown: CancellationToken) {
        let (queue, lease, poll) = (&deliveries::QUEUE, self.config.lease, self.config.poll);
        queue::drain(&self.db, queue, lease, &self.wake, poll, shutdown, || {
            self.once()
        })
        .await;
    }

    /// Claims and sends one batch; returns its size.
    pub async fn once(&self) -> anyhow::Result<usize> {
        let concurrency = self.config.concurrency;
        queue::send_batch(
            &self.db,
            &deliveries::QUEUE,
            (concurrency * 4) as i64,
            concurrency,
            |d: Delivery| async move {
                self.deliver(&d)
                    .await
                    .with_context(|| format!("delivery {}", d.delivery_id))
            },
        )
        .await
    }

    fn ack_url(&self, alert_id: Uuid, contact_id: Uuid) -> String {
        let token = self
            .links
            .sign(alert_id, contact_id, Utc::now() + self.config.link_ttl);
        format!(
            "{}/v1/alerts/{alert_id}/ack?token={token}",
            self.config.public_url
        )
    }

    async fn deliver(&self, d: &Delivery) -> anyhow::Result<()> {
        let (alert, contact) = match self.target(d).await? {
            Target::Send(found) => *found,
            Target::Settle(status, why) => {
                return Ok(deliveries::QUEUE
                    .settle(&self.db, d.delivery_id, status, why)
                    .await?);
            }
        };
        let result = self.send(d, &alert, &contact).await;
        self.record(d, &alert, result).await
    }

    /// The alert and recipient of a claimed delivery, or why it is not sent after all
    /// (the alert is no longer open, the contact is gone).
    async fn target(&self, d: &Delivery) -> anyhow::Result<Target> {
        let Some(alert) = alerts::get(&self.db, d.alert_id).await? else {
            return Ok(Target::Settle("cancelled", "alert deleted"));
        };
        if alert.status != Status::Open {
            let why = match alert.status {
                Status::Resolved => "resolved before it was sent",
                _ => "acknowledged before it was sent",
            };
            return Ok(Target::Settle("cancelled", why));
        }
        match contacts::get(&self.db, d.contact_id)
            .await?
            .filter(|c| c.active)
        {
            Some(contact) => Ok(Target::Send(Box::new((alert, contact)))),
            None => Ok(Target::Settle("skipped", "contact removed or inactive")),
        }
    }

    /// Renders and sends `d` on its channel, within the send timeout.
    async fn send(
        &self,
        d: &Delivery,
        alert: &Alert,
        contact: &Contact,
    ) -> Result<String, SendError> {
        let channel = parse_channel(&d.channel);
        let severity = parse_severity(&d.severity).unwrap_or(alert.severity);
        let ack_url = self.ack_url(alert.alert_id, contact.contact_id);
        let alert_url = format!("{}/v1/alerts/{}", self.config.public_url, alert.alert_id);
        let notice = Notice {
            alert,
            delivery_id: d.delivery_id,
            step: d.step,
            severity,
            recipient: &contact.name,
            ack_url: &ack_url,
            alert_url: &alert_url,
        };
        let address = d.address.as_deref().unwrap_or_default();
        let started = std::time::Instant::now();
        let send = self.dispatch(channel, &d.channel, &notice, &contact.name, address);
        let result = within(self.config.send_timeout, send).await;
        metrics::histogram!("delivery_send_seconds", "channel" => d.channel.clone())
            .record(started.elapsed().as_secs_f64());
        result
    }

    /// Sends `notice` through the sender of `channel` (`channel_name` as stored).
    async fn dispatch(
        &self,
        channel: Option<Channel>,
        channel_name: &str,
        notice: &Notice<'_>,
        name: &str,
        address: &str,
    ) -> Result<String, SendError> {
        match channel {
            Some(Channel::Email) => match &self.channels.email {
                Some(s) => s.send(notice, name, address).await,
                None => Err(SendError::Permanent("email is not configured".to_owned())),
            },
            Some(Channel::Sms) => match &self.channels.sms {
                Some(s) => s.send(notice, address).await,
                None => Err(SendError::Permanent("SMS is not configured".to_owned())),
            },
            Some(Channel::Push) => match &self.channels.push {
                Some(s) => s.send(notice, address).await,
                None => Err(SendError::Permanent("push is not configured".to_owned())),
            },
            Some(Channel::Webhook) => match &self.channels.webhook {
                Some(s) => s.send(notice, address).await,
                None => Err(SendError::Permanent(
                    "webhooks are not configured".to_owned(),
                )),
            },
            Some(Channel::InApp) | None => Err(SendError::Permanent(format!(
                "channel {channel_name} cannot be sent"
            ))),
        }
    }

    /// Records the outcome of a send: `sent`, a retry after a backoff, or `failed`.
    async fn record(
        &self,
        d: &Delivery,
        alert: &Alert,
        result: Result<String, SendError>,
    ) -> anyhow::Result<()> {
        match result {
            Ok(reference) => {
                deliveries::QUEUE
                    .sent(&self.db, d.delivery_id, Some(&reference))
                    .await?;
                metrics::counter!("deliveries_total", "channel" => d.channel.clone(), "outcome" => "sent").increment(1);
                if d.step == 0 {
                    metrics::histogram!("alert_created_to_sent_seconds", "channel" => d.channel.clone())
                        .record((Utc::now() - alert.created_at).num_milliseconds().max(0) as f64 / 1000.0);
                }
            }
            Err(SendError::Transient(e)) if d.attempts < self.config.max_attempts => {
                let retry_at = Utc::now() + self.backoff(d.attempts);
                tracing::info!(delivery_id = %d.delivery_id, channel = %d.channel, attempt = d.attempts, error = %e, %retry_at, "send failed; will retry");
                deliveries::QUEUE
                    .failed(&self.db, d.delivery_id, &e, Some(retry_at))
                    .await?;
                metrics::counter!("deliveries_total", "channel" => d.channel.clone(), "outcome" => "retry").increment(1);
            }
            Err(e) => {
                let why = format!("gave up after {} attempt(s): {e}", d.attempts);
                tracing::warn!(delivery_id = %d.delivery_id, channel = %d.channel, error = %why, "delivery failed");
                deliveries::QUEUE
                    .failed(&self.db, d.delivery_id, &why, None)
                    .await?;
                metrics::counter!("deliveries_total", "channel" => d.channel.clone(), "outcome" => "failed").increment(1);
            }
        }
        Ok(())
    }

    fn backoff(&self, attempts: i32) -> chrono::Duration {
        backoff(self.config.retry_base, self.config.retry_max, attempts)
    }
}

/// What a claimed delivery goes to, or the final status (and why) it gets unsent.
enum Target {
    Send(Box<(Alert, Contact)>),
    Settle(&'static str, &'static str),
}

/// Why `c` cannot be emailed an `info` message (a digest, an appointment notice;
/// `level` names whose level it is), or `None` when it can go: their preferences, no
/// address, email not `configured`.
pub(crate) fn email_refusal(c: &Contact, configured: bool, level: &str) -> Option<String> {
    if !c.preferences.wants(Channel::Email, AlertSeverity::Info) {
        return Some(format!(
            "{}'s preferences: no email for info ({level})",
            c.name
        ));
    }
    if c.email.is_none() {
        return Some(format!("{} has no email address", c.name));
    }
    if !configured {
        return Some("the email channel is not configured on this service".to_owned());
    }
    None
}
