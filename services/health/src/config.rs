//! Health settings from the environment.

use std::path::PathBuf;
use std::time::Duration;

use shared_runtime::config::{self, CommonConfig, ConfigError};

/// Service port from docs/domain.md.
pub const DEFAULT_PORT: u16 = 8002;

/// Everything the health service reads from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Settings every service shares.
    pub common: CommonConfig,
    /// `HEALTH_BATCH`: telemetry events handled per batch and transaction (default 5,000:
    /// a consumer that has fallen behind folds several readings per vehicle per
    /// transaction; caught up, batches hold what arrived since the last one).
    pub batch: usize,
    /// `HEALTH_COMPUTED_EVERY_S`: `vehicle.health.computed` is published at most this
    /// often per vehicle (wall clock), or at once when a transition happened (default 60).
    pub computed_every: Duration,
    /// `HEALTH_MODEL_PATH`: a RUL model artifact to use instead of the bundled one.
    pub model_path: Option<PathBuf>,
    /// `HEALTH_RECLAIM_IDLE_MS`: telemetry entries pending this long on a dead consumer
    /// are taken over (default 30,000). Must exceed the time to handle one batch.
    pub reclaim_idle: Duration,
    /// `HEALTH_CACHE_VEHICLES`: vehicle states kept decoded in memory (default 20,000;
    /// about 20 KB each).
    pub cache_vehicles: usize,
    /// `HEALTH_MAINTENANCE_EVERY_S`: how often applied-reading marks and old history are
    /// pruned and deferred `vehicle.health.computed` events flushed (default 30).
    pub maintenance_every: Duration,
    /// `HEALTH_HISTORY_RETENTION_DAYS`: health history kept, days (default 365).
    pub history_retention_days: u32,
}

impl Config {
    /// Reads the configuration; the error names the offending variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            common: CommonConfig::from_env(DEFAULT_PORT)?,
            batch: config::positive("HEALTH_BATCH", 5_000)?,
            computed_every: config::secs("HEALTH_COMPUTED_EVERY_S", 60)?,
            model_path: config::or::<String>("HEALTH_MODEL_PATH", String::new())
                .map(|p| (!p.is_empty()).then(|| PathBuf::from(p)))?,
            reclaim_idle: config::millis("HEALTH_RECLAIM_IDLE_MS", 30_000)?,
            cache_vehicles: config::or("HEALTH_CACHE_VEHICLES", 20_000)?,
            maintenance_every: Duration::from_secs(config::positive(
                "HEALTH_MAINTENANCE_EVERY_S",
                30,
            )?),
            history_retention_days: config::positive("HEALTH_HISTORY_RETENTION_DAYS", 365)?,
        })
    }
}
