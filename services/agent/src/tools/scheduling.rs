//! The scheduling service as a tool, when `AGENT_SCHEDULING_URL` is set: the vehicle's
//! open appointments (`GET /v1/vehicles/{id}/appointments?status=open`) and what could
//! be booked for the case's component now (`GET /v1/vehicles/{id}/booking-options`).
//! Both name the case's organization: a service token reaches every organization.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use shared_runtime::auth::ServiceTokens;
use shared_schemas::events::{Component, Severity};

use super::ToolError;
use super::health::segment;
use super::http::ServiceClient;

/// The HTTP client of the scheduling service.
#[derive(Clone, Debug)]
pub struct SchedulingClient(ServiceClient);

impl SchedulingClient {
    /// A client of the scheduling service at `base`.
    pub fn new(base: &str, tokens: Arc<ServiceTokens>, timeout: Duration) -> anyhow::Result<Self> {
        ServiceClient::new("scheduling", base, tokens, timeout).map(Self)
    }

    /// The vehicle's open appointments.
    pub async fn open_appointments(
        &self,
        org_id: &str,
        vehicle_id: &str,
    ) -> Result<Value, ToolError> {
        let path = format!("/v1/vehicles/{}/appointments", segment(vehicle_id));
        let query = [("org_id", org_id.to_owned()), ("status", "open".to_owned())];
        let list = self.0.get(&path, &query).await?;
        Ok(json!({"appointments": list}))
    }

    /// The slots the booking engine would offer now for work on `component` at
    /// `severity`, due within `within_days`.
    pub async fn booking_options(
        &self,
        org_id: &str,
        vehicle_id: &str,
        component: Component,
        severity: Severity,
        within_days: u32,
    ) -> Result<Value, ToolError> {
        let path = format!("/v1/vehicles/{}/booking-options", segment(vehicle_id));
        let query = [
            ("org_id", org_id.to_owned()),
            ("component", component.as_str().to_owned()),
            ("severity", severity.as_str().to_owned()),
            ("within_days", within_days.to_string()),
        ];
        self.0.get(&path, &query).await
    }
}
