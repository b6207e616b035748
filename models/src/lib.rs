//! The health engine the platform's services link. Models are trained in pure Rust by
//! the `models-training` crate (`train-health`) and shipped as versioned artifacts in
//! `artifacts/` that this crate loads.
//!
//! - [`health`]: vehicle component health and remaining useful life, used by the
//!   health service and scored by `detection-bench` (in `models-training`).
//! - [`metrics`]: scoring functions shared by the models (RMSE, PHM08 score).
//!
//! This crate must not depend on the simulator (fleetsim), directly or not:
//! `tests/no_simulator.rs` fails if it does (issue 14).

// `f64::mul_add` compiles to a libm call unless the target has FMA enabled, which is
// several times slower than a multiply and an add; the engine runs on every reading
// and needs no extra precision.
#![allow(clippy::suboptimal_flops)]

pub mod health;
pub mod metrics;
