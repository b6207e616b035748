//! Pure scheduling logic: no HTTP, database or Redis here.

pub mod appointment;
pub mod booking;
pub mod calendar;
pub mod catalog;
pub mod center;
pub mod maintenance_plan;
pub mod optimizer;
pub mod job;
pub mod proposal;
pub mod shifts;
pub mod replan;
