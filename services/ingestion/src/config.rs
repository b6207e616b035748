//! Ingestion settings from the environment.

use std::time::Duration;

use shared_runtime::config::{self, CommonConfig, ConfigError, Secret};

use crate::backlog::BacklogPolicy;
use crate::mqtt::MqttConfig;
use crate::ownership::ClaimPolicy;

/// Service port from docs/domain.md.
pub const DEFAULT_PORT: u16 = 8001;

/// Everything ingestion reads from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Settings every service shares.
    pub common: CommonConfig,
    /// `INGESTION_MAX_FUTURE_S`: readings stamped further ahead are rejected (default 300).
    pub max_future_s: i64,
    /// `INGESTION_MAX_AGE_S`: older readings are rejected (default 30 days).
    pub max_age_s: i64,
    /// `INGESTION_MAX_BATCH`: readings per batch request (default 10,000).
    pub max_batch: usize,
    /// `INGESTION_DEDUPE_TTL_S`: how long an idempotency key is remembered (default 600).
    pub dedupe_ttl_s: u64,
    /// `INGESTION_AUDIT_BATCH`: readings per audit insert (default 1,000).
    pub audit_batch: usize,
    /// `INGESTION_AUDIT_RECLAIM_MS`: audit entries pending this long on a dead consumer
    /// are taken over (default 30,000).
    pub audit_reclaim_ms: u64,
    /// `INGESTION_AUDIT_YIELDS_TO`: consumer groups (comma-separated, `none` for none;
    /// default `health`) that the audit writer's backfill yields to while they fall
    /// behind on live readings (ADR 0020).
    pub audit_yields_to: Vec<String>,
    /// `INGESTION_BOOTSTRAP_DEVICE_KEY`: a device key created at start (development).
    pub bootstrap_device_key: Option<Secret>,
    /// `INGESTION_BOOTSTRAP_ORG`: organization of the bootstrap key (default `dev`).
    pub bootstrap_org: String,
    /// `INGESTION_VEHICLE_CLAIM`: `first_reading` (default; a vehicle nobody holds is
    /// claimed by the key of its first reading) or `registered_only` (readings of
    /// unregistered vehicles are refused).
    pub claim_policy: ClaimPolicy,
    /// Backfill lane and back-pressure: `INGESTION_BACKFILL_AFTER_S`,
    /// `INGESTION_BACKFILL_MAX_BACKLOG`, `INGESTION_BACKLOG_GROUPS`,
    /// `INGESTION_BACKLOG_SAMPLE_MS`, `INGESTION_BACKFILL_RETRY_AFTER_S` (see
    /// [`BacklogPolicy`]).
    pub backfill: BacklogPolicy,
    /// `INGESTION_MQTT_URL` (`mqtt://user:password@host:port`) and the other
    /// `INGESTION_MQTT_*` settings: readings over MQTT (ADR 0024); off when unset.
    pub mqtt: Option<MqttConfig>,
}

impl Config {
    /// Reads the configuration; the error names the offending variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        let common = CommonConfig::from_env(DEFAULT_PORT)?;
        let backfill = backfill_from_env(common.stream_max_len)?;
        Ok(Self {
            common,
            max_future_s: config::or("INGESTION_MAX_FUTURE_S", 300)?,
            max_age_s: config::or("INGESTION_MAX_AGE_S", 30 * 86_400)?,
            max_batch: config::or("INGESTION_MAX_BATCH", 10_000)?,
            dedupe_ttl_s: config::or("INGESTION_DEDUPE_TTL_S", 600)?,
            audit_batch: config::or("INGESTION_AUDIT_BATCH", 1_000)?,
            audit_reclaim_ms: config::or("INGESTION_AUDIT_RECLAIM_MS", 30_000)?,
            audit_yields_to: config::list("INGESTION_AUDIT_YIELDS_TO", &["health"]),
            bootstrap_device_key: config::secret("INGESTION_BOOTSTRAP_DEVICE_KEY").ok(),
            bootstrap_org: config::or("INGESTION_BOOTSTRAP_ORG", "dev".to_owned())?,
            claim_policy: config::or("INGESTION_VEHICLE_CLAIM", ClaimPolicy::FirstReading)?,
            backfill,
            mqtt: MqttConfig::from_env()?,
        })
    }
}

/// The back-pressure settings; telemetry is refused altogether past 80 % of the
/// streams' length unless `INGESTION_STREAM_FULL_AT` says otherwise.
fn backfill_from_env(stream_max_len: usize) -> Result<BacklogPolicy, ConfigError> {
    let default = BacklogPolicy::default();
    let full_at = u64::try_from(stream_max_len).unwrap_or(u64::MAX) / 5 * 4;
    Ok(BacklogPolicy {
        full_at: config::positive("INGESTION_STREAM_FULL_AT", full_at)?,
        after_s: config::positive("INGESTION_BACKFILL_AFTER_S", default.after_s)?,
        max_backlog: config::or("INGESTION_BACKFILL_MAX_BACKLOG", default.max_backlog)?,
        groups: config::list(
            "INGESTION_BACKLOG_GROUPS",
            &default
                .groups
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        ),
        sample_every: Duration::from_millis(config::positive("INGESTION_BACKLOG_SAMPLE_MS", 500)?),
        retry_after_s: config::positive("INGESTION_BACKFILL_RETRY_AFTER_S", default.retry_after_s)?,
    })
}
