//! Decoded vehicle states kept in memory between batches.
//!
//! Every write of a state bumps `vehicles.version`; an entry is used only when its
//! version equals the row's, read under the row lock. So one replica never re-reads a
//! state it wrote, and two replicas (or a recompute racing the consumer) stay correct:
//! whoever finds a stale version reloads from Postgres.
//!
//! An entry is *taken* out while a transaction works on it and put back only after
//! the commit: a rolled-back transaction leaves nothing half-applied in memory.

use std::collections::HashMap;
use std::sync::Mutex;

use models::health::VehicleState;

#[derive(Debug)]
struct Entry {
    version: i64,
    state: VehicleState,
    used: u64,
}

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<String, Entry>,
    tick: u64,
}

/// A bounded map from vehicle id to its decoded state and version.
#[derive(Debug)]
pub struct StateCache {
    inner: Mutex<Inner>,
    capacity: usize,
}

impl StateCache {
    /// A cache holding at most `capacity` vehicles (0 disables it).
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            capacity,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves a consistent map (every operation is a
        // single insert or remove), so a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes the state of `vehicle_id` out of the cache if it is at `version`; a stale
    /// entry is dropped.
    pub fn take(&self, vehicle_id: &str, version: i64) -> Option<VehicleState> {
        let entry = self.lock().map.remove(vehicle_id)?;
        (entry.version == version).then_some(entry.state)
    }

    /// Puts back the state of `vehicle_id` as of `version`, unless a newer one is
    /// already there. Evicts the least recently used tenth when full.
    pub fn put(&self, vehicle_id: String, version: i64, state: VehicleState) {
        if self.capacity == 0 {
            return;
        }
        let mut inner = self.lock();
        if inner
            .map
            .get(&vehicle_id)
            .is_some_and(|e| e.version >= version)
        {
            return;
        }
        inner.tick += 1;
        let used = inner.tick;
        inner.map.insert(
            vehicle_id,
            Entry {
                version,
                state,
                used,
            },
        );
        if inner.map.len() > self.capacity {
            let mut ages: Vec<u64> = inner.map.values().map(|e| e.used).collect();
            let evict = (self.capacity / 10).max(1).min(ages.len());
            let (_, cutoff, _) = ages.select_nth_unstable(evict - 1);
            let cutoff = *cutoff;
            inner.map.retain(|_, e| e.used > cutoff);
        }
    }

    /// Drops every entry (e.g. after the model changed the state format).
    pub fn clear(&self) {
        self.lock().map.clear();
    }

    /// Vehicles held.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_mismatch_misses_and_drops() {
        let cache = StateCache::new(10);
        cache.put("V1".to_owned(), 3, VehicleState::new());
        assert!(cache.take("V1", 4).is_none());
        assert!(cache.is_empty(), "a stale entry is dropped");
        cache.put("V1".to_owned(), 4, VehicleState::new());
        assert!(cache.take("V1", 4).is_some());
        assert!(cache.take("V1", 4).is_none(), "taken out");
    }

    #[test]
    fn an_older_version_does_not_replace_a_newer_one() {
        let cache = StateCache::new(10);
        cache.put("V1".to_owned(), 5, VehicleState::new());
        cache.put("V1".to_owned(), 4, VehicleState::new());
        assert!(cache.take("V1", 5).is_some());
    }

    #[test]
    fn evicts_the_least_recently_used_when_full() {
        let cache = StateCache::new(10);
        for i in 0..11 {
            cache.put(format!("V{i}"), 1, VehicleState::new());
        }
        assert_eq!(cache.len(), 10);
        assert!(cache.take("V0", 1).is_none(), "oldest evicted");
        assert!(cache.take("V10", 1).is_some());
        let none = StateCache::new(0);
        none.put("V1".to_owned(), 1, VehicleState::new());
        assert!(none.is_empty());
    }
}
