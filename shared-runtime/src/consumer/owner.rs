//! The partition owner: shares a group's partitions among its live instances through
//! leases (ADR 0026) and runs one worker per partition held.
//!
//! Every third of the lease TTL it renews the leases it holds (a lease it cannot renew
//! stops its worker at the deadline, whatever Redis says later), heartbeats, and moves
//! towards its share, `ceil(partitions / live instances)`: it gives back extras (the
//! worker finishes its batch, then the lease is deleted) and takes free partitions. A
//! dead instance's leases expire after the TTL and the living take them over.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::lease::{Fence, Leases};
use super::{BatchConsumer, BatchHandler, ConsumerConfig, Worker, drive};
use crate::bus::Keys;
use crate::redis_conn::{RedisConn, RedisTarget};

/// A partition this instance holds.
#[derive(Debug)]
struct Held {
    fence: Fence,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

/// The owner's state.
struct Owner {
    redis: RedisTarget,
    keys: Keys,
    config: ConsumerConfig,
    handler: Arc<dyn BatchHandler>,
    leases: Leases,
    conn: RedisConn,
    held: BTreeMap<u32, Held>,
    shutdown: CancellationToken,
}

/// Runs `consumer`'s group as one of its partition-sharing instances until shutdown.
pub(super) async fn run(
    consumer: BatchConsumer,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let BatchConsumer {
        redis,
        keys,
        config,
        handler,
    } = consumer;
    let ttl = config.lease_ttl;
    let conn = redis.shared_lazy(ttl / 3, ttl / 3)?;
    let leases = Leases::new(keys.clone(), &config.lease_name(), &config.consumer, ttl);
    let mut owner = Owner {
        redis,
        keys,
        config,
        handler,
        leases,
        conn,
        held: BTreeMap::new(),
        shutdown,
    };
    let mut tick = tokio::time::interval(ttl / 3);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = owner.shutdown.cancelled() => break,
            _ = tick.tick() => owner.coordinate().await,
        }
    }
    owner.stop_all().await;
    Ok(())
}

impl Owner {
    /// One round: renew, count the living, give back or take partitions.
    async fn coordinate(&mut self) {
        self.renew().await;
        let live = match self.leases.heartbeat(&mut self.conn).await {
            Ok(n) => n.max(1),
            Err(e) => {
                tracing::debug!(group = %self.config.group, error = %e, "heartbeat failed");
                return;
            }
        };
        let share = self.keys.partitions().div_ceil(live) as usize;
        while self.held.len() > share {
            let Some((&p, _)) = self.held.last_key_value() else {
                break;
            };
            self.give_back(p);
        }
        if self.held.len() < share {
            self.take(share).await;
        }
        metrics::gauge!("consumer_partitions_held", "group" => self.config.group.clone())
            .set(self.held.len() as f64);
    }

    /// Renews every lease held; a worker that stopped by itself or whose lease is
    /// gone is let go.
    async fn renew(&mut self) {
        let partitions: Vec<u32> = self.held.keys().copied().collect();
        for p in partitions {
            let finished = self.held.get(&p).is_some_and(|h| h.task.is_finished());
            if finished {
                self.give_back(p);
                continue;
            }
            let sent = Instant::now();
            match self.leases.renew(&mut self.conn, p).await {
                Ok(true) => {
                    if let Some(held) = self.held.get(&p) {
                        held.fence.extend(self.leases.deadline(sent));
                    }
                }
                Ok(false) => {
                    tracing::warn!(group = %self.config.group, partition = p, "partition lease lost; its worker stops");
                    if let Some(held) = self.held.remove(&p) {
                        held.fence.revoke();
                        held.stop.cancel();
                    }
                }
                // The fence keeps its deadline: the worker stops by itself if Redis
                // stays out of reach until then.
                Err(e) => {
                    tracing::debug!(group = %self.config.group, partition = p, error = %e, "lease renewal failed");
                }
            }
        }
    }

    /// Takes free partitions until this instance holds `share`, starting at a place
    /// of its own so instances do not all race for the same ones.
    async fn take(&mut self, share: usize) {
        let n = self.keys.partitions();
        let start = crate::keys::partition_of(&self.config.consumer, n);
        for i in 0..n {
            if self.held.len() >= share {
                break;
            }
            let p = (start + i) % n;
            if self.held.contains_key(&p) {
                continue;
            }
            let sent = Instant::now();
            match self.leases.acquire(&mut self.conn, p).await {
                Ok(true) => self.start(p, self.leases.deadline(sent)),
                Ok(false) => {}
                Err(e) => {
                    tracing::debug!(group = %self.config.group, partition = p, error = %e, "lease acquisition failed");
                    return;
                }
            }
        }
    }

    /// Starts the worker of partition `p`, whose lease runs until `until`.
    fn start(&mut self, p: u32, until: Instant) {
        tracing::info!(group = %self.config.group, consumer = %self.config.consumer, partition = p, "partition taken");
        let fence = Fence::new(until);
        let stop = self.shutdown.child_token();
        let worker = Worker::new(
            self.keys.partition(p),
            self.config.clone(),
            Arc::clone(&self.handler),
            Some(fence.clone()),
        );
        let task = tokio::spawn(drive(self.redis.clone(), worker, stop.clone()));
        self.held.insert(p, Held { fence, stop, task });
    }

    /// Stops the worker of `p` and, once it has settled its batch, deletes the lease
    /// (in the background: the other leases keep being renewed meanwhile).
    fn give_back(&mut self, p: u32) {
        let Some(held) = self.held.remove(&p) else {
            return;
        };
        tracing::info!(group = %self.config.group, partition = p, "partition given back");
        held.stop.cancel();
        let leases = self.leases.clone();
        let mut conn = self.conn.clone();
        tokio::spawn(async move {
            let _ = held.task.await;
            if let Err(e) = leases.release(&mut conn, p).await {
                tracing::debug!(partition = p, error = %e, "lease release failed; it expires");
            }
        });
    }

    /// On shutdown: every worker settles its batch, then the leases are deleted and
    /// the instance leaves the membership, so the others take over at once.
    async fn stop_all(&mut self) {
        let held = std::mem::take(&mut self.held);
        for (p, held) in held {
            held.stop.cancel();
            let _ = held.task.await;
            if let Err(e) = self.leases.release(&mut self.conn, p).await {
                tracing::debug!(partition = p, error = %e, "lease release failed; it expires");
            }
        }
        let _ = self.leases.leave(&mut self.conn).await;
        tracing::info!(group = %self.config.group, consumer = %self.config.consumer, "partitioned consumer stopped");
    }
}

impl Drop for Owner {
    /// An owner dropped without [`Owner::stop_all`] (its task aborted) takes its
    /// workers with it, as a killed process would.
    fn drop(&mut self) {
        for held in self.held.values() {
            held.task.abort();
        }
    }
}

/// A lease TTL's smallest sensible value (renewals every third of it).
pub(super) const MIN_LEASE_TTL: Duration = Duration::from_millis(300);
