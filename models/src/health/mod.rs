//! Vehicle component health: from telemetry readings to a score, band, remaining
//! useful life (days and km), confidence and contributing factors per component, and
//! the transitions the health service announces.
//!
//! The pipeline, shared by the health service and the `detection-bench`:
//! 1. [`indicators`]: each reading yields condition indicators, taken only under the
//!    operating conditions where they are informative (oil pressure at warm idle…),
//!    which [`operating`] recognises (cranking, running, warm-up) and [`rest`]
//!    confirms over the hours around a stopped-engine reading. [`evidence`] says what
//!    each component needs: without it, the component is unknown.
//! 2. [`state`]: indicators fold into per-day aggregates (order-free, so late and
//!    out-of-order readings are fine); [`baseline`] learns the vehicle's own healthy
//!    values from its first days.
//! 3. [`damage`]: each day, each component's distance from baseline to its physical
//!    limit (0 healthy, 1 failed), leaving out the days [`plausibility`] finds the
//!    sensor explains (frozen, another unit, beyond physics); [`screen`] finds them,
//!    and the vehicle's days of work, once per assessment.
//! 4. [`rul`]: the damage trend, extrapolated and calibrated by a model learned from
//!    simulated fleets with known failures, tells whether a part degrades; its RUL is
//!    the time the part's learned [`growth`] law, fitted to its history, reaches the
//!    limit; [`score`] maps RUL and damage to 0..1.
//! 5. [`tracker`]: band changes with hysteresis become `vehicle.health.changed`,
//!    `component.degraded` and `component.critical`.
//! 6. [`service`]: a repaired component restarts from a fresh baseline.

pub mod baseline;
pub mod counters;
pub mod damage;
pub mod engine;
pub mod evidence;
pub mod growth;
pub mod indicators;
pub mod interval;
pub mod operating;
pub mod plausibility;
pub mod rest;
pub mod rul;
pub mod score;
pub mod screen;
pub mod service;
pub mod state;
pub mod tracker;
pub mod trend;

pub use engine::{Assessment, CounterAnomaly, CounterNews, Engine};
pub use rul::{ModelError, RulModel};
pub use service::Serviced;
pub use state::{Applied, VehicleState};
pub use tracker::{Reported, Transition};
