//! The service's work between the routes, the events and the database: booking,
//! maintenance plans, vehicle facts from the health service.

pub mod booking;
pub mod maintenance;
pub mod vehicles;
pub mod announce;
pub mod lifecycle;
pub mod replan;
