//! One Redis handle for one server and for Redis Cluster (ADR 0026).
//!
//! [`RedisTarget`] says where Redis is: one server (`REDIS_URL=redis://host:6379`) or a
//! cluster (`REDIS_URL` a comma-separated list of seed nodes, or `REDIS_CLUSTER=true`).
//! [`RedisConn`] is the connection every user holds, whichever it is: it implements
//! `redis::aio::ConnectionLike`, so typed commands, pipelines and scripts work on both.
//! On a cluster each command goes to the node of its key's slot; a pipeline, a `MULTI`
//! or a script must keep to one slot, which the partition hash tags ensure
//! ([`crate::bus::Keys`]).

use std::time::Duration;

use redis::aio::{
    ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection,
};
use redis::cluster::{ClusterClient, ClusterConfig};
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, RedisResult, Value};

/// Where Redis is.
#[derive(Debug, Clone)]
pub enum RedisTarget {
    /// One server.
    Single(redis::Client),
    /// A Redis Cluster, from its seed nodes (boxed: the client is large).
    Cluster(Box<ClusterClient>),
}

impl From<redis::Client> for RedisTarget {
    fn from(client: redis::Client) -> Self {
        Self::Single(client)
    }
}

impl RedisTarget {
    /// `url`: one `redis://` URL, or several separated by commas (seed nodes of a
    /// cluster); `cluster`: a cluster even when one URL is given. Fails only on a
    /// malformed URL (nothing is connected yet).
    pub fn open(url: &str, cluster: bool) -> RedisResult<Self> {
        let urls: Vec<&str> = url
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .collect();
        if cluster || urls.len() > 1 {
            Ok(Self::Cluster(Box::new(ClusterClient::new(urls)?)))
        } else {
            Ok(Self::Single(redis::Client::open(url.trim())?))
        }
    }

    /// Whether this is a cluster.
    pub fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }

    /// A shared connection (requests, publishers; clones share it) that reconnects by
    /// itself; connects now.
    pub async fn shared(&self) -> RedisResult<RedisConn> {
        match self {
            Self::Single(client) => Ok(RedisConn::Manager(
                ConnectionManager::new(client.clone()).await?,
            )),
            Self::Cluster(client) => Ok(RedisConn::Cluster(client.get_async_connection().await?)),
        }
    }

    /// A shared connection opened on first use, with these timeouts and no retries of
    /// its own (its user paces retries): it can be made while Redis is down.
    pub fn shared_lazy(&self, connect: Duration, response: Duration) -> RedisResult<RedisConn> {
        match self {
            Self::Single(client) => {
                let config = ConnectionManagerConfig::new()
                    .set_number_of_retries(0)
                    .set_connection_timeout(Some(connect))
                    .set_response_timeout(Some(response));
                Ok(RedisConn::Manager(ConnectionManager::new_lazy_with_config(
                    client.clone(),
                    config,
                )?))
            }
            Self::Cluster(client) => {
                let config = ClusterConfig::new()
                    .set_connection_timeout(connect)
                    .set_response_timeout(response);
                Ok(RedisConn::Cluster(
                    client.get_pending_async_connection_with_config(config),
                ))
            }
        }
    }

    /// A connection of its own, for a blocking read: nobody else waits behind it.
    /// `response` must outlast the longest block.
    pub async fn dedicated(&self, connect: Duration, response: Duration) -> RedisResult<RedisConn> {
        match self {
            Self::Single(client) => {
                let config = redis::AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(connect))
                    .set_response_timeout(Some(response));
                Ok(RedisConn::Multiplexed(
                    client
                        .get_multiplexed_async_connection_with_config(&config)
                        .await?,
                ))
            }
            Self::Cluster(client) => {
                let config = ClusterConfig::new()
                    .set_connection_timeout(connect)
                    .set_response_timeout(response);
                Ok(RedisConn::Cluster(
                    client.get_async_connection_with_config(config).await?,
                ))
            }
        }
    }
}

/// A connection to one Redis or to a cluster; clones share it.
#[derive(Clone)]
pub enum RedisConn {
    /// One server, reconnecting by itself.
    Manager(ConnectionManager),
    /// One server, a connection of its own.
    Multiplexed(MultiplexedConnection),
    /// A cluster (routes by slot, follows failovers and slot moves).
    Cluster(ClusterConnection),
}

impl std::fmt::Debug for RedisConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Manager(_) => "RedisConn::Manager",
            Self::Multiplexed(_) => "RedisConn::Multiplexed",
            Self::Cluster(_) => "RedisConn::Cluster",
        })
    }
}

impl From<ConnectionManager> for RedisConn {
    fn from(conn: ConnectionManager) -> Self {
        Self::Manager(conn)
    }
}

impl ConnectionLike for RedisConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Manager(c) => c.req_packed_command(cmd),
            Self::Multiplexed(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Manager(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Multiplexed(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Manager(c) => c.get_db(),
            Self::Multiplexed(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}
