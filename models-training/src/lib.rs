//! Training and benchmarks of the platform's models, kept out of the engine crate
//! (`models`) that services link, so that no service depends on the simulator.
//!
//! - [`training`]: trains the health engine's model (`train-health`) on simulated
//!   fleets replayed by [`fleet`]; `detection-bench` scores it on a fleet of another
//!   seed.
//! - [`cmapss`]: RUL regression measured on the public NASA C-MAPSS turbofan benchmark
//!   (`cmapss-bench`), with a loadable artifact.

// As in `models`: `f64::mul_add` is a libm call without FMA, and nothing here needs
// its extra precision.
#![allow(clippy::suboptimal_flops)]

pub mod cmapss;
pub mod fleet;
pub mod training;
