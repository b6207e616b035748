//! The service's work between the routes, the events and the database: booking,
//! maintenance plans, vehicle facts from the health service.

pub mod announce;
pub mod booking;
pub mod lifecycle;
pub mod maintenance;
pub mod replan;
pub mod review;
pub mod vehicles;
