//! The mailer: sends what `mail_queue` holds through the SMTP relay
//! (`ANALYTICS_SMTP_URL`), retrying with backoff, so mail accepted while the relay is
//! down goes out when it is back.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment as MimeAttachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::db;
use crate::domain::mail::Mail;

/// Attempts before a mail is given up.
const MAX_ATTEMPTS: i32 = 12;
/// How long a claimed mail is leased to this mailer.
const LEASE_S: f64 = 120.0;

/// Sends queued mail.
#[derive(Clone)]
pub struct Mailer {
    db: PgPool,
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("smtp", &self.transport.is_some())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer through `smtp_url` (none: mail waits in the queue) from `from`.
    pub fn new(db: PgPool, smtp_url: Option<&str>, from: &str) -> anyhow::Result<Self> {
        crate::install_crypto();
        let from: Mailbox = from
            .parse()
            .map_err(|e| anyhow::anyhow!("ANALYTICS_MAIL_FROM {from:?} is not an address: {e}"))?;
        let transport = smtp_url
            .map(|url| {
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map(|b| b.timeout(Some(Duration::from_secs(20))).build())
                    .map_err(|e| {
                        anyhow::anyhow!("ANALYTICS_SMTP_URL is not a usable SMTP URL: {e}")
                    })
            })
            .transpose()?;
        Ok(Self {
            db,
            transport,
            from,
            wake: Arc::new(Notify::new()),
        })
    }

    /// Poke after committing queued mail.
    pub fn notifier(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }

    /// Sends due mail until shutdown, waking on the notifier or every few seconds.
    pub async fn run(self, shutdown: CancellationToken) {
        let Some(transport) = self.transport.clone() else {
            tracing::warn!("ANALYTICS_SMTP_URL is not set: mail waits in mail_queue");
            return;
        };
        loop {
            match self.send_due(&transport).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "mail queue unavailable; retrying"),
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(5)) => {}
            }
        }
    }

    async fn send_due(
        &self,
        transport: &AsyncSmtpTransport<Tokio1Executor>,
    ) -> Result<usize, sqlx::Error> {
        let due = db::mail::claim_due(&self.db, 16, LEASE_S).await?;
        let n = due.len();
        for (id, attempts, mail) in due {
            let result = match self.message(&mail) {
                Ok(message) => transport
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => {
                    db::mail::sent(&self.db, id).await?;
                    metrics::counter!("analytics_mail_sent_total").increment(1);
                }
                Err(e) => {
                    let give_up = attempts >= MAX_ATTEMPTS;
                    let retry_s =
                        f64::from(2u32.saturating_pow(attempts.clamp(0, 10).unsigned_abs()))
                            .min(600.0);
                    tracing::warn!(mail = %id, attempts, give_up, error = %e, "sending mail failed");
                    db::mail::failed(&self.db, id, &e, retry_s, give_up).await?;
                }
            }
        }
        Ok(n)
    }

    /// The MIME message of `mail`.
    fn message(&self, mail: &Mail) -> Result<Message, String> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| format!("recipient {:?}: {e}", mail.to))?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone());
        let text = SinglePart::plain(mail.text.clone());
        let built = match &mail.attachment {
            None => builder.singlepart(text),
            Some(a) => {
                let kind = ContentType::parse(&a.content_type).map_err(|e| e.to_string())?;
                let part = MimeAttachment::new(a.filename.clone()).body(a.bytes.clone(), kind);
                builder.multipart(MultiPart::mixed().singlepart(text).singlepart(part))
            }
        };
        built.map_err(|e| e.to_string())
    }
}
