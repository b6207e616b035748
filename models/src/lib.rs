//! The health engine the platform's services link. Its model is trained in pure Rust by
//! the `models-training` crate (`train-health`, `calibrate-intervals`) and shipped as a
//! versioned artifact in `artifacts/` that this crate bundles.
//!
//! - [`health`]: vehicle component health and remaining useful life, used by the
//!   health service and scored by `detection-bench` (in `models-training`).
//!
//! This crate must not depend on the simulator (fleetsim), directly or not:
//! `tests/no_simulator.rs` fails if it does (issue 14).

// `f64::mul_add` compiles to a libm call unless the target has FMA enabled, which is
// several times slower than a multiply and an add; the engine runs on every reading
// and needs no extra precision.
#![allow(clippy::suboptimal_flops)]

pub mod health;
