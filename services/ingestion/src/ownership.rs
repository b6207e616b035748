//! Which organization a reading's vehicle belongs to, on the hot path (ADR 0008).
//!
//! A vehicle belongs to one organization: the one that registered it, or whose device
//! key sent its first accepted reading. A reading for a vehicle of another
//! organization is refused. Owners are cached for [`CACHE_TTL`], so a transfer takes
//! effect on every replica within that time, and a batch costs at most one query for
//! the vehicles not cached.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::db;
use crate::device_auth::Device;

/// How long a vehicle's owner is trusted before the database is asked again.
const CACHE_TTL: Duration = Duration::from_secs(30);
/// Bound on cached vehicles.
const CACHE_MAX: usize = 200_000;

/// What happens to a reading for a vehicle no organization holds yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimPolicy {
    /// The sending key's organization claims it (default: devices work unregistered).
    FirstReading,
    /// It is refused until a fleet manager or admin registers it.
    RegisteredOnly,
}

impl std::str::FromStr for ClaimPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "first_reading" => Ok(Self::FirstReading),
            "registered_only" => Ok(Self::RegisteredOnly),
            other => Err(format!(
                "unknown claim policy {other:?}; expected first_reading or registered_only"
            )),
        }
    }
}

/// The vehicle registry as the telemetry routes see it.
pub struct Owners {
    pool: PgPool,
    policy: ClaimPolicy,
    cache: RwLock<HashMap<String, (Arc<str>, Instant)>>,
}

impl std::fmt::Debug for Owners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Owners")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Owners {
    /// A registry over the service's database.
    pub fn new(pool: PgPool, policy: ClaimPolicy) -> Self {
        Self {
            pool,
            policy,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// Which of `vehicle_ids` (sorted, distinct) belong to `device`'s organization,
    /// claiming unheld ones for it when the policy allows: one flag per id, in order.
    /// Cached owners cost a lookup and no allocation (this runs for every request);
    /// the rest one query.
    pub async fn belong(
        &self,
        vehicle_ids: &[&str],
        device: &Device,
    ) -> Result<Vec<bool>, sqlx::Error> {
        let mut mine = vec![false; vehicle_ids.len()];
        let mut missing = Vec::new();
        {
            let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
            for (i, id) in vehicle_ids.iter().enumerate() {
                match cache.get(*id).filter(|(_, at)| at.elapsed() < CACHE_TTL) {
                    Some((org, _)) => mine[i] = **org == *device.org_id,
                    None => missing.push(i),
                }
            }
        }
        if missing.is_empty() {
            return Ok(mine);
        }
        let ids: Vec<&str> = missing.iter().map(|&i| vehicle_ids[i]).collect();
        let claimant = format!("device-key:{}", device.key_id);
        let claim = (self.policy == ClaimPolicy::FirstReading)
            .then_some((device.org_id.as_str(), claimant.as_str()));
        let found = db::vehicles::owners(&self.pool, &ids, claim).await?;
        let now = Instant::now();
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        if cache.len() + found.len() > CACHE_MAX {
            cache.clear();
        }
        for (vehicle, org) in found {
            if let Ok(i) = vehicle_ids.binary_search(&vehicle.as_str()) {
                mine[i] = org == device.org_id;
            }
            cache.insert(vehicle, (Arc::from(org), now));
        }
        Ok(mine)
    }

    /// Forgets a vehicle's cached owner (after a transfer on this replica).
    pub fn forget(&self, vehicle_id: &str) {
        self.cache
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(vehicle_id);
    }
}
