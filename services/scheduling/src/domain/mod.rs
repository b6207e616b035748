//! Pure scheduling logic: no HTTP, database or Redis here.

pub mod booking;
pub mod calendar;
pub mod catalog;
pub mod maintenance_plan;
pub mod optimizer;
