//! Device API keys: generation, and the cached verification on the hot path.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use rand::RngCore;
use sha2::{Digest, Sha256};
use shared_runtime::auth::AuthError;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;

/// Header devices send their key in.
pub const API_KEY_HEADER: &str = "x-api-key";

/// How long a verified key (or a refusal) is trusted before the database is asked
/// again: revocation takes effect within this time.
const CACHE_TTL: Duration = Duration::from_secs(30);
/// Bound on cached entries, so a flood of random keys cannot grow memory.
const CACHE_MAX: usize = 100_000;

/// An authenticated device key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Key id.
    pub key_id: Uuid,
    /// Organization the key belongs to.
    pub org_id: String,
    /// Vehicles the key may report for; empty = any vehicle of the organization.
    pub vehicle_ids: Vec<String>,
}

impl Device {
    /// Whether this key may report readings of `vehicle_id`.
    pub fn allows(&self, vehicle_id: &str) -> bool {
        self.vehicle_ids.is_empty() || self.vehicle_ids.iter().any(|v| v == vehicle_id)
    }
}

/// A new key: the secret (shown once) and what is stored.
#[derive(Debug)]
pub struct NewKey {
    /// The key to hand to the device, `fk_` + 40 hex characters.
    pub secret: String,
    /// Its first characters, stored for display.
    pub prefix: String,
    /// SHA-256 of the key.
    pub hash: [u8; 32],
}

/// Generates a 160-bit random key.
pub fn generate_key() -> NewKey {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("fk_{}", hex::encode(bytes));
    NewKey {
        prefix: secret[..10].to_owned(),
        hash: hash_key(&secret),
        secret,
    }
}

/// SHA-256 of a key.
pub fn hash_key(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

#[derive(Clone)]
struct Cached {
    device: Option<Arc<Device>>,
    at: Instant,
}

/// Verifies keys against `device_keys`, caching answers for [`CACHE_TTL`].
pub struct DeviceKeys {
    pool: PgPool,
    cache: RwLock<HashMap<[u8; 32], Cached>>,
}

impl std::fmt::Debug for DeviceKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceKeys").finish_non_exhaustive()
    }
}

impl DeviceKeys {
    /// A verifier over the service's database.
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// The device a key belongs to, or why it is refused.
    pub async fn authenticate(&self, key: &str) -> Result<Arc<Device>, AuthError> {
        let hash = hash_key(key);
        if let Some(cached) = self.cached(&hash) {
            return cached.device.ok_or_else(refused);
        }
        let device = db::device_keys::find_active(&self.pool, &hash)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "device key lookup failed");
                AuthError::Invalid("device key could not be verified; retry".to_owned())
            })?
            .map(Arc::new);
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(
            hash,
            Cached {
                device: device.clone(),
                at: Instant::now(),
            },
        );
        device.ok_or_else(refused)
    }

    /// Forgets every cached answer (after a key is revoked).
    pub fn invalidate(&self) {
        self.cache
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// A fresh cached answer (a device, or a refusal), if there is one.
    fn cached(&self, hash: &[u8; 32]) -> Option<Cached> {
        let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
        cache
            .get(hash)
            .filter(|c| c.at.elapsed() < CACHE_TTL)
            .cloned()
    }
}

fn refused() -> AuthError {
    AuthError::Invalid("unknown or revoked device key".to_owned())
}

/// Extractor for a device authenticated by its `x-api-key` header.
#[derive(Debug, Clone)]
pub struct DeviceAuth(pub Arc<Device>);

impl<S> FromRequestParts<S> for DeviceAuth
where
    Arc<DeviceKeys>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let key = parts
            .headers
            .get(API_KEY_HEADER)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                AuthError::Invalid(format!(
                    "missing device key: send `{API_KEY_HEADER}: <key>`"
                ))
            })?;
        Arc::<DeviceKeys>::from_ref(state)
            .authenticate(key.trim())
            .await
            .map(DeviceAuth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_distinct_and_hash_stably() {
        let a = generate_key();
        let b = generate_key();
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.secret.len(), 43);
        assert!(a.secret.starts_with(&a.prefix));
        assert_eq!(hash_key(&a.secret), a.hash);
        let d = Device {
            key_id: Uuid::nil(),
            org_id: "o".to_owned(),
            vehicle_ids: vec!["V1".to_owned()],
        };
        assert!(d.allows("V1") && !d.allows("V2"));
    }
}
