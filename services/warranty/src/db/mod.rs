//! SQL of the service's tables (bound parameters only).

pub mod attempts;
pub mod claims;
pub mod contracts;
pub mod documents;
pub mod history;
