//! Warranty: claims filed over REST, checked against coverage, the vehicle's own
//! telemetry and a vector index of past claims, decided with an evidence pack.

pub mod app;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod events;
pub mod openapi;
pub mod pipeline;
pub mod routes;
pub mod similar;
pub mod state;
pub mod storage;

pub use app::{Application, build};
pub use config::Config;
