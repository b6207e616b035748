//! The alert service's integration tests: one binary, the real app on port 0, a fresh
//! database and a unique Redis prefix per test, real Postgres and Redis, and the real
//! `devinbox` receivers as a separate process (an SMTP server and the SMS, push and
//! webhook endpoints). `e2e` runs the whole platform as processes.

// A scenario test reads top to bottom like the story it checks; the ~80-line limit
// on functions is for the code under test.
#![allow(clippy::too_many_lines)]
// Test helpers outside #[test] functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod appointments;
mod claims;
mod delivery;
mod e2e;
mod e2e_claim;
mod e2e_repair;
mod e2e_review;
mod escalation;
mod feed;
mod helpers;
mod hostile;
mod inbox;
mod openapi;
mod planning;
mod rbac;
mod rest;
mod review;
mod staleness;
mod tenancy;
