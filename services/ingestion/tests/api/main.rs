//! Ingestion's integration tests: one binary, the real app on port 0, a fresh database
//! and a unique Redis prefix per test.

// A scenario test reads top to bottom like the story it checks; the ~80-line limit
// on functions is for the code under test.
#![allow(clippy::too_many_lines)]
// Test helpers outside #[test] functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod audit;
mod backfill;
mod batch_id;
mod device_keys;
mod durability;
mod failover;
mod helpers;
mod history;
mod hostile;
mod mqtt;
mod openapi;
mod partitions;
mod rbac;
mod reset;
mod telemetry;
mod tenancy;
