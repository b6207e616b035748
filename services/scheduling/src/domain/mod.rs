//! Pure scheduling logic: no HTTP, database or Redis here.

pub mod appointment;
pub mod booking;
pub mod calendar;
pub mod catalog;
pub mod center;
pub mod job;
pub mod maintenance_plan;
pub mod optimizer;
pub mod proposal;
pub mod replan;
pub mod shifts;
