//! Consuming events: the [`consumer`] folding decisions, escalations and critical
//! components into alerts; [`appointments`], which turns the scheduling service's
//! bookings, cancellations and proposals into email notices; [`liveness`], which tracks
//! when each vehicle last reported; and the [`feed`] of the service's own events for the in-app live feed.

pub mod appointments;
pub mod consumer;
pub mod feed;
pub mod liveness;

pub use consumer::{AlertConsumer, EVENT_TYPES, GROUP};
