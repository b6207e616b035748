//! Building and running the service: state, router, background tasks.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::FromRef;
use shared_runtime::auth::Jwt;
use shared_runtime::bus::Keys;
use shared_runtime::consumer::{BatchConsumer, Consumer, ConsumerConfig};
use shared_runtime::http::{Readiness, Server, observe, ops_routes};
use shared_runtime::outbox::Relay;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;
use crate::db::liveness::Rule;
use crate::delivery::digest::{DigestConfig, Digests};
use crate::delivery::{Channels, Sender, SenderConfig, email, http};
use crate::domain::link::LinkSigner;
use crate::events::feed::Feed;
use crate::events::liveness::{self, LivenessConsumer, Staleness};
use crate::events::{AlertConsumer, EVENT_TYPES, GROUP};
use crate::openapi::ApiDoc;
use crate::pipeline::{Alerting, Policy};

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// `alert_db`.
    pub db: PgPool,
    /// Token verification.
    pub jwt: Arc<Jwt>,
    /// The alert life cycle.
    pub alerting: Alerting,
    /// Acknowledge links.
    pub links: LinkSigner,
    /// Whether following a link asks for a click first.
    pub link_confirm: bool,
    /// The live feed.
    pub feed: Feed,
}

impl FromRef<AppState> for Arc<Jwt> {
    fn from_ref(s: &AppState) -> Self {
        s.jwt.clone()
    }
}

/// The router: resource routes, ops routes, OpenAPI and docs, with the request
/// middleware.
pub fn router(state: AppState, readiness: Readiness) -> Router {
    crate::routes::router()
        .with_state(state)
        .merge(ops_routes(readiness))
        .merge(SwaggerUi::new("/docs").url("/openapi.json", ApiDoc::openapi()))
        .layer(axum::middleware::from_fn(observe))
}

/// The channels `config` enables.
pub fn channels(config: &Config) -> anyhow::Result<Channels> {
    let timeout = config.send_timeout;
    Ok(Channels {
        email: config
            .smtp
            .as_ref()
            .map(|s| email::EmailSender::new(s.url.expose(), &s.from, timeout))
            .transpose()?,
        sms: config
            .sms
            .as_ref()
            .map(|s| http::SmsSender::new(s, timeout))
            .transpose()
            .context("SMS client (ALERT_SMS_*)")?,
        push: config
            .push
            .as_ref()
            .map(|p| http::PushSender::new(p, timeout))
            .transpose()
            .context("push client (ALERT_PUSH_*)")?,
        webhook: config
            .webhook_secret
            .clone()
            .map(|s| http::WebhookSender::new(s, timeout))
            .transpose()
            .context("webhook client")?,
    })
}

/// A built service, listening, not yet serving.
#[derive(Debug)]
pub struct Application(Server);

impl Application {
    /// Connects, migrates, starts the consumers, the delivery sender, the planning
    /// digest, the escalation and staleness timers, the feed and the outbox relay, and
    /// binds the port.
    pub async fn build(config: Config, shutdown: CancellationToken) -> anyhow::Result<Self> {
        let common = &config.common;
        let channels = channels(&config)?;
        let configured = channels.configured();
        tracing::info!(channels = ?configured, "delivery channels configured");
        let db =
            shared_runtime::db::connect(common.database_url.expose(), common.db_max_connections)
                .await
                .context("connecting to the database (DATABASE_URL)")?;
        shared_runtime::db::migrate(&db, &sqlx::migrate!("./migrations"))
            .await
            .context("running migrations")?;
        let redis = shared_runtime::bus::connect(common.redis_url.expose())
            .await
            .context("connecting to Redis (REDIS_URL)")?;
        let keys = Keys::new(common.redis_prefix.clone());
        let relay = Relay::lazy(
            db.clone(),
            common.redis_url.expose(),
            keys.clone(),
            common.stream_max_len,
        )
        .context("outbox relay (REDIS_URL)")?
        .poll_interval(Duration::from_millis(500));
        let links = LinkSigner::new(config.link_secret.expose());
        let digests = config.digest_every.map(|every| {
            Digests::new(
                db.clone(),
                channels.email.clone(),
                DigestConfig {
                    every,
                    tick: config.tick,
                    max_attempts: config.max_attempts,
                    retry_base: config.retry_base,
                    retry_max: config.retry_max,
                    send_timeout: config.send_timeout,
                    lease: config.sender_lease,
                },
            )
        });
        let sender = Sender::new(
            db.clone(),
            channels,
            links.clone(),
            SenderConfig {
                max_attempts: config.max_attempts,
                retry_base: config.retry_base,
                retry_max: config.retry_max,
                send_timeout: config.send_timeout,
                concurrency: config.send_concurrency,
                lease: config.sender_lease,
                poll: Duration::from_millis(250),
                public_url: config.public_url.clone(),
                link_ttl: config.link_ttl,
            },
        );
        let alerting = Alerting::new(
            db.clone(),
            Policy {
                delays: config.escalation_delays.clone(),
                max_steps: config.max_escalation_steps,
                decision_wait: config.decision_wait,
                rate_limits: config.rate_limits.clone(),
                configured,
            },
            sender.notifier(),
            relay.notifier(),
        );

        let mut tasks = Vec::new();
        let consumer = Consumer::new(
            redis::Client::open(common.redis_url.expose())?,
            keys.clone(),
            ConsumerConfig::new(GROUP, EVENT_TYPES)
                .batch_size(config.batch)
                .concurrency(config.concurrency)
                .block(Duration::from_millis(500)),
            Arc::new(AlertConsumer::new(alerting.clone())),
        );
        let token = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = consumer.run(token).await {
                tracing::error!(error = ?e, "alert consumer stopped");
            }
        }));
        let live = BatchConsumer::new(
            redis::Client::open(common.redis_url.expose())?,
            keys.clone(),
            ConsumerConfig::new(liveness::GROUP, [liveness::EVENT_TYPE]).batch_size(1_000),
            Arc::new(LivenessConsumer::new(db.clone())),
        );
        let token = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = live.run(token).await {
                tracing::error!(error = ?e, "liveness consumer stopped");
            }
        }));
        let staleness = Staleness::new(
            alerting.clone(),
            Rule {
                min_samples: config.stale_min_samples,
                min_s: config.stale_min.as_secs_f64(),
                factor: config.stale_factor,
                max_gap_s: config.stale_max_gap.as_secs_f64(),
            },
            config.stale_check,
        );
        tasks.push(tokio::spawn(staleness.run(shutdown.clone())));
        tasks.push(tokio::spawn(escalations(
            alerting.clone(),
            config.tick,
            shutdown.clone(),
        )));
        tasks.push(tokio::spawn(sender.run(shutdown.clone())));
        if let Some(digests) = digests {
            tasks.push(tokio::spawn(digests.run(shutdown.clone())));
        }
        tasks.push(tokio::spawn(relay.run(shutdown.clone())));
        let feed = Feed::new();
        tasks.push(tokio::spawn(feed.clone().run(
            redis::Client::open(common.redis_url.expose())?,
            keys,
            shutdown.clone(),
        )));
        tasks.push(tokio::spawn(shared_runtime::inbox::prune_every(
            db.clone(),
            chrono::Duration::days(config.inbox_retention_days),
            Duration::from_secs(3600),
            shutdown.clone(),
        )));

        let state = AppState {
            db: db.clone(),
            jwt: Arc::new(Jwt::new(&common.jwt_secret)),
            alerting,
            links,
            link_confirm: config.link_confirm,
            feed,
        };
        let router = router(state, Readiness { db, redis });
        let server = Server::bind("alert", common.bind_addr, router, tasks, shutdown).await?;
        Ok(Self(server))
    }

    /// The bound port (tests bind port 0).
    pub fn port(&self) -> u16 {
        self.0.port()
    }

    /// Serves until the shutdown token is cancelled, then waits for the background
    /// tasks to finish their work in hand.
    pub async fn run(self) -> anyhow::Result<()> {
        Ok(self.0.run().await?)
    }
}

/// Moves due alerts up the escalation chain every `tick`.
async fn escalations(alerting: Alerting, tick: Duration, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(tick) => {}
        }
        match alerting.escalate_due().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(alerts = n, "alerts escalated"),
            Err(e) => tracing::warn!(error = format!("{e:#}"), "escalation pass failed; retrying"),
        }
    }
}
