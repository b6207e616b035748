//! Consuming and producing events around the [`crate::pipeline`]: the [`consumer`] of
//! `vehicle.telemetry.received`, the [`transfers`] of vehicles between organizations,
//! and the periodic [`maintenance`] (pruning, deferred snapshots).

pub mod consumer;
pub mod maintenance;
pub mod transfers;

pub use consumer::{GROUP, TelemetryConsumer};
pub use transfers::TransferConsumer;
