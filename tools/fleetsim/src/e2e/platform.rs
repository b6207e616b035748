//! The platform's REST APIs the measurement needs besides posting telemetry: the
//! device key check, the key's organization, the probe owner's contact, closing the
//! probes' alerts, and the devinbox messages.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};
use reqwest::{Response, StatusCode};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::account::Email;

/// How to mint the token, for error messages.
const MINT: &str = "`make up` prints how: FLEET_PASSWORD=… target/release/fleetctl login \
     --email admin@fleet.local";

/// The services' base URLs and credentials.
#[derive(Debug, Clone)]
pub(crate) struct Platform {
    pub(crate) http: reqwest::Client,
    pub(crate) ingestion: String,
    pub(crate) alert: String,
    pub(crate) health: String,
    pub(crate) inbox: String,
    pub(crate) token: String,
    pub(crate) api_key: String,
}

/// A transport error with its causes (e.g. "connection refused"), without the URL
/// reqwest repeats.
fn transport(e: &reqwest::Error) -> String {
    let mut msg = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        let part = match s.downcast_ref::<reqwest::Error>() {
            Some(r) if r.url().is_some() => "request failed".to_owned(),
            _ => s.to_string(),
        };
        if !msg.is_empty() {
            msg.push_str(": ");
        }
        msg.push_str(&part);
        source = s.source();
    }
    msg
}

fn unreachable(what: &str, url: &str, e: &reqwest::Error) -> anyhow::Error {
    anyhow!(
        "{what} at {url} is unreachable ({}): is the platform running (`make up`)?",
        transport(e)
    )
}

/// The error for a refused admin call, naming the usual cause.
fn refused(what: &str, url: &str, status: StatusCode, body: &str) -> anyhow::Error {
    let body: String = body.chars().take(300).collect();
    match status.as_u16() {
        401 => anyhow!(
            "{what} at {url} answered 401: is FLEET_ADMIN_TOKEN an admin token minted with \
             this JWT secret? ({MINT}) [{body}]"
        ),
        403 => anyhow!(
            "{what} at {url} answered 403: FLEET_ADMIN_TOKEN is not an admin token ({MINT}) \
             [{body}]"
        ),
        _ => anyhow!("{what} at {url} answered {status}: {body}"),
    }
}

async fn expect(what: &str, url: &str, r: Response, ok: StatusCode) -> anyhow::Result<Response> {
    if r.status() == ok {
        return Ok(r);
    }
    let status = r.status();
    let body = r.text().await.unwrap_or_default();
    Err(refused(what, url, status, &body))
}

#[derive(Debug, Deserialize)]
struct KeyRow {
    org_id: String,
    key_prefix: String,
    #[serde(default)]
    revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
struct Created {
    contact_id: Uuid,
}

#[derive(Debug, Deserialize)]
struct AlertPage {
    alerts: Vec<AlertRow>,
}

#[derive(Debug, Deserialize)]
struct AlertRow {
    alert_id: Uuid,
    status: String,
}

#[derive(Debug, Deserialize)]
struct Page {
    messages: Vec<Message>,
}

#[derive(Debug, Deserialize)]
struct Message {
    id: u64,
    #[serde(default)]
    to: Vec<String>,
    received_at: DateTime<Utc>,
    #[serde(default)]
    headers: HashMap<String, String>,
}

impl Message {
    /// Header `name`, whatever its case (SMTP header names are case-insensitive).
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    }

    fn email(&self) -> Email {
        Email {
            id: self.id,
            to: self.to.clone(),
            received_at: self.received_at,
            alert_id: self.header("X-Fleet-Alert-Id"),
            delivery_id: self.header("X-Fleet-Delivery-Id"),
            correlation_id: self.header("X-Fleet-Correlation-Id"),
            severity: self.header("X-Fleet-Severity"),
            vehicle_id: self.header("X-Fleet-Vehicle-Id"),
        }
    }
}

impl Platform {
    /// Checks that ingestion knows the device key: an empty batch is refused after the
    /// key is checked (400), or with 401 for an unknown key.
    pub(crate) async fn check_device_key(&self) -> anyhow::Result<()> {
        let url = format!("{}/v1/telemetry/batch", self.ingestion);
        let r = self
            .http
            .post(&url)
            .header("x-api-key", &self.api_key)
            .json(&json!({"readings": []}))
            .send()
            .await
            .map_err(|e| unreachable("ingestion", &self.ingestion, &e))?;
        match r.status().as_u16() {
            401 | 403 => bail!(
                "ingestion at {} answered {} to the device key: is FLEET_DEVICE_KEY the key \
                 `make up` printed (.run/device_key)?",
                self.ingestion,
                r.status()
            ),
            404 | 405 => bail!("{url} answered {}: is --url ingestion?", r.status()),
            _ => Ok(()),
        }
    }

    /// The organization of the device key (the organization of the probes' alerts),
    /// from ingestion's key list (keys are listed by their first 10 characters).
    pub(crate) async fn org_of_device_key(&self) -> anyhow::Result<String> {
        let url = format!("{}/v1/device-keys", self.ingestion);
        let r = self.get("ingestion", &self.ingestion, &url).await?;
        let r = expect("ingestion", &self.ingestion, r, StatusCode::OK).await?;
        let keys: Vec<KeyRow> = r.json().await.context("reading the device key list")?;
        let mut orgs: Vec<String> = keys
            .into_iter()
            .filter(|k| k.revoked_at.is_none() && self.api_key.starts_with(&k.key_prefix))
            .map(|k| k.org_id)
            .collect();
        orgs.sort();
        orgs.dedup();
        match orgs.as_slice() {
            [org] => Ok(org.clone()),
            [] => bail!(
                "no active device key at {} starts like FLEET_DEVICE_KEY",
                self.ingestion
            ),
            _ => bail!(
                "keys of several organizations ({orgs:?}) start like FLEET_DEVICE_KEY: pass --org"
            ),
        }
    }

    /// Creates the owner contact of `vehicles` in `org` with `email`; returns its id.
    pub(crate) async fn create_contact(
        &self,
        org: &str,
        vehicles: &[String],
        email: &str,
    ) -> anyhow::Result<Uuid> {
        let r = self
            .http
            .post(format!("{}/v1/contacts", self.alert))
            .bearer_auth(&self.token)
            .json(&json!({
                "org_id": org, "name": "e2e probe owner", "role": "owner",
                "vehicle_ids": vehicles, "email": email,
            }))
            .send()
            .await
            .map_err(|e| unreachable("the alert service", &self.alert, &e))?;
        let r = expect("the alert service", &self.alert, r, StatusCode::CREATED).await?;
        let c: Created = r.json().await.context("reading the created contact")?;
        Ok(c.contact_id)
    }

    /// Deletes a contact (messages still planned for it are then skipped).
    pub(crate) async fn delete_contact(&self, id: Uuid) -> anyhow::Result<()> {
        let r = self
            .http
            .delete(format!("{}/v1/contacts/{id}", self.alert))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| unreachable("the alert service", &self.alert, &e))?;
        expect("the alert service", &self.alert, r, StatusCode::NO_CONTENT).await?;
        Ok(())
    }

    /// Resolves `vehicle`'s unresolved alerts, so they escalate to nobody later;
    /// returns how many.
    pub(crate) async fn resolve_alerts(&self, vehicle: &str) -> anyhow::Result<usize> {
        let r = self
            .http
            .get(format!("{}/v1/alerts", self.alert))
            .query(&[("vehicle_id", vehicle), ("limit", "200")])
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| unreachable("the alert service", &self.alert, &e))?;
        let r = expect("the alert service", &self.alert, r, StatusCode::OK).await?;
        let page: AlertPage = r.json().await.context("reading the alert list")?;
        let mut n = 0;
        for a in page.alerts.iter().filter(|a| a.status != "resolved") {
            let r = self
                .http
                .post(format!("{}/v1/alerts/{}/resolve", self.alert, a.alert_id))
                .bearer_auth(&self.token)
                .json(&json!({"resolution": "fleetsim e2e probe: measurement finished"}))
                .send()
                .await
                .map_err(|e| unreachable("the alert service", &self.alert, &e))?;
            expect("the alert service", &self.alert, r, StatusCode::OK).await?;
            n += 1;
        }
        Ok(n)
    }

    /// GETs `url` of service `what` (at `base`) with the admin token.
    async fn get(&self, what: &str, base: &str, url: &str) -> anyhow::Result<Response> {
        self.http
            .get(url)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| unreachable(what, base, &e))
    }

    /// When the newest reading health folded for `vehicle` was recorded; `None`
    /// while health has not assessed it.
    pub(crate) async fn newest_reading_at(
        &self,
        vehicle: &str,
    ) -> anyhow::Result<Option<DateTime<Utc>>> {
        #[derive(Deserialize)]
        struct Current {
            newest_reading_at: DateTime<Utc>,
        }
        let url = format!("{}/v1/vehicles/{vehicle}/health", self.health);
        let r = self.get("the health service", &self.health, &url).await?;
        if r.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let r = expect("the health service", &self.health, r, StatusCode::OK).await?;
        let c: Current = r.json().await.context("reading a vehicle's health")?;
        Ok(Some(c.newest_reading_at))
    }

    /// Emails containing `q` (recipient, subject or text) after devinbox id `after`,
    /// oldest first, all pages.
    pub(crate) async fn emails(&self, q: &str, mut after: u64) -> anyhow::Result<Vec<Email>> {
        const LIMIT: usize = 1_000;
        let mut out = Vec::new();
        loop {
            let r = self
                .http
                .get(format!("{}/api/messages", self.inbox))
                .query(&[("kind", "email"), ("q", q)])
                .query(&[("after", after), ("limit", LIMIT as u64)])
                .timeout(Duration::from_secs(10))
                .send()
                .await
                .map_err(|e| {
                    anyhow!(
                        "devinbox at {} is unreachable ({}): `make up` runs it with the \
                         alert service (SMTP 127.0.0.1:1025, HTTP 127.0.0.1:8025)",
                        self.inbox,
                        transport(&e)
                    )
                })?;
            if !r.status().is_success() {
                bail!("devinbox at {} answered {}", self.inbox, r.status());
            }
            let page: Page = r.json().await.context("reading devinbox messages")?;
            let n = page.messages.len();
            out.extend(page.messages.iter().map(Message::email));
            match page.messages.last() {
                Some(m) if n == LIMIT => after = m.id,
                _ => return Ok(out),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devinbox_messages_become_emails_whatever_the_header_case() {
        let page: Page = serde_json::from_str(
            r#"{"messages":[{"id":3,"kind":"email","to":["e2e-x@fleet.test"],
                "subject":"s","text":"t","received_at":"2026-01-01T00:00:01.250Z",
                "headers":{"X-Fleet-Alert-Id":"a","x-fleet-delivery-id":"d",
                  "X-Fleet-Correlation-Id":" 0190c3c4-0000-7000-8000-000000000001 ",
                  "X-Fleet-Severity":"critical","X-Fleet-Vehicle-Id":"E2E-x-1"},
                "message_id":"<d@fleet.local>"}]}"#,
        )
        .expect("page");
        let e = page.messages[0].email();
        assert_eq!(e.id, 3);
        assert_eq!(e.delivery_id.as_deref(), Some("d"));
        assert_eq!(
            e.correlation_id.as_deref(),
            Some("0190c3c4-0000-7000-8000-000000000001")
        );
        assert!(e.is_urgent());
        assert_eq!(e.received_at.timestamp_subsec_millis(), 250);
    }

    #[test]
    fn refusals_name_the_token() {
        let e = refused(
            "the alert service",
            "http://a",
            StatusCode::UNAUTHORIZED,
            "{}",
        );
        assert!(
            e.to_string().contains("FLEET_ADMIN_TOKEN an admin token"),
            "{e}"
        );
        let e = refused("the alert service", "http://a", StatusCode::FORBIDDEN, "{}");
        assert!(e.to_string().contains("not an admin token"), "{e}");
    }
}
