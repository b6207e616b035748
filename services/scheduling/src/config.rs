//! Scheduling settings from the environment.

use std::time::Duration;

use shared_runtime::config::{self, CommonConfig, ConfigError};

/// Service port from docs/domain.md.
pub const DEFAULT_PORT: u16 = 8005;

/// Everything the scheduling service reads from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Settings every service shares.
    pub common: CommonConfig,
    /// `SCHEDULING_HEALTH_URL`: the health service, for a vehicle's position (travel
    /// distance to a center) and counters (maintenance plans). Unset: unknown positions
    /// (no travel term) and plans by time only.
    pub health_url: Option<String>,
    /// `SCHEDULING_HEALTH_TIMEOUT_MS`: per call to health (default 2000).
    pub health_timeout: Duration,
    /// `SCHEDULING_OPTIMIZE_MS`: time budget of a batch re-plan (default 2000).
    pub optimize_budget: Duration,
    /// `SCHEDULING_PLANS_EVERY_S`: how often maintenance plans are checked against the
    /// counters (default 3600).
    pub plans_every: Duration,
    /// `SCHEDULING_INBOX_RETENTION_DAYS`: how long applied-event marks are kept (14).
    pub inbox_retention_days: i64,
}

impl Config {
    /// Reads the configuration; the error names the offending variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        let health_url: String = config::or("SCHEDULING_HEALTH_URL", String::new())?;
        Ok(Self {
            common: CommonConfig::from_env(DEFAULT_PORT)?,
            health_url: Some(health_url).filter(|s| !s.is_empty()),
            health_timeout: config::millis("SCHEDULING_HEALTH_TIMEOUT_MS", 2_000)?,
            optimize_budget: config::millis("SCHEDULING_OPTIMIZE_MS", 2_000)?,
            plans_every: config::secs("SCHEDULING_PLANS_EVERY_S", 3_600)?,
            inbox_retention_days: config::or("SCHEDULING_INBOX_RETENTION_DAYS", 14)?,
        })
    }
}
