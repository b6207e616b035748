//! Redis key names, with the partition dimension (ADR 0026).
//!
//! With one partition on one Redis (the default) the names are those of ADR 0001 and
//! 0020: `{prefix}stream:{type}`, `{prefix}stream:{type}:backfill`,
//! `{prefix}dead-letter:{group}`. With more partitions, or against Redis Cluster, every
//! key of partition `n` carries the hash tag `{pn}`: `{prefix}{p3}stream:{type}`, so all
//! of one partition's streams, its dead letters and its lease live on one cluster slot
//! and one `XREADGROUP`, one `MULTI` or one script may touch them together.
//!
//! A [`Keys`] is either the whole keyspace (as built) or narrowed to one partition
//! ([`Keys::partition`], [`Keys::for_vehicle`]); the stream names it gives are those of
//! its partition (partition 0 when not narrowed).

/// Redis key names of one environment (one prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    prefix: String,
    partitions: u32,
    tagged: bool,
    /// The partition the stream names are of; `None`: the whole keyspace.
    narrowed: Option<u32>,
}

/// Suffix of an event type's backfill lane ([`Keys::backfill`]).
pub const BACKFILL_SUFFIX: &str = ":backfill";

/// The partition of `vehicle_id` among `partitions`: 32-bit FNV-1a of its UTF-8 bytes,
/// modulo the count. Stable across processes, builds and platforms (it is part of the
/// data layout: changing it moves vehicles between partitions).
pub fn partition_of(vehicle_id: &str, partitions: u32) -> u32 {
    const OFFSET: u32 = 0x811c_9dc5;
    const PRIME: u32 = 0x0100_0193;
    let hash = vehicle_id
        .bytes()
        .fold(OFFSET, |h, b| (h ^ u32::from(b)).wrapping_mul(PRIME));
    hash % partitions.max(1)
}

impl Keys {
    /// Key names under `prefix` (e.g. `fleet:`), one partition, one Redis.
    pub fn new(prefix: impl Into<String>) -> Self {
        Self::partitioned(prefix, 1, false)
    }

    /// Key names under `prefix` with `partitions` partitions (at least 1); `cluster`:
    /// against Redis Cluster, where even one partition needs its hash tag.
    pub fn partitioned(prefix: impl Into<String>, partitions: u32, cluster: bool) -> Self {
        let partitions = partitions.max(1);
        Self {
            prefix: prefix.into(),
            partitions,
            tagged: partitions > 1 || cluster,
            narrowed: None,
        }
    }

    /// The prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// How many partitions the streams have.
    pub fn partitions(&self) -> u32 {
        self.partitions
    }

    /// The partition these names are narrowed to, if any.
    pub fn narrowed(&self) -> Option<u32> {
        self.narrowed
    }

    /// The same names, narrowed to partition `p` (taken modulo the count).
    #[must_use]
    pub fn partition(&self, p: u32) -> Self {
        Self {
            narrowed: Some(p % self.partitions),
            ..self.clone()
        }
    }

    /// The same names, narrowed to the partition of `vehicle_id` ([`partition_of`]).
    #[must_use]
    pub fn for_vehicle(&self, vehicle_id: &str) -> Self {
        self.partition(partition_of(vehicle_id, self.partitions))
    }

    /// One narrowed [`Keys`] per partition this covers: itself when narrowed, else
    /// every partition in order.
    pub fn each_partition(&self) -> Vec<Self> {
        match self.narrowed {
            Some(_) => vec![self.clone()],
            None => (0..self.partitions).map(|p| self.partition(p)).collect(),
        }
    }

    /// `{prefix}` or, when tagged, `{prefix}{pn}`.
    fn base(&self) -> String {
        if self.tagged {
            format!("{}{{p{}}}", self.prefix, self.narrowed.unwrap_or(0))
        } else {
            self.prefix.clone()
        }
    }

    /// The stream of one event type (in this partition).
    pub fn stream(&self, event_type: &str) -> String {
        format!("{}stream:{event_type}", self.base())
    }

    /// The backfill lane of one event type, `{prefix}stream:{event_type}:backfill`:
    /// where a producer appends events about the past (a device flushing its buffer), so
    /// they do not queue ahead of live ones. Every consumer of the type reads it after
    /// the live stream (ADR 0020).
    pub fn backfill(&self, event_type: &str) -> String {
        format!("{}stream:{event_type}{BACKFILL_SUFFIX}", self.base())
    }

    /// Both lanes of an event type: the live stream, then the backfill lane.
    pub fn lanes(&self, event_type: &str) -> [String; 2] {
        [self.stream(event_type), self.backfill(event_type)]
    }

    /// Both lanes of an event type in every partition this covers, partition by
    /// partition.
    pub fn all_lanes(&self, event_type: &str) -> Vec<String> {
        self.each_partition()
            .iter()
            .flat_map(|k| k.lanes(event_type))
            .collect()
    }

    /// The dead-letter stream of one consumer group (in this partition).
    pub fn dead_letter(&self, group: &str) -> String {
        format!("{}dead-letter:{group}", self.base())
    }

    /// A key of this partition's hash slot (an idempotency key written with the
    /// partition's streams, a lease).
    pub fn partition_key(&self, name: &str) -> String {
        format!("{}{name}", self.base())
    }

    /// Any other key, namespaced under the prefix (no partition).
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_partition_on_one_redis_keeps_the_names_of_adr_0001() {
        let keys = Keys::new("fleet:");
        assert_eq!(keys.stream("a.b"), "fleet:stream:a.b");
        assert_eq!(keys.backfill("a.b"), "fleet:stream:a.b:backfill");
        assert_eq!(keys.dead_letter("g"), "fleet:dead-letter:g");
        assert_eq!(keys.for_vehicle("VH-1").stream("a.b"), "fleet:stream:a.b");
        assert_eq!(keys.all_lanes("a.b").len(), 2);
    }

    #[test]
    fn partitioned_keys_carry_one_hash_tag_per_partition() {
        let keys = Keys::partitioned("fleet:", 4, false);
        let p = keys.partition(3);
        assert_eq!(p.stream("a.b"), "fleet:{p3}stream:a.b");
        assert_eq!(p.backfill("a.b"), "fleet:{p3}stream:a.b:backfill");
        assert_eq!(p.dead_letter("g"), "fleet:{p3}dead-letter:g");
        assert_eq!(p.partition_key("lease:g"), "fleet:{p3}lease:g");
        assert_eq!(keys.key("members:g"), "fleet:members:g");
        assert_eq!(keys.all_lanes("a.b").len(), 8);
        let cluster = Keys::partitioned("fleet:", 1, true);
        assert_eq!(cluster.stream("a.b"), "fleet:{p0}stream:a.b");
    }

    #[test]
    fn the_partition_hash_is_the_documented_fnv1a() {
        // FNV-1a 32 of "" is the offset basis; of "a" is 0xe40c292c (reference values).
        assert_eq!(partition_of("", 1 << 31), 0x811c_9dc5 - (1 << 31));
        assert_eq!(partition_of("a", 1 << 31), 0xe40c_292c - (1 << 31));
        let spread: std::collections::HashSet<u32> = (0..64)
            .map(|i| partition_of(&format!("VH-{i:06}"), 4))
            .collect();
        assert_eq!(
            spread.len(),
            4,
            "64 vehicles reach every one of 4 partitions"
        );
    }
}
