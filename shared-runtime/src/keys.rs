//! Redis key names, with the partition dimension (ADR 0026).
//!
//! With one partition on one Redis (the default) the names are those of ADR 0001 and
//! 0020: `{prefix}stream:{type}`, `{prefix}stream:{type}:backfill`,
//! `{prefix}dead-letter:{group}`. With more partitions, or against Redis Cluster, every
//! key of partition `n` carries the hash tag of the partition ([`partition_tag`]):
//! `{prefix}{p3}stream:{type}`, so all of one partition's streams, its dead letters and
//! its lease live on one cluster slot and one `XREADGROUP`, one `MULTI` or one script may
//! touch them together. The tags put partition `n` of `P` near the middle of the `n`-th
//! of `P` equal ranges of slots, so masters that split the slots evenly (as `redis-cli
//! --cluster create` does) hold as even a share of the partitions as the counts allow.
//!
//! A [`Keys`] is either the whole keyspace (as built) or narrowed to one partition
//! ([`Keys::partition`], [`Keys::for_vehicle`]); the stream names it gives are those of
//! its partition (partition 0 when not narrowed).

/// Redis key names of one environment (one prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    prefix: String,
    partitions: u32,
    /// The hash tag of each partition; empty when keys are not tagged.
    tags: std::sync::Arc<[String]>,
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

/// Slots of a Redis Cluster.
const CLUSTER_SLOTS: u32 = 16_384;

/// The cluster slot of a hash tag: CRC16 (XMODEM) of its bytes modulo 16,384, as the
/// Redis Cluster specification defines it.
pub fn cluster_slot(tag: &str) -> u16 {
    let crc = tag.bytes().fold(0u16, |mut crc, b| {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
        crc
    });
    crc % CLUSTER_SLOTS as u16
}

/// The hash tag of partition `n` of `partitions`: `p{n}` when its slot falls near the
/// middle of the `n`-th of `partitions` equal slot ranges (within an eighth of a range
/// of it), else `p{n}.{k}` with the smallest `k` that does. Near the middle, so that
/// masters splitting the slots evenly hold as even a share of partitions as the counts
/// allow, whatever the count. Deterministic: every process derives the same names.
pub fn partition_tag(n: u32, partitions: u32) -> String {
    let partitions = partitions.clamp(1, CLUSTER_SLOTS);
    let width = CLUSTER_SLOTS / partitions;
    let middle = n * width + width / 2;
    let near = (middle - width / 8)..=(middle + width / 8);
    (0u32..)
        .map(|k| match k {
            0 => format!("p{n}"),
            k => format!("p{n}.{k}"),
        })
        .find(|tag| near.contains(&u32::from(cluster_slot(tag))))
        .unwrap_or_else(|| format!("p{n}"))
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
        let tags: Vec<String> = if partitions > 1 || cluster {
            (0..partitions)
                .map(|n| partition_tag(n, partitions))
                .collect()
        } else {
            Vec::new()
        };
        Self {
            prefix: prefix.into(),
            partitions,
            tags: tags.into(),
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

    /// The hash tag of this partition (partition 0 when not narrowed), when keys are
    /// tagged.
    pub fn tag(&self) -> Option<&str> {
        let n = self.narrowed.unwrap_or(0) as usize;
        self.tags.get(n).map(String::as_str)
    }

    /// `{prefix}` or, when tagged, `{prefix}{tag}`.
    fn base(&self) -> String {
        match self.tag() {
            Some(tag) => format!("{}{{{tag}}}", self.prefix),
            None => self.prefix.clone(),
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
        let tag = p.tag().expect("tagged");
        assert!(tag.starts_with("p3"), "{tag}");
        assert_eq!(p.stream("a.b"), format!("fleet:{{{tag}}}stream:a.b"));
        assert_eq!(
            p.backfill("a.b"),
            format!("fleet:{{{tag}}}stream:a.b:backfill")
        );
        assert_eq!(p.dead_letter("g"), format!("fleet:{{{tag}}}dead-letter:g"));
        assert_eq!(
            p.partition_key("lease:g"),
            format!("fleet:{{{tag}}}lease:g")
        );
        assert_eq!(keys.key("members:g"), "fleet:members:g");
        assert_eq!(keys.all_lanes("a.b").len(), 8);
        let cluster = Keys::partitioned("fleet:", 1, true);
        let tag = cluster.tag().expect("a cluster tags even one partition");
        assert!(tag.starts_with("p0"), "{tag}");
        assert_eq!(cluster.stream("a.b"), format!("fleet:{{{tag}}}stream:a.b"));
    }

    #[test]
    fn the_slot_is_redis_crc16_xmodem() {
        // The Redis Cluster specification's reference: CRC16 of "123456789" is 0x31C3
        // (under 16,384, so it is also the slot); "p3" is slot 3689 (`CLUSTER KEYSLOT p3`).
        assert_eq!(cluster_slot("123456789"), 0x31c3);
        assert_eq!(cluster_slot("p3"), 3689);
        assert_eq!(cluster_slot(""), 0);
    }

    #[test]
    fn partitions_spread_evenly_over_masters_that_split_the_slots_evenly() {
        for partitions in [2u32, 3, 4, 8, 16] {
            let slots: Vec<u32> = (0..partitions)
                .map(|n| u32::from(cluster_slot(&partition_tag(n, partitions))))
                .collect();
            for (n, slot) in slots.iter().enumerate() {
                let n = n as u32;
                assert!(
                    (n * 16_384 / partitions..(n + 1) * 16_384 / partitions).contains(slot),
                    "partition {n} of {partitions} at slot {slot}"
                );
            }
            // The slot ranges of three masters, as `redis-cli --cluster create` splits them.
            let mut per_master = [0u32; 3];
            for slot in slots {
                per_master[match slot {
                    0..=5460 => 0,
                    5461..=10922 => 1,
                    _ => 2,
                }] += 1;
            }
            let (lo, hi) = (per_master.iter().min(), per_master.iter().max());
            assert!(
                hi.zip(lo).is_some_and(|(h, l)| h - l <= 1),
                "{partitions} partitions over 3 masters: {per_master:?}"
            );
        }
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
