//! Configuration from the environment, with errors that name the variable.

use std::fmt::Display;
use std::str::FromStr;

/// A variable is missing or does not parse.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("environment variable {0} is required but not set")]
    Missing(String),
    /// A variable is set but invalid.
    #[error("environment variable {name}={value:?} is invalid: {reason}")]
    Invalid {
        /// Variable name.
        name: String,
        /// Its value (never a secret: secrets are read with [`secret`]).
        value: String,
        /// Why it is invalid.
        reason: String,
    },
}

fn lookup(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A required variable.
pub fn required<T>(name: &str) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    let raw = lookup(name).ok_or_else(|| ConfigError::Missing(name.to_owned()))?;
    parse(name, raw)
}

/// An optional variable with a default.
pub fn or<T>(name: &str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    lookup(name).map_or(Ok(default), |raw| parse(name, raw))
}

/// An optional duration in milliseconds (`NAME_MS`) with a default.
pub fn millis(name: &str, default_ms: u64) -> Result<std::time::Duration, ConfigError> {
    or(name, default_ms).map(std::time::Duration::from_millis)
}

/// An optional duration in seconds (`NAME_S`) with a default.
pub fn secs(name: &str, default_s: u64) -> Result<std::time::Duration, ConfigError> {
    or(name, default_s).map(std::time::Duration::from_secs)
}

/// An optional comma-separated list of names with a default; `none` is the empty list
/// (an empty variable counts as unset, like everywhere here).
pub fn list(name: &str, default: &[&str]) -> Vec<String> {
    match lookup(name) {
        Some(raw) if raw.trim() == "none" => Vec::new(),
        Some(raw) => raw
            .split(',')
            .map(|g| g.trim().to_owned())
            .filter(|g| !g.is_empty())
            .collect(),
        None => default.iter().map(|&g| g.to_owned()).collect(),
    }
}

/// An optional count that must be at least 1, with a default.
pub fn positive<T>(name: &str, default: T) -> Result<T, ConfigError>
where
    T: FromStr + Display + PartialOrd + From<u8>,
    T::Err: Display,
{
    at_least_one(name, or(name, default)?)
}

fn at_least_one<T: Display + PartialOrd + From<u8>>(
    name: &str,
    value: T,
) -> Result<T, ConfigError> {
    if value < T::from(1) {
        return Err(ConfigError::Invalid {
            name: name.to_owned(),
            value: value.to_string(),
            reason: "must be at least 1".to_owned(),
        });
    }
    Ok(value)
}

/// A required secret; its value never appears in an error or a log.
pub fn secret(name: &str) -> Result<Secret, ConfigError> {
    lookup(name)
        .map(Secret)
        .ok_or_else(|| ConfigError::Missing(name.to_owned()))
}

/// An optional secret; its value never appears in an error or a log.
pub fn optional_secret(name: &str) -> Option<Secret> {
    lookup(name).map(Secret)
}

/// `AUTH_TOKEN_URL` with `SERVICE_CLIENT_ID` and `SERVICE_CLIENT_SECRET`, all or none.
fn service_credentials() -> Result<Option<crate::auth::ServiceCredentials>, ConfigError> {
    let Some(token_url) = lookup("AUTH_TOKEN_URL") else {
        return Ok(None);
    };
    Ok(Some(crate::auth::ServiceCredentials {
        token_url,
        client_id: required("SERVICE_CLIENT_ID")?,
        client_secret: secret("SERVICE_CLIENT_SECRET")?,
    }))
}

fn parse<T>(name: &str, raw: String) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    raw.trim()
        .parse()
        .map_err(|e: T::Err| ConfigError::Invalid {
            name: name.to_owned(),
            reason: e.to_string(),
            value: raw,
        })
}

/// A secret string whose `Debug` does not print it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret value; call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Settings every service shares, read from the environment:
/// `DATABASE_URL`, `REDIS_URL`, `REDIS_PREFIX`, `BIND_ADDR`, `JWT_SECRET`,
/// `REDIS_CLUSTER`, `STREAM_MAX_LEN`, `STREAM_PARTITIONS`, `STREAM_LEASE_TTL_MS`,
/// `DB_MAX_CONNECTIONS`.
#[derive(Debug, Clone)]
pub struct CommonConfig {
    /// Postgres URL of the service's own database.
    pub database_url: Secret,
    /// Redis URL; a comma-separated list of nodes is a Redis Cluster.
    pub redis_url: Secret,
    /// `REDIS_CLUSTER` (default false): `REDIS_URL` is a Redis Cluster node even when it
    /// names one (ADR 0026).
    pub redis_cluster: bool,
    /// Prefix of every Redis key (lets several environments or tests share one Redis).
    pub redis_prefix: String,
    /// Address the HTTP server binds.
    pub bind_addr: std::net::SocketAddr,
    /// `JWT_SECRET`: HMAC key of development tokens (`make up`, tests; ADR 0012).
    /// Leave unset in production: only the issuer's signed tokens are accepted then.
    pub jwt_secret: Option<Secret>,
    /// `AUTH_JWKS_URL`: the analytics service's published keys, e.g.
    /// `http://analytics:8007/.well-known/jwks.json`.
    pub jwks_url: Option<String>,
    /// `AUTH_TOKEN_URL`, `SERVICE_CLIENT_ID`, `SERVICE_CLIENT_SECRET`: this service's
    /// own credentials for calling other services.
    pub service_credentials: Option<crate::auth::ServiceCredentials>,
    /// Approximate maximum length of each stream.
    pub stream_max_len: usize,
    /// `STREAM_PARTITIONS` (default 1): how many partitions each stream has; a vehicle's
    /// events go to one, and a consumer group's instances share them (ADR 0026). Every
    /// service of one deployment must use the same count.
    pub stream_partitions: u32,
    /// `STREAM_LEASE_TTL_MS` (default 5000): how long a partition's lease lasts
    /// without renewal, i.e. how soon a dead instance's partitions move (ADR 0026).
    pub stream_lease_ttl: std::time::Duration,
    /// Postgres pool size.
    pub db_max_connections: u32,
}

impl CommonConfig {
    /// Reads the shared settings; `default_port` is the service's port from docs/domain.md.
    pub fn from_env(default_port: u16) -> Result<Self, ConfigError> {
        Ok(Self {
            database_url: secret("DATABASE_URL")?,
            redis_url: Secret(or("REDIS_URL", "redis://127.0.0.1:6379".to_owned())?),
            redis_cluster: or("REDIS_CLUSTER", false)?,
            redis_prefix: or("REDIS_PREFIX", "fleet:".to_owned())?,
            bind_addr: or("BIND_ADDR", ([0, 0, 0, 0], default_port).into())?,
            jwt_secret: optional_secret("JWT_SECRET"),
            jwks_url: lookup("AUTH_JWKS_URL"),
            service_credentials: service_credentials()?,
            stream_max_len: or("STREAM_MAX_LEN", 1_000_000)?,
            stream_partitions: positive("STREAM_PARTITIONS", 1)?,
            stream_lease_ttl: millis("STREAM_LEASE_TTL_MS", 5_000)?,
            db_max_connections: or("DB_MAX_CONNECTIONS", 16)?,
        })
    }
}

impl CommonConfig {
    /// The key names of this deployment: its prefix and partition count.
    pub fn keys(&self) -> crate::bus::Keys {
        crate::bus::Keys::partitioned(
            self.redis_prefix.clone(),
            self.stream_partitions,
            self.is_cluster(),
        )
    }

    /// Whether Redis is a cluster: `REDIS_CLUSTER`, or several nodes in `REDIS_URL`.
    pub fn is_cluster(&self) -> bool {
        self.redis_cluster || self.redis_url.expose().contains(',')
    }

    /// Where Redis is (fails only on a malformed URL).
    pub fn redis_target(&self) -> Result<crate::redis_conn::RedisTarget, redis::RedisError> {
        crate::redis_conn::RedisTarget::open(self.redis_url.expose(), self.redis_cluster)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The environment cannot be set from tests (unsafe in edition 2024, forbidden
    // here): unset variables give the defaults in their units.
    #[test]
    fn unset_durations_and_counts_give_their_defaults_in_their_units() {
        let wait = millis("CFG_TEST_UNSET_WAIT_MS", 250).unwrap();
        assert_eq!(wait, std::time::Duration::from_millis(250));
        let every = secs("CFG_TEST_UNSET_EVERY_S", 3).unwrap();
        assert_eq!(every, std::time::Duration::from_secs(3));
        assert_eq!(positive::<usize>("CFG_TEST_UNSET_N", 4).unwrap(), 4);
    }

    #[test]
    fn a_zero_count_is_refused_naming_the_variable() {
        let zero = at_least_one("AGENT_BATCH", 0_usize)
            .unwrap_err()
            .to_string();
        assert!(
            zero.contains("AGENT_BATCH=\"0\"") && zero.contains("at least 1"),
            "{zero}"
        );
        assert_eq!(at_least_one("AGENT_BATCH", 1_u64).unwrap(), 1);
    }
}
