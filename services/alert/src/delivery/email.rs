//! Email over SMTP with lettre: a text and an HTML part (and, for appointment notices,
//! a file attached), a stable `Message-ID` per delivery (or digest, or notice), and
//! headers naming the alert, delivery and correlation.

use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use uuid::Uuid;

use super::SendError;
use crate::domain::message::{Email, Notice};

/// Sends email through one SMTP relay, over pooled connections.
#[derive(Clone)]
pub struct EmailSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    domain: String,
}

impl std::fmt::Debug for EmailSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailSender")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl EmailSender {
    /// A sender through `url` (`smtp://…`, `smtp://…?tls=required`, `smtps://…`) from
    /// `from`.
    pub fn new(url: &str, from: &str, timeout: Duration) -> anyhow::Result<Self> {
        crate::install_crypto();
        let from: Mailbox = from
            .parse()
            .map_err(|e| anyhow::anyhow!("ALERT_SMTP_FROM {from:?} is not an address: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("ALERT_SMTP_URL is not a usable SMTP URL: {e}"))?
            .timeout(Some(timeout))
            .pool_config(
                PoolConfig::new()
                    .max_size(8)
                    .idle_timeout(Duration::from_secs(60)),
            )
            .build();
        let domain = from.email.domain().to_owned();
        Ok(Self {
            transport,
            from,
            domain,
        })
    }

    /// Sends `notice` to `name <address>`; returns the Message-ID (the delivery id).
    pub async fn send(
        &self,
        notice: &Notice<'_>,
        name: &str,
        address: &str,
    ) -> Result<String, SendError> {
        let headers = [
            ("X-Fleet-Alert-Id", notice.alert.alert_id.to_string()),
            ("X-Fleet-Delivery-Id", notice.delivery_id.to_string()),
            ("X-Fleet-Vehicle-Id", notice.alert.vehicle_id.clone()),
            (
                "X-Fleet-Correlation-Id",
                notice.alert.correlation_id.to_string(),
            ),
            ("X-Fleet-Severity", notice.severity.as_str().to_owned()),
        ];
        self.send_email(&Outgoing {
            name,
            address,
            email: notice.email(),
            id: notice.delivery_id,
            headers: &headers,
            attachment: None,
        })
        .await
    }

    /// Sends one composed email (alert notices, digests); returns its Message-ID,
    /// `<id@sender-domain>`, stable across retries so receivers can dedupe.
    pub async fn send_email(&self, out: &Outgoing<'_>) -> Result<String, SendError> {
        let address = out.address;
        let to: Mailbox = format!(
            "{} <{address}>",
            out.name.replace(['<', '>', '"', ','], " ")
        )
        .parse()
        .or_else(|_| address.parse())
        .map_err(|e| SendError::Permanent(format!("{address:?} is not an email address: {e}")))?;
        let message_id = format!("<{}@{}>", out.id, self.domain);
        let mut body =
            MultiPart::alternative_plain_html(out.email.text.clone(), out.email.html.clone());
        if let Some(file) = &out.attachment {
            let content_type = ContentType::parse(&file.content_type).map_err(|e| {
                SendError::Permanent(format!("content type {:?}: {e}", file.content_type))
            })?;
            let part = Attachment::new(file.filename.clone()).body(file.body.clone(), content_type);
            body = MultiPart::mixed().multipart(body).singlepart(part);
        }
        let mut message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(out.email.subject.clone())
            .message_id(Some(message_id.clone()))
            .multipart(body)
            .map_err(|e| SendError::Permanent(format!("building the message: {e}")))?;
        let headers = message.headers_mut();
        for (name, value) in out.headers {
            if let Ok(n) = HeaderName::new_from_ascii((*name).to_owned()) {
                headers.insert_raw(HeaderValue::new(n, value.clone()));
            }
        }
        match self.transport.send(message).await {
            Ok(_) => Ok(message_id),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(format!("SMTP: {e}"))),
            Err(e) => Err(SendError::Transient(format!("SMTP: {e}"))),
        }
    }
}

/// One composed email to one recipient.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    /// The recipient's name.
    pub name: &'a str,
    /// Their address.
    pub address: &'a str,
    /// Subject, text and HTML.
    pub email: Email,
    /// The idempotency key: the local part of the `Message-ID`.
    pub id: Uuid,
    /// Extra `X-Fleet-*` headers.
    pub headers: &'a [(&'a str, String)],
    /// A file attached after the text and HTML parts (`multipart/mixed`).
    pub attachment: Option<FileAttachment>,
}

/// A text file attached to an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileAttachment {
    /// Its name, e.g. `invite.ics`.
    pub filename: String,
    /// Its full content type, e.g. `text/calendar; charset=utf-8; method=REQUEST`.
    pub content_type: String,
    /// Its content.
    pub body: String,
}
