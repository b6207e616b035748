//! Pure scheduling logic: no HTTP, database or Redis here.

pub mod appointment;
pub mod center;
pub mod optimizer;
