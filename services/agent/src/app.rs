//! Building and running the service: state, router, background tasks.

use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::FromRef;
use redis::aio::ConnectionManager;
use shared_runtime::auth::Jwt;
use shared_runtime::bus::Keys;
use shared_runtime::consumer::{Consumer, ConsumerConfig};
use shared_runtime::http::{Readiness, Server, observe, ops_routes};
use shared_runtime::outbox::Relay;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;
use crate::events::consumer::{EVENT_TYPES, VehicleLocks};
use crate::events::{GROUP, HealthEventConsumer, Recorder};
use crate::llm::LlmClient;
use crate::openapi::ApiDoc;
use crate::pipeline::Agent;
use crate::tools::{HealthClient, SchedulingClient, Toolbox};

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// `agent_db`.
    pub db: PgPool,
    /// Token verification.
    pub jwt: Arc<Jwt>,
    /// The decision maker.
    pub agent: Arc<Agent>,
    /// Commits decisions.
    pub recorder: Recorder,
    /// Redis (consumer backlog for the status).
    pub redis: ConnectionManager,
    /// Key names.
    pub keys: Keys,
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

/// The agent of `config`: the model when configured, the health and scheduling tools.
pub fn agent(config: &Config, jwt: Arc<Jwt>) -> anyhow::Result<Agent> {
    let health = HealthClient::new(&config.health_url, Arc::clone(&jwt), config.tool_timeout)
        .context("health client (AGENT_HEALTH_URL)")?;
    let scheduling = config
        .scheduling_url
        .as_deref()
        .map(|url| SchedulingClient::new(url, Arc::clone(&jwt), config.tool_timeout))
        .transpose()
        .context("scheduling client (AGENT_SCHEDULING_URL)")?;
    let llm = config
        .llm
        .clone()
        .map(LlmClient::new)
        .transpose()
        .context("model provider client (AGENT_LLM_*)")?;
    Ok(Agent::new(
        llm,
        Toolbox::new(Arc::new(health), scheduling),
        config.currency.clone(),
    ))
}

/// A built service, listening, not yet serving.
#[derive(Debug)]
pub struct Application(Server);

impl Application {
    /// Connects, migrates, starts the health-event consumer and the outbox relay, and
    /// binds the port.
    pub async fn build(config: Config, shutdown: CancellationToken) -> anyhow::Result<Self> {
        let common = &config.common;
        let jwt = Arc::new(Jwt::new(&common.jwt_secret));
        let agent = Arc::new(agent(&config, Arc::clone(&jwt))?);
        match agent.llm() {
            Some(llm) => tracing::info!(
                provider = llm.provider(),
                model = llm.model(),
                "model provider configured; the rules answer when it fails"
            ),
            None => tracing::info!(
                "no model provider configured (AGENT_LLM_BASE_URL, AGENT_LLM_MODEL): the rule-based diagnoser decides"
            ),
        }
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
        .context("outbox relay (REDIS_URL)")?;
        let recorder = Recorder::new(db.clone(), relay.notifier());
        let handler = Arc::new(HealthEventConsumer::new(
            db.clone(),
            Arc::clone(&agent),
            recorder.clone(),
            Arc::new(VehicleLocks::default()),
        ));
        let mut tasks = Vec::new();
        for _ in 0..config.consumers {
            let consumer = Consumer::new(
                redis::Client::open(common.redis_url.expose())?,
                keys.clone(),
                ConsumerConfig::new(GROUP, EVENT_TYPES)
                    .batch_size(config.batch)
                    .concurrency(config.concurrency)
                    .min_idle(config.reclaim_idle),
                Arc::clone(&handler) as Arc<dyn shared_runtime::consumer::Handler>,
            );
            let token = shutdown.clone();
            tasks.push(tokio::spawn(async move {
                if let Err(e) = consumer.run(token).await {
                    tracing::error!(error = ?e, "health-event consumer stopped");
                }
            }));
        }
        tasks.push(tokio::spawn(relay.run(shutdown.clone())));
        tasks.push(tokio::spawn(shared_runtime::inbox::prune_every(
            db.clone(),
            chrono::Duration::days(config.inbox_retention_days),
            std::time::Duration::from_secs(3600),
            shutdown.clone(),
        )));

        let state = AppState {
            db: db.clone(),
            jwt,
            agent,
            recorder,
            redis: redis.clone(),
            keys,
        };
        let router = router(state, Readiness { db, redis });
        let server = Server::bind("agent", common.bind_addr, router, tasks, shutdown).await?;
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
