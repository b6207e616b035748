//! Scheduling: repair jobs booked into real capacity.
//!
//! - Service centers with opening hours, bays, technicians (skills, shifts, days off)
//!   and parts stock with lead times, managed over REST.
//! - `agent.decision.made` becomes a job: critical work is booked at once at the best
//!   feasible slot within its urgency window; other work gets three options the owner
//!   or fleet manager approves. Postgres exclusion constraints keep every technician,
//!   bay and vehicle to one appointment at a time.
//! - Appointments through their life (reschedule, cancel, no-show, work order, done),
//!   each one an event and an iCalendar file; maintenance plans by distance, engine
//!   hours or time; batch re-planning with the optimizer of `shared/scheduling/SPEC.md`
//!   (`domain::optimizer`, also run by the `schedule-bench` binary).

pub mod app;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod events;
pub mod openapi;
pub mod pipeline;
pub mod routes;
pub mod state;

pub use app::{Application, build};
pub use config::Config;
