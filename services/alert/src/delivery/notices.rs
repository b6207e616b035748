//! Sending notices (ADR 0016: appointments, warranty claims): claimed from `notices`
//! like deliveries and digests (`FOR UPDATE SKIP LOCKED`, a lease), sent outside any
//! transaction through the same SMTP transport, `sent`, retried with backoff, or
//! `failed`. A claim notice is plain text and HTML, links included (no attachment).
//!
//! A booking or cancellation carries the appointment's calendar file, fetched from the
//! scheduling service when the notice is sent (it is the file's one source). A fetch
//! that fails transiently (connect error, timeout, 5xx) retries the notice with the
//! queue's backoff; on the last attempt, or when the service is not configured or has
//! no file (404), the email goes without it and says where to download it: the message
//! itself is never given up for want of its attachment.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::calendar::{self, Calendar, CalendarClient};
use super::email::{EmailSender, FileAttachment, Outgoing};
use super::{Retries, SendError, queue};
use crate::db::notices::{self, Claimed};
use crate::domain::appointment::{
    AppointmentNotice, INVITE_FILE, Invite, NoticeEmail, invite_content_type,
};
use crate::domain::claim::ClaimEmail;
use crate::domain::message::Email;
use crate::domain::notice::NoticeContent;

/// Notices claimed per pass.
const CLAIM: i64 = 32;

/// Notice sender settings.
#[derive(Debug, Clone)]
pub struct NoticeConfig {
    /// How often an idle sender looks for due notices.
    pub tick: Duration,
    /// Attempts and backoff.
    pub retries: Retries,
    /// One send's timeout (the calendar fetch has its own, the same).
    pub send_timeout: Duration,
    /// Claims older than this are taken back.
    pub lease: Duration,
    /// The scheduling service's base URL, named in proposals.
    pub scheduling_url: Option<String>,
    /// The warranty service's base URL, linked from claim notices (the claim, its
    /// evidence pack, the review queue).
    pub warranty_url: Option<String>,
}

/// The calendar file of a notice: attached, or where to download it.
enum Invitation {
    Attach(FileAttachment),
    Download(String),
}

/// A notice's email, its own headers and its attachment.
struct Composed {
    email: Email,
    headers: Vec<(&'static str, String)>,
    attachment: Option<FileAttachment>,
}

/// Sends due notices until shut down.
#[derive(Debug, Clone)]
pub struct Notices {
    db: PgPool,
    email: Option<EmailSender>,
    calendar: Option<CalendarClient>,
    config: Arc<NoticeConfig>,
    wake: Arc<Notify>,
}

impl Notices {
    /// Notices over `db`, sent through `email`, with calendar files from `calendar`.
    pub fn new(
        db: PgPool,
        email: Option<EmailSender>,
        calendar: Option<CalendarClient>,
        config: NoticeConfig,
    ) -> Self {
        Self {
            db,
            email,
            calendar,
            config: Arc::new(config),
            wake: Arc::new(Notify::new()),
        }
    }

    /// Poke after committing notices.
    pub fn notifier(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }

    /// Runs until `shutdown`; sends in flight finish first.
    pub async fn run(self, shutdown: CancellationToken) {
        let (queue, lease, tick) = (&notices::QUEUE, self.config.lease, self.config.tick);
        queue::drain(&self.db, queue, lease, &self.wake, tick, shutdown, || {
            self.send_due()
        })
        .await;
    }

    /// Claims and sends one batch of due notices; returns its size.
    pub async fn send_due(&self) -> anyhow::Result<usize> {
        queue::send_batch(
            &self.db,
            &notices::QUEUE,
            CLAIM,
            8,
            |n: Claimed| async move {
                self.deliver(&n)
                    .await
                    .with_context(|| format!("notice {}", n.notice_id))
            },
        )
        .await
    }

    async fn deliver(&self, n: &Claimed) -> anyhow::Result<()> {
        let queue = &notices::QUEUE;
        let Some(contact) =
            queue::active_contact(&self.db, queue, n.notice_id, n.contact_id).await?
        else {
            return Ok(());
        };
        let result = match self.compose(n, &contact.name).await {
            Ok(composed) => self.send(n, &contact.name, composed).await,
            Err(e) => Err(e),
        };
        let outcome = super::record_outcome(
            &self.db,
            &notices::QUEUE,
            n.notice_id,
            n.attempts,
            self.config.retries,
            result,
        )
        .await?;
        metrics::counter!("notices_total", "kind" => n.content.0.kind(), "outcome" => outcome)
            .increment(1);
        Ok(())
    }

    /// The notice's calendar file, or where to download it (`None`: it has none); a
    /// transient error while attempts remain.
    async fn invitation(
        &self,
        n: &Claimed,
        notice: &AppointmentNotice,
    ) -> Result<Option<Invitation>, SendError> {
        let (Some(id), Some(method)) = (notice.appointment_id(), notice.calendar_method()) else {
            return Ok(None);
        };
        let Some(client) = &self.calendar else {
            let at = format!("the scheduling service's {}", calendar::path(id));
            return Ok(Some(Invitation::Download(at)));
        };
        let why = match client.fetch(id).await {
            Ok(Calendar::Ics(body)) => {
                // The file says what it does (a booking cancelled meanwhile is served as
                // a CANCEL): the content type follows it.
                let method = calendar::method(&body).unwrap_or(method);
                return Ok(Some(Invitation::Attach(FileAttachment {
                    filename: INVITE_FILE.to_owned(),
                    content_type: invite_content_type(method),
                    body,
                })));
            }
            Ok(Calendar::Unavailable(why)) => why,
            Err(e) if n.attempts < self.config.retries.max_attempts => return Err(e),
            Err(e) => format!("{e} (last attempt)"),
        };
        tracing::warn!(notice_id = %n.notice_id, appointment_id = %id, reason = %why,
            "calendar file unavailable; the email says where to download it");
        Ok(Some(Invitation::Download(client.url(id))))
    }

    /// The email of `n` to `name`: an appointment's with its calendar file (a transient
    /// error while fetching it and attempts remain), a claim's with its links.
    async fn compose(&self, n: &Claimed, name: &str) -> Result<Composed, SendError> {
        let notice = match &n.content.0 {
            NoticeContent::Appointment(a) => a,
            NoticeContent::Claim(c) => {
                let email = ClaimEmail {
                    notice: c,
                    recipient: name,
                    warranty_url: self.config.warranty_url.as_deref(),
                }
                .email();
                let headers = vec![("X-Fleet-Claim-Id", c.claim_id().to_string())];
                return Ok(Composed {
                    email,
                    headers,
                    attachment: None,
                });
            }
        };
        let invitation = self.invitation(n, notice).await?;
        let (invite, attachment) = match &invitation {
            Some(Invitation::Attach(file)) => (Invite::Attached, Some(file.clone())),
            Some(Invitation::Download(at)) => (Invite::Download(at), None),
            None => (Invite::Attached, None),
        };
        metrics::counter!("notice_invites_total", "attached" => if attachment.is_some() { "yes" } else { "no" })
            .increment(1);
        let email = NoticeEmail {
            notice,
            recipient: name,
            invite,
            scheduling_url: self.config.scheduling_url.as_deref(),
        }
        .email();
        let headers = notice
            .appointment_id()
            .map(|id| ("X-Fleet-Appointment-Id", id.to_string()))
            .into_iter()
            .collect();
        Ok(Composed {
            email,
            headers,
            attachment,
        })
    }

    async fn send(&self, n: &Claimed, name: &str, c: Composed) -> Result<String, SendError> {
        let Some(sender) = &self.email else {
            return Err(SendError::Permanent("email is not configured".to_owned()));
        };
        let notice = &n.content.0;
        let mut headers = vec![
            ("X-Fleet-Notice-Id", n.notice_id.to_string()),
            ("X-Fleet-Notice", notice.kind().to_owned()),
            ("X-Fleet-Vehicle-Id", notice.vehicle().1.to_owned()),
            ("X-Fleet-Correlation-Id", n.correlation_id.to_string()),
        ];
        headers.extend(c.headers);
        let out = Outgoing {
            name,
            address: n.address.as_deref().unwrap_or_default(),
            email: c.email,
            id: n.notice_id,
            headers: &headers,
            attachment: c.attachment,
        };
        super::within(self.config.send_timeout, sender.send_email(&out)).await
    }
}
