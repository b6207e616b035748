//! How far behind a consumer group is, for readiness and metrics.

use redis::AsyncTypedCommands;

use crate::bus::Keys;

/// One stream as seen by one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamLag {
    /// The stream's event type.
    pub event_type: String,
    /// Entries delivered to the group and not acknowledged yet.
    pub pending: u64,
    /// Entries not delivered to the group yet; `None` when Redis cannot tell (entries
    /// were deleted from the middle of the stream).
    pub lag: Option<u64>,
}

/// A group over all its streams.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupLag {
    /// Sum of the streams' pending entries.
    pub pending: u64,
    /// Sum of the streams' lags; `None` if one is unknown.
    pub lag: Option<u64>,
    /// Per stream, in the order asked.
    pub streams: Vec<StreamLag>,
}

/// Pending count and lag of `group` on the streams of `event_types` (from `XINFO
/// GROUPS`, Redis 7+). A missing stream counts as empty; a group not created yet as
/// lagging by the whole stream (groups start at the beginning by default).
/// Use a shared connection (e.g. a `ConnectionManager`): these commands do not block.
pub async fn lag<C, T>(
    conn: &mut C,
    keys: &Keys,
    group: &str,
    event_types: &[T],
) -> Result<GroupLag, redis::RedisError>
where
    C: redis::aio::ConnectionLike + Send + Sync,
    T: AsRef<str>,
{
    let mut total = GroupLag {
        lag: Some(0),
        ..GroupLag::default()
    };
    for event_type in event_types {
        let event_type = event_type.as_ref();
        let key = keys.stream(event_type);
        let stream = if conn.exists(&key).await? {
            let info = conn.xinfo_groups(&key).await?;
            match info.groups.into_iter().find(|g| g.name == group) {
                Some(g) => StreamLag {
                    event_type: event_type.to_owned(),
                    pending: as_u64(g.pending),
                    lag: g.lag.map(as_u64),
                },
                None => StreamLag {
                    event_type: event_type.to_owned(),
                    pending: 0,
                    lag: Some(as_u64(conn.xlen(&key).await?)),
                },
            }
        } else {
            StreamLag {
                event_type: event_type.to_owned(),
                pending: 0,
                lag: Some(0),
            }
        };
        total.pending += stream.pending;
        total.lag = total.lag.zip(stream.lag).map(|(a, b)| a + b);
        total.streams.push(stream);
    }
    Ok(total)
}

fn as_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}
