//! The scheduling service's integration tests: one binary, one module per concern.

// A scenario test reads top to bottom like the story it checks; the ~80-line limit
// on functions is for the code under test.
#![allow(clippy::too_many_lines)]
// Test helpers outside #[test] functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod booking;
mod centers;
mod helpers;
mod hostile;
mod ics;
mod maintenance;
mod openapi;
mod options;
mod rbac;
mod replan;
mod review;
mod samples;
mod tenancy;
