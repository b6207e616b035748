//! Vehicle health: consumes `vehicle.telemetry.received`, keeps each vehicle's rolling
//! state in `health_db`, scores every component with the engine of `models`
//! (score, band, remaining useful life in days and km, confidence, factors), and
//! announces significant changes (`vehicle.health.changed`, `component.degraded`,
//! `component.critical`, throttled `vehicle.health.computed`) through the outbox.
//! REST serves current health, per-component detail, downsampled history, a fleet
//! summary and admin recomputation.

pub mod app;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod events;
pub mod openapi;
pub mod pipeline;
pub mod routes;
pub mod state;

pub use app::{Application, build};
pub use config::Config;
