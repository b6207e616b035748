//! Partition leases and the group's membership in Redis (ADR 0026).
//!
//! A partition's lease is the key `{prefix}{pn}lease:{name}` (`name`: the group and a
//! hash of the event types read, [`ConsumerConfig::lease_name`](super::ConsumerConfig::lease_name)) holding the owner's
//! consumer name, set with `SET NX PX ttl`, renewed and released only by its owner
//! (compare-and-set scripts). Instances heartbeat into the sorted set
//! `{prefix}members:{name}` (score: expiry, Redis' clock), so each knows how many are
//! alive and takes its share. Every key is touched alone, so this works on Redis
//! Cluster too.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::aio::ConnectionLike;
use tokio::time::Instant;

use crate::bus::Keys;

/// Renews the lease if this owner still holds it.
const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0";

/// Deletes the lease if this owner still holds it.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0";

/// Records this member alive until now + ttl, forgets the expired, counts the living.
const HEARTBEAT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 10)
return redis.call('ZCARD', KEYS[1])";

/// How long a partition worker may still read and acknowledge: until the lease's
/// expiry as this process last saw it renewed. Shared by the coordinator (which
/// extends it) and the worker (which checks it before every read, claim and ack).
#[derive(Debug, Clone)]
pub(super) struct Fence {
    base: Instant,
    until_ms: Arc<AtomicU64>,
}

impl Fence {
    /// A fence valid until `until`.
    pub(super) fn new(until: Instant) -> Self {
        let fence = Self {
            base: Instant::now(),
            until_ms: Arc::new(AtomicU64::new(0)),
        };
        fence.extend(until);
        fence
    }

    /// Whether the lease is still ours.
    pub(super) fn held(&self) -> bool {
        self.millis(Instant::now()) < self.until_ms.load(Ordering::Acquire)
    }

    /// Moves the deadline to `until`.
    pub(super) fn extend(&self, until: Instant) {
        self.until_ms.store(self.millis(until), Ordering::Release);
    }

    /// Ends it now.
    pub(super) fn revoke(&self) {
        self.until_ms.store(0, Ordering::Release);
    }

    fn millis(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.base).as_millis()).unwrap_or(u64::MAX)
    }
}

/// The lease operations of one instance of one group.
#[derive(Debug, Clone)]
pub(super) struct Leases {
    keys: Keys,
    group: String,
    owner: String,
    ttl: Duration,
}

impl Leases {
    pub(super) fn new(keys: Keys, group: &str, owner: &str, ttl: Duration) -> Self {
        Self {
            keys,
            group: group.to_owned(),
            owner: owner.to_owned(),
            ttl,
        }
    }

    fn key(&self, partition: u32) -> String {
        self.keys
            .partition(partition)
            .partition_key(&format!("lease:{}", self.group))
    }

    fn ttl_ms(&self) -> u64 {
        u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX)
    }

    /// The local deadline of a lease set or renewed by a call sent at `sent`: Redis
    /// started its TTL after that, so this errs on the safe side (less a tenth for
    /// clock drift).
    pub(super) fn deadline(&self, sent: Instant) -> Instant {
        sent + self.ttl - self.ttl / 10
    }

    /// Takes the lease of `partition` if nobody holds it.
    pub(super) async fn acquire<C: ConnectionLike + Send>(
        &self,
        conn: &mut C,
        partition: u32,
    ) -> Result<bool, redis::RedisError> {
        let set: Option<String> = redis::cmd("SET")
            .arg(self.key(partition))
            .arg(&self.owner)
            .arg("NX")
            .arg("PX")
            .arg(self.ttl_ms())
            .query_async(conn)
            .await?;
        Ok(set.is_some())
    }

    /// Extends the lease of `partition`; `false` when it is no longer ours.
    pub(super) async fn renew<C: ConnectionLike + Send>(
        &self,
        conn: &mut C,
        partition: u32,
    ) -> Result<bool, redis::RedisError> {
        let renewed: i64 = redis::Script::new(RENEW)
            .key(self.key(partition))
            .arg(&self.owner)
            .arg(self.ttl_ms())
            .invoke_async(conn)
            .await?;
        Ok(renewed == 1)
    }

    /// Gives the lease of `partition` back (if still ours).
    pub(super) async fn release<C: ConnectionLike + Send>(
        &self,
        conn: &mut C,
        partition: u32,
    ) -> Result<(), redis::RedisError> {
        let _: i64 = redis::Script::new(RELEASE)
            .key(self.key(partition))
            .arg(&self.owner)
            .invoke_async(conn)
            .await?;
        Ok(())
    }

    fn members(&self) -> String {
        self.keys.key(&format!("members:{}", self.group))
    }

    /// Records this instance alive for a TTL; returns how many instances are.
    pub(super) async fn heartbeat<C: ConnectionLike + Send>(
        &self,
        conn: &mut C,
    ) -> Result<u32, redis::RedisError> {
        redis::Script::new(HEARTBEAT)
            .key(self.members())
            .arg(&self.owner)
            .arg(self.ttl_ms())
            .invoke_async(conn)
            .await
    }

    /// Leaves the membership (on a clean stop).
    pub(super) async fn leave<C: ConnectionLike + Send>(
        &self,
        conn: &mut C,
    ) -> Result<(), redis::RedisError> {
        redis::cmd("ZREM")
            .arg(self.members())
            .arg(&self.owner)
            .query_async(conn)
            .await
    }
}
