//! Consuming events: the [`consumer`] folding decisions, escalations and critical
//! components into alerts; the [`notices`] consumer, which turns the scheduling
//! service's [`appointments`] and the warranty service's [`claims`] into email notices;
//! [`liveness`], which tracks when each vehicle last reported; and the [`feed`] of the
//! service's own events for the in-app live feed.

pub mod appointments;
pub mod claims;
pub mod consumer;
pub mod feed;
pub mod liveness;
pub mod notices;

pub use consumer::{AlertConsumer, EVENT_TYPES, GROUP};
