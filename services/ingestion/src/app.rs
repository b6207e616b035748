//! Building and running the service: state, router, background tasks.

use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::FromRef;
use shared_runtime::auth::Jwt;
use shared_runtime::bus::Keys;
use shared_runtime::consumer::{BatchConsumer, ConsumerConfig};
use shared_runtime::http::{Readiness, Server, observe, ops_routes};
use shared_runtime::outbox::Relay;
use shared_schemas::Event;
use shared_schemas::events::TelemetryReceived;
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;
use crate::db::device_keys;
use crate::device_auth::{DeviceKeys, hash_key};
use crate::domain::validate::Limits;
use crate::events::audit::{self, AuditWriter};
use crate::events::intake::Intake;
use crate::openapi::ApiDoc;
use crate::ownership::Owners;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// `ingestion_db`.
    pub db: PgPool,
    /// The hand-off to the streams.
    pub intake: Intake,
    /// Device key verification.
    pub device_keys: Arc<DeviceKeys>,
    /// User token verification.
    pub jwt: Arc<Jwt>,
    /// Validation limits.
    pub limits: Arc<Limits>,
    /// Largest batch.
    pub max_batch: usize,
    /// Which organization each vehicle belongs to.
    pub owners: Arc<Owners>,
    /// Pokes the outbox relay after a commit that enqueued events.
    pub relay: Arc<Notify>,
    /// The telemetry counters, registered once (the hot path only increments).
    pub metrics: Arc<IntakeMetrics>,
}

/// What became of readings: `ingestion_readings_total{outcome}` and
/// `ingestion_foreign_vehicle_refusals_total`.
#[derive(Debug)]
pub struct IntakeMetrics {
    /// Appended to the stream.
    pub accepted: metrics::Counter,
    /// Already accepted under the same key.
    pub duplicate: metrics::Counter,
    /// Refused.
    pub rejected: metrics::Counter,
    /// Refused because the vehicle belongs to another organization (counted in
    /// `rejected` too).
    pub foreign_vehicle: metrics::Counter,
}

impl IntakeMetrics {
    fn register() -> Self {
        // A handle taken before the recorder exists would count into nothing.
        shared_runtime::http::metrics_handle();
        let outcome =
            |o: &'static str| metrics::counter!("ingestion_readings_total", "outcome" => o);
        Self {
            accepted: outcome("accepted"),
            duplicate: outcome("duplicate"),
            rejected: outcome("rejected"),
            foreign_vehicle: metrics::counter!("ingestion_foreign_vehicle_refusals_total"),
        }
    }
}

impl FromRef<AppState> for Arc<Jwt> {
    fn from_ref(s: &AppState) -> Self {
        s.jwt.clone()
    }
}

impl FromRef<AppState> for Arc<DeviceKeys> {
    fn from_ref(s: &AppState) -> Self {
        s.device_keys.clone()
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

/// A built service, listening, not yet serving.
#[derive(Debug)]
pub struct Application(Server);

impl Application {
    /// Connects, migrates, bootstraps, starts the audit writer and binds the port.
    pub async fn build(config: Config, shutdown: CancellationToken) -> anyhow::Result<Self> {
        let common = &config.common;
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
        if let Some(key) = &config.bootstrap_device_key {
            bootstrap_key(&db, key.expose(), &config.bootstrap_org).await?;
        }

        let consumer = BatchConsumer::new(
            redis::Client::open(common.redis_url.expose())?,
            keys.clone(),
            ConsumerConfig::new(audit::GROUP, [TelemetryReceived::TYPE])
                .batch_size(config.audit_batch)
                .min_idle(std::time::Duration::from_millis(config.audit_reclaim_ms)),
            Arc::new(AuditWriter::new(db.clone())),
        );
        let relay = Relay::lazy(
            db.clone(),
            common.redis_url.expose(),
            keys.clone(),
            common.stream_max_len,
        )
        .context("outbox relay (REDIS_URL)")?;
        let notifier = relay.notifier();
        let token = shutdown.clone();
        let tasks = vec![
            tokio::spawn(async move {
                if let Err(e) = consumer.run(token).await {
                    tracing::error!(error = ?e, "audit writer stopped");
                }
            }),
            tokio::spawn(relay.run(shutdown.clone())),
        ];

        let state = AppState {
            intake: Intake::new(
                redis.clone(),
                keys,
                common.stream_max_len,
                config.dedupe_ttl_s,
            ),
            device_keys: Arc::new(DeviceKeys::new(db.clone())),
            jwt: Arc::new(Jwt::new(&common.jwt_secret)),
            limits: Arc::new(Limits {
                max_future: chrono::Duration::seconds(config.max_future_s),
                max_age: chrono::Duration::seconds(config.max_age_s),
            }),
            max_batch: config.max_batch,
            owners: Arc::new(Owners::new(db.clone(), config.claim_policy)),
            relay: notifier,
            metrics: Arc::new(IntakeMetrics::register()),
            db: db.clone(),
        };
        let router = router(state, Readiness { db, redis });
        let server = Server::bind("ingestion", common.bind_addr, router, tasks, shutdown).await?;
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

async fn bootstrap_key(db: &PgPool, key: &str, org: &str) -> anyhow::Result<()> {
    let prefix: String = key.chars().take(10).collect();
    let created = device_keys::insert(
        db,
        &device_keys::Insert {
            org_id: org,
            name: "bootstrap (INGESTION_BOOTSTRAP_DEVICE_KEY)",
            key_prefix: &prefix,
            key_hash: &hash_key(key),
            vehicle_ids: &[],
            created_by: "bootstrap",
        },
    )
    .await
    .context("creating the bootstrap device key")?;
    if created.is_some() {
        tracing::info!(org, "bootstrap device key created");
    } else if device_keys::reinstate(db, &hash_key(key))
        .await
        .context("reinstating the bootstrap device key")?
    {
        tracing::warn!(
            org,
            "bootstrap device key was revoked: reinstated (INGESTION_BOOTSTRAP_DEVICE_KEY is set)"
        );
    }
    Ok(())
}
