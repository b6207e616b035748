//! The warranty service's integration tests: one binary, one module per concern.

// A scenario test reads top to bottom like the story it checks.
#![allow(clippy::too_many_lines)]
// Test helpers unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod claims;
mod contracts;
mod fraud_bench;
mod helpers;
mod hostile;
mod openapi;
mod rbac;
mod retry;
mod tenancy;
