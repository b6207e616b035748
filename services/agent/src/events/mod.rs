//! Consuming health events and recording decisions: the [`consumer`] of
//! `component.degraded`, `component.critical` and `vehicle.health.changed`, and
//! [`record`], which commits a decision with its inbox mark and outbox events (and the
//! review task of an escalated one), [`review`], which commits a person's confirmation
//! or override, and [`overdue`], which escalates reviews left past their window.

pub mod consumer;
pub mod overdue;
pub mod record;
pub mod review;

pub use consumer::{GROUP, HealthEventConsumer};
pub use record::{PRODUCER, Recorder};
