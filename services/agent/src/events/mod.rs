//! Consuming health events and recording decisions: the [`consumer`] of
//! `component.degraded`, `component.critical` and `vehicle.health.changed`, and
//! [`record`], which commits a decision with its inbox mark and outbox events.

pub mod consumer;
pub mod record;

pub use consumer::{GROUP, HealthEventConsumer};
pub use record::{PRODUCER, Recorder};
