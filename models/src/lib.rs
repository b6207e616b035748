//! The platform's learning engine. Models are trained in pure Rust (linfa and other
//! pure-Rust crates; no BLAS, no C/C++, no Python) and shipped as versioned artifacts in
//! `artifacts/` that services load at start.
//!
//! - [`health`]: vehicle component health and remaining useful life, used by the
//!   health service and scored by `detection-bench`; trained by [`training`]
//!   (`train-health`) on simulated fleets replayed by [`fleet`].
//! - [`cmapss`]: RUL regression measured on the public NASA C-MAPSS turbofan benchmark
//!   (`cmapss-bench`), with a loadable artifact.
//! - [`battery`]: the health engine's growth laws and RUL intervals learned on real
//!   run-to-failure data, the NASA Ames Li-ion ageing cells (`battery-bench`).
//! - [`pages`]: the pages (SMS, push) a replayed fleet would send, scored against
//!   the truth (`detection-bench`).
//! - [`metrics`]: scoring functions shared by the models (RMSE, PHM08 score).
//!
//! Everything but [`health`] and [`metrics`] is behind the default `learning` feature;
//! services use the crate without it.

// `f64::mul_add` compiles to a libm call unless the target has FMA enabled, which is
// several times slower than a multiply and an add; the engine runs on every reading
// and needs no extra precision.
#![allow(clippy::suboptimal_flops)]

#[cfg(feature = "learning")]
pub mod battery;
#[cfg(feature = "learning")]
pub mod cmapss;
#[cfg(feature = "learning")]
pub mod decisions;
#[cfg(feature = "learning")]
pub mod fleet;
pub mod health;
pub mod metrics;
#[cfg(feature = "learning")]
pub mod pages;
#[cfg(feature = "learning")]
pub mod parallel;
#[cfg(feature = "learning")]
pub mod training;
