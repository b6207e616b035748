//! The scheduling service's integration tests: one binary, one module per concern.

mod centers;
mod helpers;
mod samples;
