//! Building and running the service: state, router, background tasks.

use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::FromRef;
use models::health::{Engine, RulModel};
use shared_runtime::auth::Jwt;
use shared_runtime::bus::Keys;
use shared_runtime::consumer::{BatchConsumer, Consumer, ConsumerConfig};
use shared_runtime::http::{Readiness, Server, observe, ops_routes};
use shared_runtime::outbox::Relay;
use shared_schemas::Event;
use shared_schemas::events::{OwnershipTransferred, TelemetryReceived};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;
use crate::events::maintenance::Maintenance;
use crate::events::{GROUP, TelemetryConsumer, TransferConsumer};
use crate::openapi::ApiDoc;
use crate::pipeline::Assessor;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// `health_db`.
    pub db: PgPool,
    /// User token verification.
    pub jwt: Arc<Jwt>,
    /// Assessments (recompute).
    pub assessor: Arc<Assessor>,
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

/// The health engine: the bundled model, or `HEALTH_MODEL_PATH`'s.
pub fn engine(config: &Config) -> anyhow::Result<Engine> {
    match &config.model_path {
        Some(path) => {
            let model = RulModel::from_path(path)
                .with_context(|| format!("loading HEALTH_MODEL_PATH={}", path.display()))?;
            Ok(Engine::new(model))
        }
        None => Engine::bundled().context("loading the bundled health model"),
    }
}

/// A built service, listening, not yet serving.
#[derive(Debug)]
pub struct Application(Server);

impl Application {
    /// Connects, migrates, loads the model, starts the consumer, the outbox relay and
    /// the maintenance task, and binds the port.
    pub async fn build(config: Config, shutdown: CancellationToken) -> anyhow::Result<Self> {
        let common = &config.common;
        let engine = engine(&config)?;
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
        let assessor = Arc::new(Assessor::new(
            db.clone(),
            engine,
            config.cache_vehicles,
            config.computed_every,
            relay.notifier(),
        ));
        tracing::info!(
            model_version = assessor.model_version(),
            "health engine loaded"
        );
        let transfers = Consumer::new(
            redis::Client::open(common.redis_url.expose())?,
            keys.clone(),
            ConsumerConfig::new(GROUP, [OwnershipTransferred::TYPE]),
            Arc::new(TransferConsumer::new(db.clone())),
        );
        let consumer = BatchConsumer::new(
            redis::Client::open(common.redis_url.expose())?,
            keys,
            ConsumerConfig::new(GROUP, [TelemetryReceived::TYPE])
                .batch_size(config.batch)
                .min_idle(config.reclaim_idle),
            Arc::new(TelemetryConsumer::new(Arc::clone(&assessor))),
        );
        let maintenance = Maintenance::new(
            db.clone(),
            Arc::clone(&assessor),
            config.maintenance_every,
            config.history_retention_days,
        );
        let mut tasks = Vec::new();
        let token = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = consumer.run(token).await {
                tracing::error!(error = ?e, "telemetry consumer stopped");
            }
        }));
        let token = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = transfers.run(token).await {
                tracing::error!(error = ?e, "transfer consumer stopped");
            }
        }));
        tasks.push(tokio::spawn(relay.run(shutdown.clone())));
        tasks.push(tokio::spawn(maintenance.run(shutdown.clone())));

        let state = AppState {
            db: db.clone(),
            jwt: Arc::new(Jwt::new(&common.jwt_secret)),
            assessor,
        };
        let router = router(state, Readiness { db, redis });
        let server = Server::bind("health", common.bind_addr, router, tasks, shutdown).await?;
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
