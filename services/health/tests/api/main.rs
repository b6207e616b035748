//! The health service's integration tests: one binary, the real app on port 0, a fresh
//! database and a unique Redis prefix per test, real Postgres and Redis.

// A scenario test reads top to bottom like the story it checks; the ~80-line limit
// on functions is for the code under test.
#![allow(clippy::too_many_lines)]
// Test helpers outside #[test] functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod backlog;
mod counters;
mod helpers;
mod hostile;
mod idempotency;
mod maintenance;
mod openapi;
mod pipeline;
mod rbac;
mod real_car;
mod repairs;
mod rest;
mod restart;
mod scale_out;
mod tenancy;
