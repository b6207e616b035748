//! The scheduling service's integration tests: one binary, one module per concern.

mod helpers;
mod samples;
