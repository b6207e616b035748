//! Building the service: channels, sender, digests, the alert life cycle, consumers,
//! timers, the live feed and the routes.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use shared_runtime::consumer::ConsumerConfig;
use shared_runtime::http::Server;
use shared_runtime::service::Service;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::config::Config;
use crate::db::liveness::Rule;
use crate::delivery::calendar::CalendarClient;
use crate::delivery::digest::{DigestConfig, Digests};
use crate::delivery::notices::{NoticeConfig, Notices};
use crate::delivery::{Channels, Retries, Sender, SenderConfig, email, http};
use crate::domain::link::LinkSigner;
use crate::events::feed::Feed;
use crate::events::liveness::{self, LivenessConsumer, Staleness};
use crate::events::notices::{NoticeConsumer, Source};
use crate::events::{AlertConsumer, EVENT_TYPES, GROUP};
use crate::events::{appointments, claims};
use crate::openapi::ApiDoc;
use crate::pipeline::{Alerting, Policy};
use crate::state::AppState;

/// The service, bound and not yet serving: `port()`, then `run()`.
pub type Application = Server;

/// The channels `config` enables.
pub fn channels(config: &Config) -> anyhow::Result<Channels> {
    let timeout = config.send_timeout;
    Ok(Channels {
        email: config
            .smtp
            .as_ref()
            .map(|s| email::EmailSender::new(s.url.expose(), &s.from, timeout))
            .transpose()?,
        sms: config
            .sms
            .as_ref()
            .map(|s| http::SmsSender::new(s, timeout))
            .transpose()
            .context("SMS client (ALERT_SMS_*)")?,
        push: config
            .push
            .as_ref()
            .map(|p| http::PushSender::new(p, timeout))
            .transpose()
            .context("push client (ALERT_PUSH_*)")?,
        webhook: config
            .webhook_secret
            .clone()
            .map(|s| http::WebhookSender::new(s, timeout))
            .transpose()
            .context("webhook client")?,
    })
}

/// Connects, migrates, starts the consumers, the delivery sender, the planning digest,
/// the escalation and staleness timers, the feed and the outbox relay, and binds the
/// port.
pub async fn build(config: Config, shutdown: CancellationToken) -> anyhow::Result<Application> {
    let channels = channels(&config)?;
    let configured = channels.configured();
    tracing::info!(channels = ?configured, "delivery channels configured");
    let migrations = sqlx::migrate!("./migrations");
    let mut service = Service::connect("alert", &config.common, &migrations, shutdown)
        .await?
        .outbox_poll(Duration::from_millis(500));
    let db = service.db.clone();
    let links = LinkSigner::new(config.link_secret.expose());
    if let Some(every) = config.digest_every {
        let digests = Digests::new(
            db.clone(),
            channels.email.clone(),
            digest_config(&config, every),
        );
        service.tasks.spawn(digests.run(service.tasks.shutdown()));
    }
    start_notices(&mut service, &config, channels.email.clone())?;
    let sender = Sender::new(db.clone(), channels, links.clone(), sender_config(&config));
    let alerting = Alerting::new(
        db.clone(),
        Policy {
            delays: config.escalation_delays.clone(),
            max_steps: config.max_escalation_steps,
            decision_wait: config.decision_wait,
            rate_limits: config.rate_limits.clone(),
            configured,
        },
        sender.notifier(),
        service.outbox_notifier(),
    );
    service.tasks.spawn(sender.run(service.tasks.shutdown()));
    start_consumers(&mut service, &config, &alerting)?;
    start_timers(&mut service, &config, &alerting);
    let feed = Feed::new();
    let feed_task = feed.clone().run(
        service.redis_target()?,
        service.keys.clone(),
        service.tasks.shutdown(),
    );
    service.tasks.spawn(feed_task);
    service.prune_inbox(config.inbox_retention_days);

    let state = AppState {
        db,
        jwt: service.jwt()?,
        alerting,
        links,
        link_confirm: config.link_confirm,
        feed,
    };
    let routes = crate::routes::router().with_state(state);
    service.serve(routes, ApiDoc::openapi()).await
}

/// The decision consumer (alerts from decisions) and the liveness consumer (when each
/// vehicle was last heard from).
fn start_consumers(
    service: &mut Service,
    config: &Config,
    alerting: &Alerting,
) -> anyhow::Result<()> {
    service.consume(
        "alert consumer",
        ConsumerConfig::new(GROUP, EVENT_TYPES)
            .batch_size(config.batch)
            .concurrency(config.concurrency)
            .block(Duration::from_millis(500)),
        Arc::new(AlertConsumer::new(alerting.clone())),
    )?;
    service.consume_batches(
        "liveness consumer",
        ConsumerConfig::new(liveness::GROUP, [liveness::EVENT_TYPE]).batch_size(1_000),
        Arc::new(LivenessConsumer::new(service.db.clone())),
    )
}

/// The notices (ADR 0016): the appointment and claim consumers and their sender, with
/// calendar files from the scheduling service when `ALERT_SCHEDULING_URL` is set and
/// links to the warranty service at `ALERT_WARRANTY_URL`.
fn start_notices(
    service: &mut Service,
    config: &Config,
    email: Option<email::EmailSender>,
) -> anyhow::Result<()> {
    let calendar = match &config.scheduling_url {
        Some(url) => Some(
            CalendarClient::new(url, service.service_tokens()?, config.send_timeout)
                .context("scheduling client (ALERT_SCHEDULING_URL)")?,
        ),
        None => None,
    };
    let notice_config = NoticeConfig {
        tick: config.tick,
        retries: Retries {
            max_attempts: config.max_attempts,
            base: config.retry_base,
            max: config.retry_max,
        },
        send_timeout: config.send_timeout,
        lease: config.sender_lease,
        scheduling_url: config.scheduling_url.clone(),
        warranty_url: config.warranty_url.clone(),
    };
    let configured = email.is_some();
    let notices = Notices::new(service.db.clone(), email, calendar, notice_config);
    let sources: [(&str, Source); 2] = [
        ("appointment consumer", appointments::SOURCE),
        ("claim consumer", claims::SOURCE),
    ];
    for (name, source) in sources {
        let consumer =
            NoticeConsumer::new(service.db.clone(), source, configured, notices.notifier());
        service.consume(
            name,
            ConsumerConfig::new(source.group, source.event_types.iter().copied())
                .batch_size(config.batch)
                .concurrency(config.concurrency)
                .block(Duration::from_millis(500)),
            Arc::new(consumer),
        )?;
    }
    service.tasks.spawn(notices.run(service.tasks.shutdown()));
    Ok(())
}

/// The staleness check (vehicles gone silent) and the escalation timer.
fn start_timers(service: &mut Service, config: &Config, alerting: &Alerting) {
    let staleness = Staleness::new(
        alerting.clone(),
        Rule {
            min_samples: config.stale_min_samples,
            min_s: config.stale_min.as_secs_f64(),
            factor: config.stale_factor,
            max_gap_s: config.stale_max_gap.as_secs_f64(),
        },
        config.stale_check,
    );
    service.tasks.spawn(staleness.run(service.tasks.shutdown()));
    let escalate = escalations(alerting.clone(), config.tick, service.tasks.shutdown());
    service.tasks.spawn(escalate);
}

fn digest_config(config: &Config, every: Duration) -> DigestConfig {
    DigestConfig {
        every,
        tick: config.tick,
        max_attempts: config.max_attempts,
        retry_base: config.retry_base,
        retry_max: config.retry_max,
        send_timeout: config.send_timeout,
        lease: config.sender_lease,
    }
}

fn sender_config(config: &Config) -> SenderConfig {
    SenderConfig {
        max_attempts: config.max_attempts,
        retry_base: config.retry_base,
        retry_max: config.retry_max,
        send_timeout: config.send_timeout,
        concurrency: config.send_concurrency,
        lease: config.sender_lease,
        poll: Duration::from_millis(250),
        public_url: config.public_url.clone(),
        link_ttl: config.link_ttl,
    }
}

/// Moves due alerts up the escalation chain every `tick`.
async fn escalations(alerting: Alerting, tick: Duration, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(tick) => {}
        }
        match alerting.escalate_due().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(alerts = n, "alerts escalated"),
            Err(e) => tracing::warn!(error = format!("{e:#}"), "escalation pass failed; retrying"),
        }
    }
}
