//! The service's work between the routes, the events and the database.

pub mod analysis;
pub mod announce;
pub mod claims;
pub mod record;
pub mod retry;
pub mod review;
