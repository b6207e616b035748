//! The thin runtime every service shares: event bus (publisher, consumer groups,
//! transactional outbox, idempotent inbox), configuration from the environment, JSON
//! logs, health and metrics routes, auth verification, graceful shutdown, the service skeleton and
//! test helpers. It holds no domain types (see `docs/adr/0002-shared-runtime-crate.md`).

pub mod auth;
pub mod bus;
pub mod config;
pub mod consumer;
pub mod db;
pub mod http;
pub mod inbox;
pub mod keys;
pub mod openapi;
pub mod outbox;
pub mod pg_copy;
pub mod redis_conn;
pub mod service;
pub mod shutdown;
pub mod telemetry;
#[cfg(feature = "test-helpers")]
pub mod testing;
