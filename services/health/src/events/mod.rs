//! Consuming and producing events around the [`crate::pipeline`]: the [`consumer`] of
//! `vehicle.telemetry.received`, the [`transfers`] of vehicles between organizations,
//! the [`repairs`] that reset serviced components, and the periodic [`maintenance`]
//! (pruning, deferred snapshots).

pub mod consumer;
pub mod maintenance;
pub mod repairs;
pub mod transfers;

pub use consumer::{GROUP, TelemetryConsumer};
pub use repairs::{REPAIRS_GROUP, RepairConsumer};
pub use transfers::TransferConsumer;
