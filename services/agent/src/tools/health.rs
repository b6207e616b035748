//! The health service as a tool: `GET /v1/vehicles/{id}/health/{component}`,
//! `…/health/history` and `…/health`, with a service token (role `service`).
//! Calls are bounded by the tool timeout, with a cool-down after a failure
//! ([`ServiceClient`]).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;
use shared_runtime::auth::ServiceTokens;
use shared_schemas::events::Component;

use super::http::ServiceClient;
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

/// The HTTP client of the health service.
#[derive(Clone, Debug)]
pub struct HealthClient(ServiceClient);

impl HealthClient {
    /// A client of the health service at `base` (e.g. `http://127.0.0.1:8002`),
    /// presenting the agent's service token from `tokens`; each call is bounded by
    /// `timeout`.
    pub fn new(base: &str, tokens: Arc<ServiceTokens>, timeout: Duration) -> anyhow::Result<Self> {
        ServiceClient::new("health", base, tokens, timeout).map(Self)
    }

    async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, ToolError> {
        self.0.get(path, query).await
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
