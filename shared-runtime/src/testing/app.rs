//! A service running inside a test: its address, a client, handles on its database and
//! Redis, and what every service's tests do with them (requests with a token, events
//! published and read back, waiting until its consumers have caught up).

use std::future::Future;
use std::time::Duration;

use crate::redis_conn::RedisConn;
use serde_json::Value;
use shared_schemas::{Event, EventEnvelope};
use sqlx::PgPool;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::bus::{Keys, Publisher};
use crate::config::CommonConfig;
use crate::http::Server;

/// A running service; dropping it cancels it, [`TestService::stop`] also waits.
#[derive(Debug)]
pub struct TestService {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// A plain HTTP client.
    pub client: reqwest::Client,
    /// The service's database.
    pub db: PgPool,
    /// Redis.
    pub redis: RedisConn,
    /// The service's key names.
    pub keys: Keys,
    /// Cancels the service.
    pub shutdown: CancellationToken,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
}

impl Drop for TestService {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl TestService {
    /// Builds the service of `common` with `build` and serves it in the background.
    pub async fn start<F, Fut>(common: &CommonConfig, build: F) -> Self
    where
        F: FnOnce(CancellationToken) -> Fut,
        Fut: Future<Output = anyhow::Result<Server>>,
    {
        let shutdown = CancellationToken::new();
        let server = build(shutdown.clone()).await.expect("build the service");
        let address = format!("http://127.0.0.1:{}", server.port());
        let handle = tokio::spawn(server.run());
        Self {
            address,
            client: reqwest::Client::new(),
            db: PgPool::connect(common.database_url.expose())
                .await
                .expect("the test database"),
            redis: crate::bus::connect(common.redis_url.expose())
                .await
                .expect("the test Redis"),
            keys: common.keys(),
            shutdown,
            handle: Some(handle),
        }
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// The service's `/metrics` text (unauthenticated).
    pub async fn metrics(&self) -> String {
        let response = self.client.get(self.url("/metrics")).send().await;
        let response = response.expect("the service answers");
        response.text().await.expect("a text body")
    }

    /// `GET path` with a bearer token.
    pub async fn get_as(&self, path: &str, token: &str) -> reqwest::Response {
        let request = self.client.get(self.url(path)).bearer_auth(token);
        request.send().await.expect("the service answers")
    }

    /// `POST path` with a bearer token and a JSON body.
    pub async fn post_as(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        let request = self.client.post(self.url(path)).bearer_auth(token);
        request
            .json(body)
            .send()
            .await
            .expect("the service answers")
    }

    /// `PUT path` with a bearer token and a JSON body.
    pub async fn put_as(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        let request = self.client.put(self.url(path)).bearer_auth(token);
        request
            .json(body)
            .send()
            .await
            .expect("the service answers")
    }

    /// Publishes envelopes to their streams, in order.
    pub async fn publish<P: Event>(&self, events: &[EventEnvelope<P>]) {
        publish(&self.redis, &self.keys, events).await;
    }

    /// Every entry of an event type's stream, as envelope JSON, oldest first.
    pub async fn stream(&self, event_type: &str) -> Vec<Value> {
        super::stream_envelopes(&mut self.redis.clone(), &self.keys, event_type).await
    }

    /// Every entry of both lanes of an event type (the live stream, then the backfill
    /// lane, partition by partition), as envelope JSON.
    pub async fn lanes(&self, event_type: &str) -> Vec<Value> {
        let mut conn = self.redis.clone();
        let mut all = Vec::new();
        for key in self.keys.all_lanes(event_type) {
            all.extend(
                super::stream_entries(&mut conn, &key)
                    .await
                    .into_iter()
                    .map(|fields| serde_json::from_str(&fields["e"]).expect("an envelope")),
            );
        }
        all
    }

    /// Waits until `event_type`'s stream has at least `n` entries (at most 20 s) and
    /// returns them.
    pub async fn wait_stream(&self, event_type: &str, n: usize) -> Vec<Value> {
        let what = format!("{n} entries on {event_type}");
        wait_until(Duration::from_secs(20), &what, || async {
            let entries = self.stream(event_type).await;
            (entries.len() >= n).then_some(entries)
        })
        .await
    }

    /// Waits until `group` has handled every entry of `event_types` and the outbox is
    /// empty; panics after `within`. A lag Redis cannot tell (a trimmed stream) counts
    /// as not caught up.
    pub async fn wait_caught_up<T: AsRef<str>>(
        &self,
        group: &str,
        event_types: &[T],
        within: Duration,
    ) {
        let deadline = tokio::time::Instant::now() + within;
        let mut conn = self.redis.clone();
        loop {
            let lag = crate::consumer::lag(&mut conn, &self.keys, group, event_types)
                .await
                .expect("the group's lag");
            let outbox = crate::outbox::pending(&self.db).await.expect("the outbox");
            if lag.lag == Some(0) && lag.pending == 0 && outbox == 0 {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{group} did not catch up within {within:?}: {lag:?}, {outbox} events in the outbox"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Cancels the service and waits until it has stopped (consumers, relay, server).
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(handle) = self.handle.take() {
            handle
                .await
                .expect("the service task")
                .expect("a clean stop");
        }
    }
}

/// Publishes envelopes to their streams under `keys`, in order (pipelined by 500), e.g.
/// while the service is down.
pub async fn publish<P: Event>(redis: &RedisConn, keys: &Keys, events: &[EventEnvelope<P>]) {
    let publisher = Publisher::new(redis.clone(), keys.clone(), 1_000_000);
    for chunk in events.chunks(500) {
        let raw: Vec<(String, String)> = chunk
            .iter()
            .map(|e| {
                let json = serde_json::to_string(e).expect("an envelope serializes");
                (e.event_type.clone(), json)
            })
            .collect();
        publisher.publish_raw(&raw).await.expect("publish");
    }
}

/// Polls `check` every 100 ms until it gives a value; panics naming `what` after
/// `within`.
pub async fn wait_until<T, F, Fut>(within: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited {within:?} for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
