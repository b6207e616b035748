//! The skeleton every service is built on: what `Application::build` used to repeat in
//! each service. [`Service::connect`] opens the database (and migrates it), Redis and
//! the outbox relay; background work is spawned on [`Tasks`], which the server joins on
//! the way out; [`Service::serve`] puts the service's routes behind the common ones
//! (health, metrics, OpenAPI, docs, request tracing) and binds the port.

use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::{JwksSource, Jwt, ServiceTokens};
use crate::bus::Keys;
use crate::config::CommonConfig;
use crate::consumer::{BatchConsumer, BatchHandler, Consumer, ConsumerConfig, Handler};
use crate::http::audit::{self, RequestAudit};
use crate::http::{Readiness, Server, observe, ops_routes};
use crate::outbox::Relay;
use crate::redis_conn::{RedisConn, RedisTarget};

/// A service binary's `main`: JSON logs, the configuration `read` from the environment
/// (the error names the variable), `build`, then serving until SIGTERM or Ctrl-C.
pub async fn main<C, E, B, Fut>(read: impl FnOnce() -> Result<C, E>, build: B) -> anyhow::Result<()>
where
    E: std::error::Error + Send + Sync + 'static,
    B: FnOnce(C, CancellationToken) -> Fut,
    Fut: Future<Output = anyhow::Result<Server>>,
{
    crate::telemetry::init_logging();
    let config = read().context("reading configuration")?;
    let shutdown = crate::shutdown::on_signal();
    build(config, shutdown).await?.run().await
}

/// The verifier `common` configures: the keys at `AUTH_JWKS_URL` and, when `JWT_SECRET`
/// is set, development tokens.
pub fn verifier(common: &CommonConfig) -> anyhow::Result<Jwt> {
    let mut jwt = match &common.jwks_url {
        Some(url) => Jwt::with_keys(JwksSource::remote(url.clone()).context("AUTH_JWKS_URL")?),
        None => Jwt::default(),
    };
    match &common.jwt_secret {
        Some(secret) => jwt = jwt.with_development_secret(secret),
        None if common.jwks_url.is_none() => anyhow::bail!(
            "no way to verify tokens: set AUTH_JWKS_URL (or JWT_SECRET for development)"
        ),
        None => {}
    }
    Ok(jwt)
}

/// Background tasks that belong to the shutdown protocol: each gets the shutdown token
/// (or stops when what feeds it closes) and the server waits for all of them after the
/// last request, so work in hand is finished, never dropped.
#[derive(Debug)]
pub struct Tasks {
    handles: Vec<JoinHandle<()>>,
    shutdown: CancellationToken,
}

impl Tasks {
    /// No tasks yet; `shutdown` stops them.
    pub fn new(shutdown: CancellationToken) -> Self {
        Self {
            handles: Vec::new(),
            shutdown,
        }
    }

    /// The token the tasks stop on.
    pub fn shutdown(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Spawns `task`, to be joined at shutdown.
    pub fn spawn(&mut self, task: impl Future<Output = ()> + Send + 'static) {
        self.handles.push(tokio::spawn(task));
    }

    /// Spawns `task`, to be joined at shutdown; if it fails, the error is logged as
    /// "`name` stopped" (a task that fails has given up: it is a defect or a bad
    /// configuration, not an outage, which tasks ride out themselves).
    pub fn spawn_logged<E: Debug + Send + 'static>(
        &mut self,
        name: &'static str,
        task: impl Future<Output = Result<(), E>> + Send + 'static,
    ) {
        self.spawn(async move {
            if let Err(e) = task.await {
                tracing::error!(error = ?e, "{name} stopped");
            }
        });
    }

    /// The handles, for the server to join.
    pub fn into_handles(self) -> Vec<JoinHandle<()>> {
        self.handles
    }
}

/// A service's connections and background tasks while it is being built.
#[derive(Debug)]
pub struct Service {
    name: &'static str,
    common: CommonConfig,
    /// The service's own database, migrated.
    pub db: PgPool,
    /// Redis, for requests (consumers open their own connections).
    pub redis: RedisConn,
    /// Stream and key names under the configured prefix.
    pub keys: Keys,
    /// Background tasks joined at shutdown.
    pub tasks: Tasks,
    relay: Relay,
    recorded_elsewhere: &'static [&'static str],
}

impl Service {
    /// Connects to the database (and applies `migrations`), to Redis, and prepares the
    /// outbox relay; the service is called `name` in the logs. Errors name the variable
    /// to check.
    pub async fn connect(
        name: &'static str,
        common: &CommonConfig,
        migrations: &Migrator,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Self> {
        let db = crate::db::connect(common.database_url.expose(), common.db_max_connections)
            .await
            .context("connecting to the database (DATABASE_URL)")?;
        crate::db::migrate(&db, migrations)
            .await
            .context("running migrations")?;
        let target = common.redis_target().context("REDIS_URL")?;
        let redis = target
            .shared()
            .await
            .context("connecting to Redis (REDIS_URL, REDIS_CLUSTER)")?;
        let keys = common.keys();
        let relay = Relay::lazy(db.clone(), &target, keys.clone(), common.stream_max_len)
            .context("outbox relay (REDIS_URL)")?;
        Ok(Self {
            name,
            common: common.clone(),
            db,
            redis,
            keys,
            tasks: Tasks::new(shutdown),
            relay,
            recorded_elsewhere: &[],
        })
    }

    /// The token verifier: the issuer's keys from `AUTH_JWKS_URL`, and development
    /// tokens when `JWT_SECRET` is set. Fails when neither is configured.
    pub fn jwt(&self) -> anyhow::Result<Arc<Jwt>> {
        verifier(&self.common).map(Arc::new)
    }

    /// Tokens for calling other services: this service's client credentials, or
    /// development tokens when only `JWT_SECRET` is set.
    pub fn service_tokens(&self) -> anyhow::Result<Arc<ServiceTokens>> {
        if let Some(credentials) = &self.common.service_credentials {
            return Ok(Arc::new(ServiceTokens::client_credentials(
                credentials.clone(),
            )?));
        }
        let secret = self.common.jwt_secret.as_ref().context(
            "no service credentials: set AUTH_TOKEN_URL, SERVICE_CLIENT_ID and SERVICE_CLIENT_SECRET",
        )?;
        Ok(Arc::new(ServiceTokens::development(
            Arc::new(Jwt::new(secret)),
            self.name,
        )))
    }

    /// Successful requests to `routes` are left out of the request audit: each becomes
    /// an event of its own, which the audit records anyway (ingestion's telemetry).
    #[must_use]
    pub fn audit_recorded_elsewhere(mut self, routes: &'static [&'static str]) -> Self {
        self.recorded_elsewhere = routes;
        self
    }

    /// The handle to poke after committing an outbox row.
    pub fn outbox_notifier(&self) -> Arc<Notify> {
        self.relay.notifier()
    }

    /// Sets how often the idle outbox relay looks for rows (default 1 s).
    #[must_use]
    pub fn outbox_poll(mut self, every: Duration) -> Self {
        self.relay = self.relay.poll_interval(every);
        self
    }

    /// Where Redis is (one server or a cluster), for connections of a task's own.
    pub fn redis_target(&self) -> anyhow::Result<RedisTarget> {
        self.common.redis_target().context("REDIS_URL")
    }

    /// Runs `handler` on each event of `config`'s consumer group until shutdown.
    pub fn consume(
        &mut self,
        name: &'static str,
        config: ConsumerConfig,
        handler: Arc<dyn Handler>,
    ) -> anyhow::Result<()> {
        let config = config.lease_ttl(self.common.stream_lease_ttl);
        let consumer = Consumer::new(self.redis_target()?, self.keys.clone(), config, handler);
        let token = self.tasks.shutdown();
        self.tasks.spawn_logged(name, consumer.run(token));
        Ok(())
    }

    /// Runs `handler` on batches of `config`'s consumer group until shutdown.
    pub fn consume_batches(
        &mut self,
        name: &'static str,
        config: ConsumerConfig,
        handler: Arc<dyn BatchHandler>,
    ) -> anyhow::Result<()> {
        let config = config.lease_ttl(self.common.stream_lease_ttl);
        let consumer = BatchConsumer::new(self.redis_target()?, self.keys.clone(), config, handler);
        let token = self.tasks.shutdown();
        self.tasks.spawn_logged(name, consumer.run(token));
        Ok(())
    }

    /// Prunes the inbox's delivery marks older than `retention_days` every hour.
    pub fn prune_inbox(&mut self, retention_days: i64) {
        self.tasks.spawn(crate::inbox::prune_every(
            self.db.clone(),
            chrono::Duration::days(retention_days),
            Duration::from_secs(3600),
            self.tasks.shutdown(),
        ));
    }

    /// Starts the outbox relay and binds the port: `routes` (state applied) behind
    /// `/health/*`, `/metrics`, `/openapi.json` (`api`) and `/docs`, every request
    /// traced and counted, every state-changing one audited ([`audit`]).
    pub async fn serve(
        mut self,
        routes: Router,
        api: utoipa::openapi::OpenApi,
    ) -> anyhow::Result<Server> {
        let token = self.tasks.shutdown();
        self.tasks.spawn(self.relay.run(token));
        let (audit, audit_publisher) = RequestAudit::new(
            self.name,
            crate::bus::Publisher::new(
                self.redis.clone(),
                self.keys.clone(),
                self.common.stream_max_len,
            ),
        );
        let audit = audit.recorded_elsewhere(self.recorded_elsewhere);
        self.tasks.spawn(audit_publisher.run());
        let readiness = Readiness {
            db: self.db,
            redis: self.redis,
        };
        let router = routes
            .merge(ops_routes(readiness))
            .merge(SwaggerUi::new("/docs").url("/openapi.json", api))
            .layer(axum::middleware::from_fn_with_state(audit, audit::record))
            .layer(axum::middleware::from_fn(observe));
        let shutdown = self.tasks.shutdown();
        let server = Server::bind(
            self.name,
            self.common.bind_addr,
            router,
            self.tasks.into_handles(),
            shutdown,
        )
        .await?;
        Ok(server)
    }
}
