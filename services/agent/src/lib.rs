//! The agent service: consumes `component.degraded`, `component.critical` and
//! `vehicle.health.changed`; a master orchestrator classifies each event and routes it
//! to a worker agent (powertrain, aftertreatment, brakes, electrical, transmission,
//! generic), which diagnoses it with tools (health history, trouble code meanings,
//! open appointments) through an OpenAI-compatible model, or with the deterministic
//! rule-based diagnoser when no model is configured or the model fails. Exactly one
//! decision per triggering event goes out as `agent.decision.made` (and
//! `agent.escalation` under 0.7 confidence) through the outbox. REST: manual
//! orchestration, decision history, one decision, agent status.

// `mul_add` is a libm call without FMA and buys no precision the decisions need (as in
// `models`).
#![allow(clippy::suboptimal_flops)]

pub mod app;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod events;
pub mod llm;
pub mod openapi;
pub mod pipeline;
pub mod routes;
pub mod state;
pub mod tools;

pub use app::{Application, build};
pub use config::Config;
