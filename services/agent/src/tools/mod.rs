//! The worker agents' tools: the vehicle's component health and its history from the
//! health service, trouble code meanings from the bundled table, and open appointments
//! from the scheduling service once it exists. A tool whose service is down answers
//! `{"available": false, "error": …}`: the decision is degraded, never failed.

pub mod health;
pub mod scheduling;

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use shared_schemas::events::{Component, ComponentHealth};

use crate::domain::Case;
use crate::domain::decision::ToolCall;
use crate::domain::dtc;

pub use health::{HealthClient, HealthTool};
pub use scheduling::SchedulingClient;

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
}

impl std::fmt::Debug for Toolbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Toolbox")
            .field("scheduling", &self.scheduling.is_some())
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

impl Toolbox {
    /// Tools over `health` and, when deployed, `scheduling`.
    pub fn new(health: Arc<dyn HealthTool>, scheduling: Option<SchedulingClient>) -> Self {
        Self { health, scheduling }
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
            OPEN_APPOINTMENTS => match &self.scheduling {
                Some(s) => s.open_appointments(&case.vehicle_id).await,
                None => Err(ToolError::NotConfigured(
                    "the scheduling service is not deployed; assume no open appointment".to_owned(),
                )),
            },
            other => Err(ToolError::BadArguments(format!("unknown tool {other:?}"))),
        }
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
