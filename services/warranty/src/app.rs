//! Building the service: the claim desk, the routes and the outbox relay.

use std::sync::Arc;

use shared_runtime::http::Server;
use shared_runtime::service::Service;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::config::Config;
use crate::openapi::ApiDoc;
use crate::pipeline::claims::{ClaimDesk, CoverageOnly, Decide};
use crate::state::AppState;
use crate::storage::Storage;

/// The service, bound and not yet serving: `port()`, then `run()`.
pub type Application = Server;

/// Connects, migrates, starts the outbox relay and binds the port, deciding claims on
/// coverage alone.
pub async fn build(config: Config, shutdown: CancellationToken) -> anyhow::Result<Application> {
    build_with(config, Arc::new(CoverageOnly), shutdown).await
}

/// [`build`] with `decide` analysing the claims.
pub async fn build_with(
    config: Config,
    decide: Arc<dyn Decide>,
    shutdown: CancellationToken,
) -> anyhow::Result<Application> {
    let migrations = sqlx::migrate!("./migrations");
    let service = Service::connect("warranty", &config.common, &migrations, shutdown).await?;
    let desk = ClaimDesk::new(
        service.db.clone(),
        service.outbox_notifier(),
        Storage::new(&config.data_dir),
        decide,
    );
    let state = AppState {
        db: service.db.clone(),
        jwt: service.jwt()?,
        desk,
        max_attachment_bytes: config.max_attachment_bytes,
    };
    let routes = crate::routes::router(config.max_attachment_bytes).with_state(state);
    service.serve(routes, ApiDoc::openapi()).await
}
