//! How far behind a consumer group is, for readiness, metrics and back-pressure.

use std::time::Duration;

use redis::AsyncTypedCommands;

use crate::bus::Keys;

/// One stream (one lane of an event type) as seen by one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamLag {
    /// The stream's event type.
    pub event_type: String,
    /// The stream key (the live stream or the backfill lane, [`Keys::lanes`]).
    pub key: String,
    /// Entries delivered to the group and not acknowledged yet.
    pub pending: u64,
    /// Entries not delivered to the group yet; `None` when Redis cannot tell (entries
    /// were deleted from the middle of the stream).
    pub lag: Option<u64>,
    /// How long the oldest entry not delivered yet has been in the stream (zero when
    /// nothing waits); `None` when it could not be told.
    pub backlog_age: Option<Duration>,
    /// Entries the stream's trim (`MAXLEN`) removed before the group read them: its lag
    /// beyond the stream's length. Lost to this group; zero once it reads past the gap,
    /// and not seen for a group that has never read (Redis then counts its lag from the
    /// stream's first entry).
    pub trimmed_unread: u64,
}

/// A group over all its streams.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupLag {
    /// Sum of the streams' pending entries.
    pub pending: u64,
    /// Sum of the streams' lags; `None` if one is unknown.
    pub lag: Option<u64>,
    /// Per stream: the live streams of the types asked, in order, then their backfill
    /// lanes; partition by partition (ADR 0026).
    pub streams: Vec<StreamLag>,
}

/// Pending count and lag of `group` on both lanes of `event_types` in every partition
/// `keys` covers (from `XINFO GROUPS`, Redis 7+). A missing stream counts as empty; a group not created yet as
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
    let mut streams = Vec::new();
    for keys in keys.each_partition() {
        let live = event_types.iter().map(|t| (keys.stream(t.as_ref()), t));
        let backfill = event_types.iter().map(|t| (keys.backfill(t.as_ref()), t));
        streams.extend(live.chain(backfill));
    }
    for (key, event_type) in streams {
        let stream = stream_lag(conn, key, event_type.as_ref(), group).await?;
        total.pending += stream.pending;
        total.lag = total.lag.zip(stream.lag).map(|(a, b)| a + b);
        total.streams.push(stream);
    }
    Ok(total)
}

/// `group`'s lag on the stream `key` (of `event_type`).
pub async fn stream_lag<C>(
    conn: &mut C,
    key: String,
    event_type: &str,
    group: &str,
) -> Result<StreamLag, redis::RedisError>
where
    C: redis::aio::ConnectionLike + Send + Sync,
{
    let mut stream = StreamLag {
        event_type: event_type.to_owned(),
        key,
        pending: 0,
        lag: Some(0),
        backlog_age: Some(Duration::ZERO),
        trimmed_unread: 0,
    };
    if !conn.exists(&stream.key).await? {
        return Ok(stream);
    }
    let info = conn.xinfo_groups(&stream.key).await?;
    let after = match info.groups.into_iter().find(|g| g.name == group) {
        Some(g) => {
            stream.pending = as_u64(g.pending);
            stream.lag = g.lag.map(as_u64);
            format!("({}", g.last_delivered_id)
        }
        None => {
            stream.lag = Some(as_u64(conn.xlen(&stream.key).await?));
            "-".to_owned()
        }
    };
    if let Some(lag) = stream.lag.filter(|&l| l > 0) {
        stream.backlog_age = oldest_undelivered_age(conn, &stream.key, &after).await?;
        stream.trimmed_unread = lag.saturating_sub(as_u64(conn.xlen(&stream.key).await?));
    }
    Ok(stream)
}

/// Every group's lag on the stream `key`, as `(group, lag)`; the lag is `None` where
/// Redis cannot tell. Empty when the stream does not exist.
pub async fn groups_lag<C>(
    conn: &mut C,
    key: &str,
) -> Result<Vec<(String, Option<u64>)>, redis::RedisError>
where
    C: redis::aio::ConnectionLike + Send + Sync,
{
    if !conn.exists(key).await? {
        return Ok(Vec::new());
    }
    let info = conn.xinfo_groups(key).await?;
    Ok(info
        .groups
        .into_iter()
        .map(|g| (g.name, g.lag.map(as_u64)))
        .collect())
}

/// Age of the first entry after `after` (an `XRANGE` start), from its id's
/// milliseconds; `None` when there is none or Redis' clock is behind ours.
async fn oldest_undelivered_age<C>(
    conn: &mut C,
    key: &str,
    after: &str,
) -> Result<Option<Duration>, redis::RedisError>
where
    C: redis::aio::ConnectionLike + Send + Sync,
{
    let ids: Vec<(String, redis::Value)> = redis::cmd("XRANGE")
        .arg(key)
        .arg(after)
        .arg("+")
        .arg("COUNT")
        .arg(1)
        .query_async(conn)
        .await?;
    let appended_ms = ids
        .first()
        .and_then(|(id, _)| id.split('-').next()?.parse::<u64>().ok());
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    Ok(appended_ms.map(|ms| Duration::from_millis(now_ms.saturating_sub(ms))))
}

fn as_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}
