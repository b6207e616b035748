//! The batch maintenance-scheduling problem of `shared/scheduling/SPEC.md`: its instance
//! and solution JSON, an independent feasibility checker (rules R1-R10), the objective,
//! and the optimizer (greedy construction, then large-neighbourhood search).

pub mod check;
mod insert;
pub mod instance;
mod model;
pub mod objective;
pub mod probe;
mod rng;
mod search;
pub mod solution;
mod state;

#[cfg(test)]
mod busy_tests;
#[cfg(test)]
mod fixture;

pub use check::{Rule, Violation, check};
pub use instance::{BusyBlock, Instance, InstanceError};
pub use objective::{capacity_free_bound, objective};
pub use probe::{Candidate, Prober};
pub use search::{SolveOptions, SolveReport, solve};
pub use solution::{Assignment, Solution};
