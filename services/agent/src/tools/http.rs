//! What every service tool shares: a GET with the agent's service token, bounded by
//! the tool timeout, and a cool-down after a failure so that a service that is down
//! costs each decision nothing instead of a timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;
use shared_runtime::auth::ServiceTokens;

use super::ToolError;

/// Cool-down after a failed call, during which calls fail at once.
const COOL_DOWN: Duration = Duration::from_secs(5);

/// The HTTP client of one service.
#[derive(Clone)]
pub struct ServiceClient {
    service: &'static str,
    base: String,
    http: reqwest::Client,
    tokens: Arc<ServiceTokens>,
    down_until_ms: Arc<AtomicI64>,
}

impl std::fmt::Debug for ServiceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceClient")
            .field("service", &self.service)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl ServiceClient {
    /// A client of `service` at `base` (e.g. `http://127.0.0.1:8002`), presenting the
    /// agent's service token from `tokens`; each call is bounded by `timeout`.
    pub fn new(
        service: &'static str,
        base: &str,
        tokens: Arc<ServiceTokens>,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        crate::llm::install_tls();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()?;
        Ok(Self {
            service,
            base: base.trim_end_matches('/').to_owned(),
            http,
            tokens,
            down_until_ms: Arc::new(AtomicI64::new(0)),
        })
    }

    /// `GET path?query` as JSON. A 404 is [`ToolError::NotFound`]; anything else that is
    /// not a success is [`ToolError::Unavailable`], and a connection failure or 5xx
    /// starts the cool-down.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, ToolError> {
        let now = Utc::now().timestamp_millis();
        if self.down_until_ms.load(Ordering::Relaxed) > now {
            return Err(ToolError::Unavailable(format!(
                "the {} service failed moments ago; not retried yet",
                self.service
            )));
        }
        let token = self
            .tokens
            .token()
            .await
            .map_err(|e| ToolError::Unavailable(e.to_string()))?;
        let result = self
            .http
            .get(format!("{}{path}", self.base))
            .query(query)
            .bearer_auth(token)
            .send()
            .await;
        let response = match result {
            Ok(r) => r,
            Err(e) => return Err(self.failed(format!("{} {path}: {e}", self.base))),
        };
        let status = response.status();
        if status.is_success() {
            return response
                .json::<Value>()
                .await
                .map_err(|e| self.failed(format!("reading {path}: {e}")));
        }
        let body = response.text().await.unwrap_or_default();
        let body: String = body.chars().take(300).collect();
        if status.as_u16() == 404 {
            Err(ToolError::NotFound(body))
        } else if status.is_server_error() {
            Err(self.failed(format!("{path} answered {status}: {body}")))
        } else {
            Err(ToolError::Unavailable(format!(
                "{path} answered {status}: {body}"
            )))
        }
    }

    fn failed(&self, message: String) -> ToolError {
        let until = Utc::now().timestamp_millis() + COOL_DOWN.as_millis() as i64;
        self.down_until_ms.store(until, Ordering::Relaxed);
        ToolError::Unavailable(message)
    }
}
