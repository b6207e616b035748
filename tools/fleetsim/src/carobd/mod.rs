//! Real OBD-II logs of a healthy passenger car (the carOBD dataset, see
//! `data/carobd/SOURCE.md`), laid out as a month of daily use and turned into
//! timestamped readings: canonical ones for the health engine, or OBD-II mode-01 PID
//! requests for ingestion (`fleetsim replay-obd`).

mod logs;
mod month;
pub mod replay;

pub use logs::{Row, Trip, bundled_dir, load_dir};
pub use month::{Sample, month};
