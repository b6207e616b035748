//! Building the service: the claim desk with its retry sweeper, the routes and the
//! outbox relay.

use std::sync::Arc;

use anyhow::Context;

use shared_runtime::http::Server;
use shared_runtime::service::Service;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::config::Config;
use crate::openapi::ApiDoc;
use crate::pipeline::analysis::Analysis;
use crate::pipeline::claims::{ClaimDesk, Decide};
use crate::pipeline::record::{Records, Sources};
use crate::pipeline::retry::Sweeper;
use crate::state::AppState;
use crate::storage::Storage;

/// The service, bound and not yet serving: `port()`, then `run()`.
pub type Application = Server;

/// Connects, migrates, opens the claim index, starts the retry sweeper and the outbox
/// relay and binds the port; claims are analysed by the fraud engine ([`Analysis`]).
pub async fn build(config: Config, shutdown: CancellationToken) -> anyhow::Result<Application> {
    build_inner(config, None, shutdown).await
}

/// [`build`] with `decide` analysing the claims (tests; `CoverageOnly` decides on
/// coverage alone).
pub async fn build_with(
    config: Config,
    decide: Arc<dyn Decide>,
    shutdown: CancellationToken,
) -> anyhow::Result<Application> {
    build_inner(config, Some(decide), shutdown).await
}

/// The fraud engine: the vehicle's record from the configured services (with this
/// service's token), the claim index (embedded, or a Qdrant server).
async fn analysis(config: &Config, service: &Service) -> anyhow::Result<Arc<dyn Decide>> {
    let sources = Sources {
        health: config.health_url.clone(),
        ingestion: config.ingestion_url.clone(),
        alert: config.alert_url.clone(),
        scheduling: config.scheduling_url.clone(),
    };
    let any = sources.health.is_some()
        || sources.ingestion.is_some()
        || sources.alert.is_some()
        || sources.scheduling.is_some();
    let tokens = if any {
        Some(service.service_tokens()?)
    } else {
        None
    };
    let records = Records::new(sources, tokens, config.lookup_timeout)?;
    let (url, dir) = (config.qdrant_url.clone(), config.data_dir.clone());
    let index = tokio::task::spawn_blocking(move || crate::similar::open(url.as_deref(), &dir))
        .await?
        .context("opening the claim index (WARRANTY_DATA_DIR or QDRANT_URL)")?;
    Ok(Arc::new(Analysis::new(service.db.clone(), records, index)))
}

async fn build_inner(
    config: Config,
    decide: Option<Arc<dyn Decide>>,
    shutdown: CancellationToken,
) -> anyhow::Result<Application> {
    let migrations = sqlx::migrate!("./migrations");
    let mut service = Service::connect("warranty", &config.common, &migrations, shutdown).await?;
    let decide = match decide {
        Some(d) => d,
        None => analysis(&config, &service).await?,
    };
    let desk = ClaimDesk::new(
        service.db.clone(),
        service.outbox_notifier(),
        Storage::new(&config.data_dir),
        decide,
    )
    .with_max_attempts(config.retry_max_attempts);
    let sweeper = Sweeper::new(desk.clone(), config.retry_after);
    service.tasks.spawn(sweeper.run(service.tasks.shutdown()));
    let state = AppState {
        db: service.db.clone(),
        jwt: service.jwt()?,
        desk,
        max_attachment_bytes: config.max_attachment_bytes,
    };
    let routes = crate::routes::router(config.max_attachment_bytes).with_state(state);
    service.serve(routes, ApiDoc::openapi()).await
}
