//! Building the service: the booker, the decision consumer, the maintenance-plan
//! timer, the routes.

use std::sync::Arc;
use std::time::Duration;

use shared_runtime::consumer::ConsumerConfig;
use shared_runtime::http::Server;
use shared_runtime::service::Service;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::config::Config;
use crate::events::decisions::{DecisionConsumer, EVENT_TYPES, GROUP};
use crate::openapi::ApiDoc;
use crate::pipeline::booking::Booker;
use crate::pipeline::maintenance::PlanChecker;
use crate::pipeline::vehicles::Vehicles;
use crate::state::AppState;

/// The service, bound and not yet serving: `port()`, then `run()`.
pub type Application = Server;

/// Connects, migrates, starts the decision consumer, the plan checker and the outbox
/// relay, and binds the port.
pub async fn build(config: Config, shutdown: CancellationToken) -> anyhow::Result<Application> {
    let migrations = sqlx::migrate!("./migrations");
    let mut service = Service::connect("scheduling", &config.common, &migrations, shutdown).await?;
    let jwt = service.jwt()?;
    let vehicles = match &config.health_url {
        Some(url) => Vehicles::remote(
            service.db.clone(),
            url,
            service.service_tokens()?,
            config.health_timeout,
        )?,
        None => Vehicles::unknown(service.db.clone()),
    };
    let booker = Booker::new(
        service.db.clone(),
        service.outbox_notifier(),
        vehicles,
        config.optimize_budget,
    );
    service.consume(
        "decision consumer",
        ConsumerConfig::new(GROUP, EVENT_TYPES)
            .batch_size(32)
            .concurrency(1)
            .block(Duration::from_millis(500)),
        Arc::new(DecisionConsumer::new(booker.clone())),
    )?;
    let checker = PlanChecker::new(booker.clone(), config.plans_every);
    service.tasks.spawn(checker.run(service.tasks.shutdown()));
    service.prune_inbox(config.inbox_retention_days);

    let state = AppState {
        db: service.db.clone(),
        jwt,
        booker,
    };
    let routes = crate::routes::router().with_state(state);
    service.serve(routes, ApiDoc::openapi()).await
}
