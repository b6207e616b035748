//! The agent service's integration tests: one binary, the real app on port 0, a fresh
//! database and a unique Redis prefix per test, real Postgres and Redis, and a real
//! HTTP server speaking the chat-completions protocol for the model paths.

// A scenario test reads top to bottom like the story it checks; the ~80-line limit
// on functions is for the code under test.
#![allow(clippy::too_many_lines)]
// Test helpers outside #[test] functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod helpers;
mod hostile;
mod llm_server;
mod native;
mod native_server;
mod openapi;
mod pipeline;
mod provider;
mod rbac;
mod rest;
mod review;
mod services;
mod tenancy;
