//! Telemetry ingestion: device authentication, protocol adapters (canonical JSON,
//! generic JSON, OBD-II, J1939), validation, durable hand-off to the
//! `vehicle.telemetry.received` stream, and the audit trail in `ingestion_db`.
//!
//! A 2xx answer means every accepted reading of the request is in the Redis stream,
//! exactly once per idempotency key (see `docs/adr/0003-ingestion-durability.md`).

pub mod app;
pub mod backlog;
pub mod config;
pub mod db;
pub mod device_auth;
pub mod domain;
pub mod error;
pub mod events;
pub mod mqtt;
pub mod openapi;
pub mod ownership;
pub mod pipeline;
pub mod routes;
pub mod state;

pub use app::{Application, build};
pub use config::Config;
