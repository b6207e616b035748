//! Consumers of the platform's streams.
pub mod metrics;
