//! Building the service: identity (keys, bootstrap admin, service clients), the audit
//! and metrics consumers, the report scheduler, the routes.

use std::sync::Arc;

use shared_runtime::config::Secret;
use shared_runtime::http::Server;
use shared_runtime::service::Service;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::config::Config;
use crate::events::audit::AuditRecorder;
use crate::openapi::ApiDoc;
use crate::pipeline::audit::Auditor;
use crate::pipeline::gateway::Gateway;
use crate::pipeline::identity::Identity;
use crate::pipeline::mailer::Mailer;
use crate::pipeline::metrics::Metrics;
use crate::pipeline::reports::Reports;
use crate::pipeline::reports::scheduler::Scheduler;
use crate::state::AppState;

/// The service, bound and not yet serving: `port()`, then `run()`.
pub type Application = Server;

/// Connects, migrates, loads the signing keys, creates the first admin when there is
/// no user yet, starts the consumers and the outbox relay, and binds the port.
pub async fn build(config: Config, shutdown: CancellationToken) -> anyhow::Result<Application> {
    crate::install_crypto();
    let migrations = sqlx::migrate!("./migrations");
    let mut service = Service::connect("analytics", &config.common, &migrations, shutdown)
        .await?
        .audit_recorded_elsewhere(&[crate::routes::dashboard::FORWARD_ROUTE]);
    let mailer = Mailer::new(
        service.db.clone(),
        config.smtp_url.as_ref().map(Secret::expose),
        &config.mail_from,
    )?;
    let identity = Identity::new(service.db.clone(), &config, mailer.notifier())?;
    identity.bootstrap().await?;
    let jwt = Arc::new(identity.verifier(&config.common));

    crate::events::metrics::start(&mut service)?;
    let metrics = Metrics::new(service.db.clone());
    let reports = Reports::new(metrics.clone());
    let scheduler = Scheduler::new(service.db.clone(), reports.clone(), mailer.notifier());
    let report_wake = scheduler.notifier();
    service.tasks.spawn(scheduler.run(service.tasks.shutdown()));
    service.tasks.spawn(mailer.run(service.tasks.shutdown()));
    let auditor = Auditor::new(service.db.clone());
    service.consume_batches(
        "audit consumer",
        crate::events::audit::consumer_config().backfill_yields_to(config.audit_yields_to.clone()),
        AuditRecorder::new(auditor.clone()),
    )?;

    let state = AppState {
        db: service.db.clone(),
        jwt,
        identity,
        metrics,
        reports,
        report_wake,
        auditor,
        gateway: Gateway::new(&config.dashboard)?,
    };
    let routes = crate::routes::router().with_state(state);
    service.serve(routes, ApiDoc::openapi()).await
}
