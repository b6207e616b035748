//! Consuming telemetry and announcing health: the [`assessor`] (fold, assess, persist,
//! enqueue), the [`consumer`] of `vehicle.telemetry.received`, and the periodic
//! [`maintenance`] (pruning, deferred snapshots).

pub mod assessor;
pub mod consumer;
pub mod maintenance;
pub mod transfers;

pub use assessor::{Assessor, BatchStats, Cause, PRODUCER, Recomputed};
pub use consumer::{GROUP, TelemetryConsumer};
pub use transfers::TransferConsumer;
