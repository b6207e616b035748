//! The `simulate` command: the per-vehicle time loop, the fleet-wide time-ordered
//! merge, and the two sinks (JSON lines file, or ingestion over HTTP).
//!
//! Every vehicle has its own random stream (derived from the seed and its index), so a
//! vehicle's readings do not depend on how many other vehicles there are or in which
//! order they are consumed: the file sink and the HTTP sink (which splits vehicles over
//! concurrent shards) produce exactly the same readings.
//!
//! Layout: `fleet` builds the fleet and its truth, `stream` turns vehicles into
//! time-ordered readings, `jsonl` and `post` are the two sinks, `command` the
//! command line.

mod command;
mod fleet;
mod jsonl;
mod post;
mod stream;
#[cfg(test)]
mod testkit;

use chrono::{DateTime, SecondsFormat};

pub use self::command::{SimulateArgs, default_truth_path, run};
pub use self::fleet::{
    SimConfig, build_fleet, build_realistic_fleet, ground_truth, realism_run_truth,
};
pub use self::jsonl::write_jsonl;
pub use self::post::{PostOptions, post_fleet};
pub use self::stream::{Merged, VehicleSim};

/// Largest batch ingestion accepts.
pub const MAX_BATCH: usize = 10_000;

/// What a run produced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Readings generated (written or sent).
    pub readings: u64,
    /// Accepted by ingestion.
    pub accepted: u64,
    /// Duplicates reported by ingestion.
    pub duplicates: u64,
    /// Rejected by ingestion.
    pub rejected: u64,
    /// Given up after retries.
    pub failed: u64,
    /// Readings whose model values had to be clamped into the catalog range.
    pub clamped: u64,
}

/// `t` (Unix seconds) as RFC 3339 to the second, for progress lines.
fn fmt_time(t: i64) -> String {
    DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}
