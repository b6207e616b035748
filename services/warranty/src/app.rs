//! Building the service: the routes and the outbox relay.

use shared_runtime::http::Server;
use shared_runtime::service::Service;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::config::Config;
use crate::openapi::ApiDoc;
use crate::state::AppState;

/// The service, bound and not yet serving: `port()`, then `run()`.
pub type Application = Server;

/// Connects, migrates, starts the outbox relay and binds the port.
pub async fn build(config: Config, shutdown: CancellationToken) -> anyhow::Result<Application> {
    let migrations = sqlx::migrate!("./migrations");
    let service = Service::connect("warranty", &config.common, &migrations, shutdown).await?;
    let state = AppState {
        db: service.db.clone(),
        jwt: service.jwt()?,
    };
    let routes = crate::routes::router().with_state(state);
    service.serve(routes, ApiDoc::openapi()).await
}
