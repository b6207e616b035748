//! Event publishing (the intake hand-off) and consuming (the audit writer).

pub mod audit;
pub mod intake;

/// Stream entry field holding the raw input of adapter protocols.
pub const FIELD_RAW: &str = "r";
