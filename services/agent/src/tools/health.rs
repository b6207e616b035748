//! The health service as a tool: `GET /v1/vehicles/{id}/health/{component}`,
//! `…/health/history` and `…/health`, with a service token (role `service`).
//!
//! Calls are bounded by the tool timeout. After a failure the client answers
//! "unavailable" at once for a short cool-down instead of making every decision wait
//! for the timeout while the health service is down.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;
use shared_runtime::auth::ServiceTokens;
use shared_schemas::events::Component;

use super::{ComponentSnapshot, ToolError, VehicleSnapshot};

/// What the workers need from the health service.
#[async_trait::async_trait]
pub trait HealthTool: Send + Sync + 'static {
    /// The component's current health.
    async fn component(
        &self,
        vehicle_id: &str,
        c: Component,
    ) -> Result<ComponentSnapshot, ToolError>;
    /// The component's daily history over `days`.
    async fn history(&self, vehicle_id: &str, c: Component, days: u32) -> Result<Value, ToolError>;
    /// The vehicle's current health (organization, every component).
    async fn vehicle(&self, vehicle_id: &str) -> Result<VehicleSnapshot, ToolError>;
}

/// Cool-down after a failed call, during which calls fail at once.
const COOL_DOWN: Duration = Duration::from_secs(5);

/// The HTTP client of the health service.
#[derive(Clone)]
pub struct HealthClient {
    base: String,
    http: reqwest::Client,
    tokens: Arc<ServiceTokens>,
    down_until_ms: Arc<AtomicI64>,
}

impl std::fmt::Debug for HealthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl HealthClient {
    /// A client of the health service at `base` (e.g. `http://127.0.0.1:8002`),
    /// presenting the agent's service token from `tokens`; each call is bounded by
    /// `timeout`.
    pub fn new(base: &str, tokens: Arc<ServiceTokens>, timeout: Duration) -> anyhow::Result<Self> {
        crate::llm::install_tls();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
            tokens,
            down_until_ms: Arc::new(AtomicI64::new(0)),
        })
    }

    async fn token(&self) -> Result<String, ToolError> {
        self.tokens
            .token()
            .await
            .map_err(|e| ToolError::Unavailable(e.to_string()))
    }

    async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, ToolError> {
        let now = Utc::now().timestamp_millis();
        if self.down_until_ms.load(Ordering::Relaxed) > now {
            return Err(ToolError::Unavailable(
                "health service failed moments ago; not retried yet".to_owned(),
            ));
        }
        let result = self
            .http
            .get(format!("{}{path}", self.base))
            .query(query)
            .bearer_auth(self.token().await?)
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

/// Path segment of a vehicle id.
pub(crate) use shared_runtime::http::path_segment as segment;

#[async_trait::async_trait]
impl HealthTool for HealthClient {
    async fn component(
        &self,
        vehicle_id: &str,
        c: Component,
    ) -> Result<ComponentSnapshot, ToolError> {
        let v = self
            .get(
                &format!("/v1/vehicles/{}/health/{}", segment(vehicle_id), c.as_str()),
                &[],
            )
            .await?;
        serde_json::from_value(v)
            .map_err(|e| ToolError::Unavailable(format!("unexpected answer: {e}")))
    }

    async fn history(&self, vehicle_id: &str, c: Component, days: u32) -> Result<Value, ToolError> {
        let to = Utc::now();
        let from = to - chrono::Duration::days(i64::from(days));
        self.get(
            &format!("/v1/vehicles/{}/health/history", segment(vehicle_id)),
            &[
                ("component", c.as_str().to_owned()),
                ("from", from.to_rfc3339()),
                ("to", to.to_rfc3339()),
                ("bucket", "1d".to_owned()),
                ("points", "28".to_owned()),
            ],
        )
        .await
    }

    async fn vehicle(&self, vehicle_id: &str) -> Result<VehicleSnapshot, ToolError> {
        let v = self
            .get(&format!("/v1/vehicles/{}/health", segment(vehicle_id)), &[])
            .await?;
        serde_json::from_value(v)
            .map_err(|e| ToolError::Unavailable(format!("unexpected answer: {e}")))
    }
}
