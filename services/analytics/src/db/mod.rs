//! SQL with bound parameters, one module per table group.
pub mod metrics;
pub mod reports;
