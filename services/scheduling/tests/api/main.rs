//! The scheduling service's integration tests: one binary, one module per concern.

mod booking;
mod centers;
mod helpers;
mod ics;
mod replan;
mod samples;
