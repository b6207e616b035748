//! Warranty settings from the environment.

use std::path::PathBuf;
use std::time::Duration;

use shared_runtime::config::{self, CommonConfig, ConfigError};

/// Service port from docs/domain.md.
pub const DEFAULT_PORT: u16 = 8006;

/// Everything the warranty service reads from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Settings every service shares.
    pub common: CommonConfig,
    /// `WARRANTY_DATA_DIR`: attachments and the embedded vector index (default
    /// `./.run/warranty`).
    pub data_dir: PathBuf,
    /// `WARRANTY_HEALTH_URL`: the health service (the vehicle's own record).
    pub health_url: Option<String>,
    /// `WARRANTY_INGESTION_URL`: the ingestion service (readings around the failure day).
    pub ingestion_url: Option<String>,
    /// `WARRANTY_ALERT_URL`: the alert service (warnings raised and acknowledged).
    pub alert_url: Option<String>,
    /// `WARRANTY_SCHEDULING_URL`: the scheduling service (service booked or not).
    pub scheduling_url: Option<String>,
    /// `WARRANTY_LOOKUP_TIMEOUT_MS`: per call to another service (default 2000).
    pub lookup_timeout: Duration,
    /// `WARRANTY_MAX_ATTACHMENT_BYTES`: largest document accepted (default 10 MiB).
    pub max_attachment_bytes: usize,
    /// `QDRANT_URL`: a Qdrant server for the claim index; unset, the embedded index in
    /// `data_dir` is used.
    pub qdrant_url: Option<String>,
    /// `WARRANTY_INBOX_RETENTION_DAYS`: how long applied-event marks are kept (14).
    pub inbox_retention_days: i64,
    /// `WARRANTY_RETRY_SECS`: a claim still `submitted` or `validating` this long after
    /// its last touch is decided again; also how often that is looked for (default 60).
    pub retry_after: Duration,
    /// `WARRANTY_RETRY_MAX_ATTEMPTS`: decision attempts before a claim goes to a
    /// reviewer with the last failure as its reason (default 5).
    pub retry_max_attempts: u32,
}

fn optional_url(name: &str) -> Result<Option<String>, ConfigError> {
    let v: String = config::or(name, String::new())?;
    Ok(Some(v).filter(|s| !s.is_empty()))
}

impl Config {
    /// Reads the configuration; the error names the offending variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            common: CommonConfig::from_env(DEFAULT_PORT)?,
            data_dir: PathBuf::from(config::or(
                "WARRANTY_DATA_DIR",
                "./.run/warranty".to_owned(),
            )?),
            health_url: optional_url("WARRANTY_HEALTH_URL")?,
            ingestion_url: optional_url("WARRANTY_INGESTION_URL")?,
            alert_url: optional_url("WARRANTY_ALERT_URL")?,
            scheduling_url: optional_url("WARRANTY_SCHEDULING_URL")?,
            lookup_timeout: config::millis("WARRANTY_LOOKUP_TIMEOUT_MS", 2_000)?,
            max_attachment_bytes: config::positive("WARRANTY_MAX_ATTACHMENT_BYTES", 10 << 20)?,
            qdrant_url: optional_url("QDRANT_URL")?,
            inbox_retention_days: config::or("WARRANTY_INBOX_RETENTION_DAYS", 14)?,
            retry_after: Duration::from_secs(config::positive("WARRANTY_RETRY_SECS", 60)?),
            retry_max_attempts: config::positive("WARRANTY_RETRY_MAX_ATTEMPTS", 5)?,
        })
    }
}
