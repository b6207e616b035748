//! Building the service: bootstrap key, audit writer, intake, routes.

use std::sync::Arc;

use anyhow::Context;
use shared_runtime::consumer::ConsumerConfig;
use shared_runtime::http::Server;
use shared_runtime::service::Service;
use shared_schemas::Event;
use shared_schemas::events::TelemetryReceived;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::backlog::Backlog;
use crate::config::Config;
use crate::db::device_keys;
use crate::device_auth::{DeviceKeys, hash_key};
use crate::domain::validate::Limits;
use crate::events::audit::{self, AuditWriter};
use crate::openapi::ApiDoc;
use crate::ownership::Owners;
use crate::pipeline::{Intake, StreamLimits};
use crate::state::{AppState, IntakeMetrics};

/// The service, bound and not yet serving: `port()`, then `run()`.
pub type Application = Server;

/// Connects, migrates, bootstraps, starts the audit writer and the intake's writers,
/// and binds the port.
pub async fn build(config: Config, shutdown: CancellationToken) -> anyhow::Result<Application> {
    let migrations = sqlx::migrate!("./migrations");
    // Each accepted reading becomes a vehicle.telemetry.received (a refused one a
    // .rejected) that the audit records: a request entry per device call would double
    // the audit's load at ingestion's peak. Refused calls (bad key) are still recorded.
    let mut service = Service::connect("ingestion", &config.common, &migrations, shutdown)
        .await?
        .audit_recorded_elsewhere(crate::routes::telemetry::ROUTES);
    let db = service.db.clone();
    if let Some(key) = &config.bootstrap_device_key {
        bootstrap_key(&db, key.expose(), &config.bootstrap_org).await?;
    }
    service.consume_batches(
        "audit writer",
        ConsumerConfig::new(audit::GROUP, [TelemetryReceived::TYPE])
            .batch_size(config.audit_batch)
            .min_idle(std::time::Duration::from_millis(config.audit_reclaim_ms))
            .backfill_yields_to(config.audit_yields_to.clone()),
        Arc::new(AuditWriter::new(db.clone())),
    )?;
    let intake = Intake::new(
        service.redis.clone(),
        service.keys.clone(),
        StreamLimits {
            max_len: config.common.stream_max_len,
            dedupe_ttl_s: config.dedupe_ttl_s,
        },
        chrono::Duration::seconds(config.backfill.after_s),
        &mut service.tasks,
    );
    let backlog = Backlog::new(config.backfill.clone());
    let watch = Arc::clone(&backlog).watch(
        service.redis.clone(),
        service.keys.clone(),
        service.tasks.shutdown(),
    );
    service.tasks.spawn(watch);
    let state = AppState {
        intake,
        device_keys: Arc::new(DeviceKeys::new(db.clone())),
        jwt: service.jwt()?,
        limits: Arc::new(Limits {
            max_future: chrono::Duration::seconds(config.max_future_s),
            max_age: chrono::Duration::seconds(config.max_age_s),
        }),
        max_batch: config.max_batch,
        backlog,
        owners: Arc::new(Owners::new(db.clone(), config.claim_policy)),
        relay: service.outbox_notifier(),
        metrics: Arc::new(IntakeMetrics::register()),
        db,
    };
    if let Some(mqtt) = config.mqtt.clone() {
        crate::mqtt::start(mqtt, state.clone(), &mut service.tasks).await?;
    }
    let routes = crate::routes::router().with_state(state);
    service.serve(routes, ApiDoc::openapi()).await
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
