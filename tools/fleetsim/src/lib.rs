//! Fleet simulator and ingestion load generator.
//!
//! `simulate` generates realistic, correlated telemetry for a mixed fleet of diesel
//! trucks and petrol cars, injects component degradations with known onset and failure
//! instants, and writes the readings as JSON lines or posts them to ingestion; the
//! ground truth goes to a JSON file for scoring the health service. `load` drives
//! ingestion flat out (or at a fixed rate) and reports throughput and latency. `e2e`
//! measures telemetry-to-email latency through the whole running platform.
//!
//! Layout: [`profile`] and [`vehicle`] describe the fleet and its duty cycles,
//! [`physics`] the signal models, [`degradation`] the failure modes and the truth,
//! [`odometer`] the injected odometer faults and theirs, [`realism`] the realistic
//! profile (random laws, use-driven wear, repairs, sensor faults, variants),
//! [`sample`] the compact reading and its JSON, [`simulate`] the time loop and sinks,
//! [`client`] posting with retries, [`load`] the load generator, [`e2e`] the
//! end-to-end alert latency, [`roster`] the fleet of a run without running it.

// `f64::mul_add` compiles to a libm call unless the target has FMA enabled, which is
// several times slower than a multiply and an add; the simulator evaluates its models
// millions of times and has no use for the extra precision.
#![allow(clippy::suboptimal_flops)]

pub mod carobd;
pub mod client;
pub mod degradation;
pub mod e2e;
pub mod load;
pub mod notify;
pub mod odometer;
pub mod physics;
pub mod profile;
pub mod realism;
pub mod roster;
mod runtime;
pub mod sample;
pub mod simulate;
pub mod vehicle;
