//! The HTTP channels: SMS through a Twilio-compatible API, push through an FCM HTTP
//! v1-compatible API, and HMAC-signed webhooks. Each request carries the delivery id as
//! its idempotency key.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;
use shared_runtime::config::Secret;

use super::SendError;
use crate::config::{PushConfig, PushToken, SmsConfig};
use crate::domain::message::Notice;

fn client(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    crate::install_crypto();
    Ok(reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(5))
        .build()?)
}

/// Maps an answer: 2xx ok; 408, 429 and 5xx transient; other 4xx permanent.
async fn outcome(
    what: &str,
    r: Result<reqwest::Response, reqwest::Error>,
) -> Result<reqwest::Response, SendError> {
    let r = r.map_err(|e| SendError::Transient(format!("{what}: {e}")))?;
    let status = r.status();
    if status.is_success() {
        return Ok(r);
    }
    let mut body = r.text().await.unwrap_or_default();
    body.truncate(300);
    let msg = format!("{what} answered {status}: {body}");
    if status.as_u16() == 408 || status.as_u16() == 429 || status.is_server_error() {
        Err(SendError::Transient(msg))
    } else {
        Err(SendError::Permanent(msg))
    }
}

/// SMS through `POST {base}/2010-04-01/Accounts/{sid}/Messages.json`.
#[derive(Debug, Clone)]
pub struct SmsSender {
    http: reqwest::Client,
    url: String,
    sid: String,
    token: Secret,
    from: String,
}

#[derive(Deserialize)]
struct SmsAnswer {
    sid: Option<String>,
}

impl SmsSender {
    /// A sender with `c`.
    pub fn new(c: &SmsConfig, timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            http: client(timeout)?,
            url: format!(
                "{}/2010-04-01/Accounts/{}/Messages.json",
                c.base_url, c.account_sid
            ),
            sid: c.account_sid.clone(),
            token: c.auth_token.clone(),
            from: c.from.clone(),
        })
    }

    /// Sends to `to` (E.164); returns the message SID.
    pub async fn send(&self, n: &Notice<'_>, to: &str) -> Result<String, SendError> {
        let key = n.delivery_id.to_string();
        let r = self
            .http
            .post(&self.url)
            .basic_auth(&self.sid, Some(self.token.expose()))
            .header("I-Twilio-Idempotency-Token", &key)
            .header("Idempotency-Key", &key)
            .form(&[
                ("To", to),
                ("From", self.from.as_str()),
                ("Body", n.sms().as_str()),
            ])
            .send()
            .await;
        let answer: SmsAnswer = outcome("SMS API", r)
            .await?
            .json()
            .await
            .map_err(|e| SendError::Transient(format!("SMS API answer: {e}")))?;
        Ok(answer.sid.unwrap_or(key))
    }
}

/// Push through `POST {base}/v1/projects/{project}/messages:send`.
#[derive(Debug, Clone)]
pub struct PushSender {
    http: reqwest::Client,
    url: String,
    token: PushToken,
}

#[derive(Deserialize)]
struct PushAnswer {
    name: Option<String>,
}

impl PushSender {
    /// A sender with `c`.
    pub fn new(c: &PushConfig, timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            http: client(timeout)?,
            url: format!("{}/v1/projects/{}/messages:send", c.base_url, c.project),
            token: c.token.clone(),
        })
    }

    async fn bearer(&self) -> Result<String, SendError> {
        match &self.token {
            PushToken::Static(s) => Ok(s.expose().to_owned()),
            PushToken::File(p) => tokio::fs::read_to_string(p)
                .await
                .map(|s| s.trim().to_owned())
                .map_err(|e| {
                    SendError::Transient(format!("reading ALERT_PUSH_ACCESS_TOKEN_FILE: {e}"))
                }),
        }
    }

    /// Sends to the device `token`; returns the message name.
    pub async fn send(&self, n: &Notice<'_>, token: &str) -> Result<String, SendError> {
        let (title, body) = n.push();
        let msg = json!({
            "message": {
                "token": token,
                "notification": {"title": title, "body": body},
                "data": {
                    "alert_id": n.alert.alert_id.to_string(),
                    "delivery_id": n.delivery_id.to_string(),
                    "vehicle_id": n.alert.vehicle_id,
                    "severity": n.severity.as_str(),
                    "ack_url": n.ack_url,
                },
                "android": {"priority": if n.severity >= shared_schemas::events::AlertSeverity::Critical { "high" } else { "normal" }},
            }
        });
        let r = self
            .http
            .post(&self.url)
            .bearer_auth(self.bearer().await?)
            .header("Idempotency-Key", n.delivery_id.to_string())
            .json(&msg)
            .send()
            .await;
        let answer: PushAnswer = outcome("push API", r)
            .await?
            .json()
            .await
            .map_err(|e| SendError::Transient(format!("push API answer: {e}")))?;
        Ok(answer.name.unwrap_or_else(|| n.delivery_id.to_string()))
    }
}

/// Webhooks: `POST url` with the JSON body, signed.
///
/// `X-Fleet-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` keyed with
/// `ALERT_WEBHOOK_SECRET`; `X-Fleet-Delivery` (and `Idempotency-Key`) carry the
/// delivery id, so a receiver drops repeats.
#[derive(Debug, Clone)]
pub struct WebhookSender {
    http: reqwest::Client,
    secret: Secret,
}

/// The `X-Fleet-Signature` value of `body` at `t`.
pub fn signature(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

impl WebhookSender {
    /// A sender signing with `secret`.
    pub fn new(secret: Secret, timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            http: client(timeout)?,
            secret,
        })
    }

    /// Posts to `url`; returns the answer's status.
    pub async fn send(&self, n: &Notice<'_>, url: &str) -> Result<String, SendError> {
        let body = serde_json::to_vec(&n.webhook())
            .map_err(|e| SendError::Permanent(format!("webhook body: {e}")))?;
        let t = chrono::Utc::now().timestamp();
        let r = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header(
                "X-Fleet-Signature",
                signature(self.secret.expose(), t, &body),
            )
            .header("X-Fleet-Delivery", n.delivery_id.to_string())
            .header("Idempotency-Key", n.delivery_id.to_string())
            .header("X-Fleet-Event", "alert")
            .body(body)
            .send()
            .await;
        let r = outcome("webhook", r).await?;
        Ok(format!("HTTP {}", r.status().as_u16()))
    }
}
