//! The service's work between the routes, the events and the database.

pub mod record;
