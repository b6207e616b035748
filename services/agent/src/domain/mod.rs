//! The agent's domain, free of HTTP and SQL: what a case is ([`case`]), the severity
//! rules that bound every decision ([`severity`]), the failure modes and the actions
//! (with their costs) the agent can recommend ([`modes`], [`actions`]), the trouble
//! code table ([`dtc`]), the master orchestrator's routing ([`orchestrator`]), the
//! deterministic rule-based diagnoser ([`rules`]), what a decision calls for
//! ([`disposition`]: alert, plan, monitor) and the decision with the validation of a
//! model's answer ([`decision`]), and a person's review of an escalated decision
//! ([`review`]).

pub mod actions;
pub mod case;
pub mod decision;
pub mod disposition;
pub mod dtc;
pub mod evidence;
pub mod modes;
pub mod orchestrator;
pub mod review;
pub mod rules;
pub mod severity;

pub use case::{Case, HealthSource, Trigger};
pub use decision::{Decision, Draft};
