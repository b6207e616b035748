//! Training and benchmarks of the platform's models, kept out of the engine crate
//! (`models`) that the services link, so that no service depends on the simulator or
//! the learners. Models are trained in pure Rust (linfa and other pure-Rust crates; no
//! BLAS, no C/C++, no Python) and written as versioned artifacts: the health engine's
//! into `models/artifacts/`, which `models` bundles.
//!
//! - [`training`]: trains the health engine's model (`train-health`) on simulated
//!   fleets replayed by [`fleet`]; `detection-bench` scores it on a fleet of another
//!   seed, `calibrate-intervals` calibrates its RUL intervals on a third.
//! - [`cmapss`]: RUL regression measured on the public NASA C-MAPSS turbofan benchmark
//!   (`cmapss-bench`), with a loadable artifact.
//! - [`battery`]: the health engine's growth laws and RUL intervals learned on real
//!   run-to-failure data, the NASA Ames Li-ion ageing cells (`battery-bench`).
//! - [`decisions`]: the agent's rule decisions on a replayed fleet of any profile,
//!   scored against every fault of its truth (`detection-bench --profile realistic`).
//! - [`pages`]: the pages (SMS, push) a replayed fleet would send, scored against
//!   the truth (`detection-bench`).
//! - [`metrics`]: scoring functions shared by the models (RMSE, PHM08 score).
//! - [`parallel`]: the ordered thread map the replays, fits and folds share.

// As in `models`: `f64::mul_add` compiles to a libm call unless the target has FMA
// enabled, and nothing here needs its extra precision.
#![allow(clippy::suboptimal_flops)]

pub mod battery;
pub mod cmapss;
pub mod decisions;
pub mod fleet;
pub mod metrics;
pub mod pages;
pub mod parallel;
pub mod training;
