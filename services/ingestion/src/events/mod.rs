//! Consuming: the audit writer (the intake hand-off is `crate::pipeline`).

pub mod audit;

/// Stream entry field holding the raw input of adapter protocols.
pub const FIELD_RAW: &str = "r";
