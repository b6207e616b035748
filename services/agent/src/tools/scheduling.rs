//! The scheduling service as a tool (open appointments), when `AGENT_SCHEDULING_URL` is
//! set. The service does not exist yet; the path follows the platform's REST style and
//! is the contract the agent expects: `GET /v1/vehicles/{id}/appointments?status=open`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use shared_runtime::auth::ServiceTokens;

use super::ToolError;

/// The HTTP client of the scheduling service.
#[derive(Clone)]
pub struct SchedulingClient {
    base: String,
    http: reqwest::Client,
    tokens: Arc<ServiceTokens>,
}

impl std::fmt::Debug for SchedulingClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchedulingClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl SchedulingClient {
    /// A client of the scheduling service at `base`.
    pub fn new(base: &str, tokens: Arc<ServiceTokens>, timeout: Duration) -> anyhow::Result<Self> {
        crate::llm::install_tls();
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder().timeout(timeout).build()?,
            tokens,
        })
    }

    /// The vehicle's open appointments.
    pub async fn open_appointments(&self, vehicle_id: &str) -> Result<Value, ToolError> {
        let token = self
            .tokens
            .token()
            .await
            .map_err(|e| ToolError::Unavailable(e.to_string()))?;
        let response = self
            .http
            .get(format!(
                "{}/v1/vehicles/{}/appointments",
                self.base,
                super::health::segment(vehicle_id)
            ))
            .query(&[("status", "open")])
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| ToolError::Unavailable(e.to_string()))?;
        if !response.status().is_success() {
            return Err(ToolError::Unavailable(format!(
                "scheduling answered {}",
                response.status()
            )));
        }
        response
            .json()
            .await
            .map_err(|e| ToolError::Unavailable(e.to_string()))
    }
}
