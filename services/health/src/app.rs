//! Building the service: the engine, the consumers (telemetry, transfers, repairs), the
//! maintenance task, the routes.

use std::sync::Arc;

use anyhow::Context;
use models::health::{Engine, RulModel};
use shared_runtime::consumer::ConsumerConfig;
use shared_runtime::http::Server;
use shared_runtime::service::Service;
use shared_schemas::Event;
use shared_schemas::events::{AppointmentCompleted, OwnershipTransferred, TelemetryReceived};
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::config::Config;
use crate::events::maintenance::Maintenance;
use crate::events::repairs::INBOX_RETENTION_DAYS;
use crate::events::{GROUP, REPAIRS_GROUP, RepairConsumer, TelemetryConsumer, TransferConsumer};
use crate::openapi::ApiDoc;
use crate::pipeline::Assessor;
use crate::state::AppState;

/// The service, bound and not yet serving: `port()`, then `run()`.
pub type Application = Server;

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

/// Loads the model, connects, migrates, starts the consumers, the outbox relay and the
/// maintenance task, and binds the port.
pub async fn build(config: Config, shutdown: CancellationToken) -> anyhow::Result<Application> {
    let engine = engine(&config)?;
    let migrations = sqlx::migrate!("./migrations");
    let mut service = Service::connect("health", &config.common, &migrations, shutdown).await?;
    let assessor = Arc::new(Assessor::new(
        service.db.clone(),
        engine,
        config.cache_vehicles,
        config.computed_every,
        service.outbox_notifier(),
    ));
    tracing::info!(
        model_version = assessor.model_version(),
        "health engine loaded"
    );
    service.consume_batches(
        "telemetry consumer",
        ConsumerConfig::new(GROUP, [TelemetryReceived::TYPE])
            .batch_size(config.batch)
            .min_idle(config.reclaim_idle),
        Arc::new(TelemetryConsumer::new(Arc::clone(&assessor))),
    )?;
    service.consume(
        "transfer consumer",
        ConsumerConfig::new(GROUP, [OwnershipTransferred::TYPE]),
        Arc::new(TransferConsumer::new(service.db.clone())),
    )?;
    service.consume(
        "repair consumer",
        ConsumerConfig::new(REPAIRS_GROUP, [AppointmentCompleted::TYPE]),
        Arc::new(RepairConsumer::new(Arc::clone(&assessor))),
    )?;
    service.prune_inbox(INBOX_RETENTION_DAYS);
    let maintenance = Maintenance::new(
        service.db.clone(),
        Arc::clone(&assessor),
        config.maintenance_every,
        config.history_retention_days,
    );
    service
        .tasks
        .spawn(maintenance.run(service.tasks.shutdown()));

    let state = AppState {
        db: service.db.clone(),
        jwt: service.jwt()?,
        assessor,
    };
    let routes = crate::routes::router().with_state(state);
    service.serve(routes, ApiDoc::openapi()).await
}
