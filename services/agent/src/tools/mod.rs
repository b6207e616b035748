//! The worker agents' tools: the vehicle's component health and its history from the
//! health service, trouble code meanings from the bundled table, open appointments and
//! booking options from the scheduling service, and the vehicle's warranty claims from
//! the warranty service. A tool whose service is down or not deployed answers
//! `{"available": false, "error": …}`: the decision is degraded, never failed.

pub mod health;
mod http;
pub mod scheduling;
pub mod warranty;

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use shared_schemas::events::{Component, ComponentHealth, Severity};

use crate::domain::Case;
use crate::domain::decision::ToolCall;
use crate::domain::dtc;

pub use health::{HealthClient, HealthTool};
pub use http::ServiceClient;
pub use scheduling::SchedulingClient;
pub use warranty::WarrantyClient;

/// Why a tool could not answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ToolError {
    /// The service is not deployed or not configured.
    #[error("not available: {0}")]
    NotConfigured(String),
    /// The service did not answer in time, refused the connection or failed.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// The service answered that there is nothing (e.g. the vehicle is not assessed).
    #[error("not found: {0}")]
    NotFound(String),
    /// The call itself was wrong (bad arguments).
    #[error("bad arguments: {0}")]
    BadArguments(String),
}

/// A component's current health as the health service reports it.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct ComponentSnapshot {
    /// The component's health.
    #[serde(flatten)]
    pub health: ComponentHealth,
    /// Recent distance per day, km.
    #[serde(default)]
    pub daily_km: Option<f64>,
}

/// A vehicle's current health (for manual requests).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct VehicleSnapshot {
    /// Organization.
    pub org_id: String,
    /// Recent distance per day, km.
    #[serde(default)]
    pub daily_km: Option<f64>,
    /// Odometer, km.
    #[serde(default)]
    pub odometer_km: Option<f64>,
    /// Every component.
    pub components: Vec<ComponentHealth>,
}

/// The tools of one worker conversation.
#[derive(Clone)]
pub struct Toolbox {
    health: Arc<dyn HealthTool>,
    scheduling: Option<SchedulingClient>,
    warranty: Option<WarrantyClient>,
}

impl std::fmt::Debug for Toolbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Toolbox")
            .field("scheduling", &self.scheduling.is_some())
            .field("warranty", &self.warranty.is_some())
            .finish_non_exhaustive()
    }
}

/// Tool names.
pub const COMPONENT_HEALTH: &str = "get_component_health";
/// Tool names.
pub const HEALTH_HISTORY: &str = "get_health_history";
/// Tool names.
pub const LOOKUP_DTC: &str = "lookup_dtc";
/// Tool names.
pub const OPEN_APPOINTMENTS: &str = "get_open_appointments";
/// Tool names.
pub const BOOKING_OPTIONS: &str = "get_booking_options";
/// Tool names.
pub const CLAIM_HISTORY: &str = "get_warranty_claims";

impl Toolbox {
    /// Tools over `health`; scheduling and warranty are added when deployed.
    pub fn new(health: Arc<dyn HealthTool>) -> Self {
        Self {
            health,
            scheduling: None,
            warranty: None,
        }
    }

    /// With the scheduling service's tools, when it is deployed.
    #[must_use]
    pub fn with_scheduling(mut self, scheduling: Option<SchedulingClient>) -> Self {
        self.scheduling = scheduling;
        self
    }

    /// With the warranty service's tools, when it is deployed.
    #[must_use]
    pub fn with_warranty(mut self, warranty: Option<WarrantyClient>) -> Self {
        self.warranty = warranty;
        self
    }

    /// The health tool.
    pub fn health(&self) -> &dyn HealthTool {
        self.health.as_ref()
    }

    /// The tool definitions in the chat-completions `tools` format. The vehicle and
    /// component are those of the case: a model cannot look at other vehicles.
    pub fn definitions() -> Value {
        json!([
            {"type": "function", "function": {
                "name": COMPONENT_HEALTH,
                "description": "Current health of the case's component from the health service: score, band, remaining useful life (days, km), confidence and the indicator factors behind them.",
                "parameters": {"type": "object", "properties": {}, "additionalProperties": false}
            }},
            {"type": "function", "function": {
                "name": HEALTH_HISTORY,
                "description": "The case component's health over the last days (daily average and minimum score and RUL), to see how fast it degrades.",
                "parameters": {"type": "object", "properties": {
                    "days": {"type": "integer", "minimum": 1, "maximum": 28, "description": "How many days back (default 14)"}
                }, "additionalProperties": false}
            }},
            {"type": "function", "function": {
                "name": LOOKUP_DTC,
                "description": "Meaning of a diagnostic trouble code: an SAE J2012 code such as P20EE, or a J1939 code written `SPN 3364 FMI 18`.",
                "parameters": {"type": "object", "properties": {
                    "code": {"type": "string"}
                }, "required": ["code"], "additionalProperties": false}
            }},
            {"type": "function", "function": {
                "name": OPEN_APPOINTMENTS,
                "description": "The vehicle's open workshop appointments (to avoid booking twice).",
                "parameters": {"type": "object", "properties": {}, "additionalProperties": false}
            }},
            {"type": "function", "function": {
                "name": BOOKING_OPTIONS,
                "description": "What the workshops could book now for the case's component: the work (title, duration, parts) and up to three slots with center, start and whether the parts are in stock. Nothing is reserved. Use it to see whether the work fits the urgency window.",
                "parameters": {"type": "object", "properties": {
                    "severity": {"type": "string", "enum": ["low", "medium", "high", "critical"], "description": "The severity to price the work at (picks inspection, repair or emergency repair; default medium)"},
                    "within_days": {"type": "integer", "minimum": 0, "maximum": 90, "description": "Days until the work is due (default 7)"}
                }, "additionalProperties": false}
            }},
            {"type": "function", "function": {
                "name": CLAIM_HISTORY,
                "description": "The vehicle's warranty claims, newest first: component, status, failure date, odometer and description. A recent claim on the same component suggests a repeat failure or a repair that did not hold.",
                "parameters": {"type": "object", "properties": {}, "additionalProperties": false}
            }}
        ])
    }

    /// Runs tool `name` with JSON `arguments` for `case`; returns the content for the
    /// model and the call's record. Never fails: a failing tool answers
    /// `{"available": false, "error": …}`.
    pub async fn call(&self, name: &str, arguments: &str, case: &Case) -> (Value, ToolCall) {
        let started = Instant::now();
        let args: Value = serde_json::from_str(if arguments.trim().is_empty() {
            "{}"
        } else {
            arguments
        })
        .unwrap_or_else(|_| json!({"_unparsed": arguments}));
        let result = self.run(name, &args, case).await;
        let (content, ok, error) = match result {
            Ok(v) => (v, true, None),
            Err(e) => (
                json!({"available": false, "error": e.to_string()}),
                false,
                Some(e.to_string()),
            ),
        };
        let record = ToolCall {
            tool: name.to_owned(),
            arguments: args,
            ok,
            error,
            latency_ms: started.elapsed().as_millis() as u64,
        };
        metrics::counter!("agent_tool_calls_total", "tool" => name.to_owned(), "ok" => ok.to_string())
            .increment(1);
        (content, record)
    }

    async fn run(&self, name: &str, args: &Value, case: &Case) -> Result<Value, ToolError> {
        if args.get("_unparsed").is_some() {
            return Err(ToolError::BadArguments(
                "arguments are not a JSON object".to_owned(),
            ));
        }
        match name {
            COMPONENT_HEALTH => {
                let s = self
                    .health
                    .component(&case.vehicle_id, case.component)
                    .await?;
                serde_json::to_value(s).map_err(|e| ToolError::Unavailable(e.to_string()))
            }
            HEALTH_HISTORY => {
                let days = args
                    .get("days")
                    .and_then(Value::as_u64)
                    .unwrap_or(14)
                    .clamp(1, 28);
                self.health
                    .history(&case.vehicle_id, case.component, days as u32)
                    .await
            }
            LOOKUP_DTC => {
                let code = args
                    .get("code")
                    .and_then(Value::as_str)
                    .ok_or_else(|| ToolError::BadArguments("`code` is required".to_owned()))?;
                let dtc = dtc::parse(code).ok_or_else(|| {
                    ToolError::BadArguments(format!(
                        "{code:?} is neither a J2012 code (P0217) nor `SPN n FMI m`"
                    ))
                })?;
                serde_json::to_value(dtc::explain(&dtc))
                    .map_err(|e| ToolError::Unavailable(e.to_string()))
            }
            OPEN_APPOINTMENTS => {
                self.scheduling()?
                    .open_appointments(&case.org_id, &case.vehicle_id)
                    .await
            }
            BOOKING_OPTIONS => {
                let (severity, within_days) = booking_arguments(args)?;
                self.scheduling()?
                    .booking_options(
                        &case.org_id,
                        &case.vehicle_id,
                        case.component,
                        severity,
                        within_days,
                    )
                    .await
            }
            CLAIM_HISTORY => match &self.warranty {
                Some(w) => w.claim_history(&case.org_id, &case.vehicle_id).await,
                None => Err(ToolError::NotConfigured(
                    "the warranty service is not deployed; the claim history is unknown".to_owned(),
                )),
            },
            other => Err(ToolError::BadArguments(format!("unknown tool {other:?}"))),
        }
    }

    fn scheduling(&self) -> Result<&SchedulingClient, ToolError> {
        self.scheduling.as_ref().ok_or_else(|| {
            ToolError::NotConfigured(
                "the scheduling service is not deployed; assume no open appointment and no known capacity"
                    .to_owned(),
            )
        })
    }

    /// Completes a case that lacks factors (changed events, manual requests) with the
    /// component's current health; records the call. A down health service leaves the
    /// case as it is, marked [`crate::domain::HealthSource::Unavailable`].
    pub async fn complete(&self, case: &mut Case) -> Option<ToolCall> {
        if !case.needs_health() {
            return None;
        }
        let started = Instant::now();
        let result = self
            .health
            .component(&case.vehicle_id, case.component)
            .await;
        let (ok, error) = match result {
            Ok(s) => {
                case.enrich(&s.health, s.daily_km, None);
                (true, None)
            }
            Err(e) => {
                case.health_source = crate::domain::HealthSource::Unavailable {
                    reason: e.to_string(),
                };
                (false, Some(e.to_string()))
            }
        };
        metrics::counter!("agent_tool_calls_total", "tool" => COMPONENT_HEALTH, "ok" => ok.to_string())
            .increment(1);
        Some(ToolCall {
            tool: COMPONENT_HEALTH.to_owned(),
            arguments: json!({"vehicle_id": case.vehicle_id, "component": case.component.as_str()}),
            ok,
            error,
            latency_ms: started.elapsed().as_millis() as u64,
        })
    }
}

/// The `severity` (default medium) and `within_days` (default 7, at most 90) of a
/// booking-options call.
fn booking_arguments(args: &Value) -> Result<(Severity, u32), ToolError> {
    let severity = match args.get("severity") {
        None | Some(Value::Null) => Severity::Medium,
        Some(v) => serde_json::from_value(v.clone()).map_err(|_| {
            ToolError::BadArguments(format!(
                "`severity` {v} is not low, medium, high or critical"
            ))
        })?,
    };
    let within_days = match args.get("within_days") {
        None | Some(Value::Null) => 7,
        Some(v) => v.as_u64().filter(|d| *d <= 90).ok_or_else(|| {
            ToolError::BadArguments(format!("`within_days` {v} is not a whole number 0 to 90"))
        })? as u32,
    };
    Ok((severity, within_days))
}

/// A health tool answering from fixed data (benchmarks and offline runs): the
/// component's health as given, no history.
#[derive(Debug, Clone, Default)]
pub struct FixedHealth {
    /// Per (vehicle, component), what `component` answers.
    pub snapshots: std::collections::HashMap<(String, Component), ComponentSnapshot>,
}

#[async_trait::async_trait]
impl HealthTool for FixedHealth {
    async fn component(
        &self,
        vehicle_id: &str,
        c: Component,
    ) -> Result<ComponentSnapshot, ToolError> {
        self.snapshots
            .get(&(vehicle_id.to_owned(), c))
            .cloned()
            .ok_or_else(|| {
                ToolError::NotFound(format!("no {} health for {vehicle_id}", c.as_str()))
            })
    }

    async fn history(
        &self,
        _vehicle_id: &str,
        _c: Component,
        _days: u32,
    ) -> Result<Value, ToolError> {
        Err(ToolError::NotConfigured(
            "no history in offline mode".to_owned(),
        ))
    }

    async fn vehicle(&self, vehicle_id: &str) -> Result<VehicleSnapshot, ToolError> {
        Err(ToolError::NotFound(format!(
            "no vehicle {vehicle_id} in offline mode"
        )))
    }
}
