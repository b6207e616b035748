//! The pure domain of the health service: nothing here does I/O.
//!
//! - [`cache`]: decoded vehicle states kept between batches, validated by version;
//! - [`announce`]: which events an assessment and its transitions make;
//! - [`history`]: validation and planning of history queries (range, bucket, points);
//! - [`component`]: component names in URLs;
//! - [`counters`]: odometer and engine-hours anomalies as events;
//! - [`position`]: the newest GPS fix of a vehicle.

pub mod announce;
pub mod cache;
pub mod component;
pub mod counters;
pub mod history;
pub mod position;
