//! Building the service: the agent and its tools, the health-event consumers, the
//! overdue-review check, the routes.

use std::sync::Arc;

use anyhow::Context;
use shared_runtime::auth::ServiceTokens;
use shared_runtime::consumer::{ConsumerConfig, Handler};
use shared_runtime::http::Server;
use shared_runtime::service::Service;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::config::Config;
use crate::events::consumer::{EVENT_TYPES, VehicleLocks};
use crate::events::{GROUP, HealthEventConsumer, Recorder};
use crate::llm::LlmClient;
use crate::openapi::ApiDoc;
use crate::pipeline::Agent;
use crate::state::AppState;
use crate::tools::{HealthClient, SchedulingClient, Toolbox, WarrantyClient};

/// The service, bound and not yet serving: `port()`, then `run()`.
pub type Application = Server;

/// The agent of `config`: the model when configured, the health, scheduling and
/// warranty tools.
pub fn agent(config: &Config, tokens: Arc<ServiceTokens>) -> anyhow::Result<Agent> {
    let health = HealthClient::new(&config.health_url, Arc::clone(&tokens), config.tool_timeout)
        .context("health client (AGENT_HEALTH_URL)")?;
    let scheduling = config
        .scheduling_url
        .as_deref()
        .map(|url| SchedulingClient::new(url, Arc::clone(&tokens), config.tool_timeout))
        .transpose()
        .context("scheduling client (AGENT_SCHEDULING_URL)")?;
    let warranty = config
        .warranty_url
        .as_deref()
        .map(|url| WarrantyClient::new(url, Arc::clone(&tokens), config.tool_timeout))
        .transpose()
        .context("warranty client (AGENT_WARRANTY_URL)")?;
    let llm = config
        .llm
        .clone()
        .map(LlmClient::new)
        .transpose()
        .context("model provider client (AGENT_LLM_*)")?;
    Ok(Agent::new(
        llm,
        Toolbox::new(Arc::new(health))
            .with_scheduling(scheduling)
            .with_warranty(warranty),
        config.currency.clone(),
    ))
}

/// Connects, migrates, starts the health-event consumers and the outbox relay, and binds
/// the port.
pub async fn build(config: Config, shutdown: CancellationToken) -> anyhow::Result<Application> {
    let migrations = sqlx::migrate!("./migrations");
    let mut service = Service::connect("agent", &config.common, &migrations, shutdown).await?;
    let jwt = service.jwt()?;
    let agent = Arc::new(agent(&config, service.service_tokens()?)?);
    log_decider(&agent);
    let recorder = Recorder::new(
        service.db.clone(),
        service.outbox_notifier(),
        config.review_min_window,
    );
    let handler: Arc<dyn Handler> = Arc::new(HealthEventConsumer::new(
        service.db.clone(),
        Arc::clone(&agent),
        recorder.clone(),
        Arc::new(VehicleLocks::default()),
    ));
    for _ in 0..config.consumers {
        service.consume(
            "health-event consumer",
            ConsumerConfig::new(GROUP, EVENT_TYPES)
                .batch_size(config.batch)
                .concurrency(config.concurrency)
                .min_idle(config.reclaim_idle),
            Arc::clone(&handler),
        )?;
    }
    service.prune_inbox(config.inbox_retention_days);
    let overdue = crate::events::overdue::run(
        recorder.clone(),
        config.review_check_every,
        service.tasks.shutdown(),
    );
    service.tasks.spawn(overdue);

    let state = AppState {
        db: service.db.clone(),
        jwt,
        agent,
        recorder,
        redis: service.redis.clone(),
        keys: service.keys.clone(),
    };
    let routes = crate::routes::router().with_state(state);
    service.serve(routes, ApiDoc::openapi()).await
}

/// Says who decides: the configured model (the rules when it fails) or the rules.
fn log_decider(agent: &Agent) {
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
}
