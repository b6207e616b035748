//! HTTP plumbing every service shares: the `{code, message}` error body, health and
//! metrics routes, the request middleware (correlation id, span, metrics) and serving
//! with graceful shutdown.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use serde::Serialize;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

pub mod audit;
mod error;
mod input;

pub use error::ApiError;

pub use input::{
    ApiJson, ApiPath, ApiQuery, InputRejection, MAX_TEXT_CHARS, TextProblem, check_json,
    check_text, forbidden_char, parse_json,
};

/// Header carrying the correlation id in requests and responses.
pub const CORRELATION_HEADER: &str = "x-correlation-id";

/// The body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `validation_failed`.
    pub code: String,
    /// What went wrong, for a human.
    pub message: String,
}

/// A `{code, message}` JSON response.
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = ErrorBody {
        code: code.to_owned(),
        message: message.to_owned(),
    };
    (status, Json(body)).into_response()
}

/// The correlation id of the current request (from `x-correlation-id`, or new).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorrelationId(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for CorrelationId {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<CorrelationId>()
            .copied()
            .unwrap_or_else(|| CorrelationId(Uuid::now_v7())))
    }
}

/// Middleware: assigns the correlation id, runs the request in a span carrying it,
/// echoes it in the response and records `http_requests_total` and
/// `http_request_duration_seconds` by route template (not raw path: bounded labels).
pub async fn observe(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(CORRELATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Uuid::parse_str(v).ok())
        .unwrap_or_else(Uuid::now_v7);
    req.extensions_mut().insert(CorrelationId(id));
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().clone();
    let span = tracing::info_span!("request", %method, route = %route, correlation_id = %id);
    let started = Instant::now();
    let mut response = next.run(req).instrument(span).await;
    let status = response.status().as_u16().to_string();
    let labels = [
        ("method", method.as_str().to_owned()),
        ("route", route),
        ("status", status),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    if let Ok(v) = HeaderValue::from_str(&id.to_string()) {
        response.headers_mut().insert(CORRELATION_HEADER, v);
    }
    response
}

/// Buckets of every `*_seconds` histogram, from 1 ms to 30 s.
const SECONDS_BUCKETS: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0,
];

/// The process-wide Prometheus recorder (installed on first use). Durations are
/// exported as histograms with fixed buckets, not as the exporter's default rolling
/// summaries: buckets add up across replicas and give quantiles over any window.
pub fn metrics_handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &SECONDS_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        match builder.install_recorder() {
            Ok(handle) => handle,
            Err(e) => {
                tracing::warn!(error = %e, "metrics recorder already installed; /metrics will be empty");
                PrometheusBuilder::new().build_recorder().handle()
            }
        }
    })
}

/// What `/health/ready` checks.
#[derive(Clone)]
pub struct Readiness {
    /// The service's database.
    pub db: PgPool,
    /// Redis.
    pub redis: crate::redis_conn::RedisConn,
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readiness").finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct ReadyBody {
    status: &'static str,
    database: String,
    redis: String,
}

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

async fn ready(State(r): State<Readiness>) -> Response {
    let db = tokio::time::timeout(CHECK_TIMEOUT, sqlx::query("SELECT 1").execute(&r.db)).await;
    let database = match db {
        Ok(Ok(_)) => "ok".to_owned(),
        Ok(Err(e)) => format!("error: {e}"),
        Err(_) => "error: timed out".to_owned(),
    };
    let mut conn = r.redis.clone();
    let ping = tokio::time::timeout(
        CHECK_TIMEOUT,
        redis::cmd("PING").query_async::<String>(&mut conn),
    )
    .await;
    let redis = match ping {
        Ok(Ok(_)) => "ok".to_owned(),
        Ok(Err(e)) => format!("error: {e}"),
        Err(_) => "error: timed out".to_owned(),
    };
    let healthy = database == "ok" && redis == "ok";
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = ReadyBody {
        status: if healthy { "ready" } else { "unavailable" },
        database,
        redis,
    };
    (status, Json(body)).into_response()
}

/// `/health/live` (the process answers), `/health/ready` (its database and Redis
/// answer) and `/metrics` (Prometheus text format). Unauthenticated by design.
/// Installs the metrics recorder, so everything recorded from now on is exported.
pub fn ops_routes(readiness: Readiness) -> Router {
    let handle = metrics_handle();
    Router::new()
        .route(
            "/health/live",
            get(|| async { Json(serde_json::json!({"status": "live"})) }),
        )
        .route("/health/ready", get(ready))
        .route("/metrics", get(move || async move { handle.render() }))
        .with_state(readiness)
}

/// A built service, bound and not yet serving: its router and the background tasks
/// (consumers, relays) it must wait for on the way out.
#[derive(Debug)]
pub struct Server {
    name: &'static str,
    listener: tokio::net::TcpListener,
    router: Router,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    shutdown: CancellationToken,
}

impl Server {
    /// Binds `addr` for the service called `name` (for the logs); the error names the
    /// address.
    pub async fn bind(
        name: &'static str,
        addr: std::net::SocketAddr,
        router: Router,
        tasks: Vec<tokio::task::JoinHandle<()>>,
        shutdown: CancellationToken,
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| std::io::Error::new(e.kind(), format!("binding {addr}: {e}")))?;
        Ok(Self {
            name,
            listener,
            router,
            tasks,
            shutdown,
        })
    }

    /// The bound port (tests bind port 0).
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// Serves until the shutdown token is cancelled, lets requests in flight finish,
    /// then waits for the background tasks to finish their work in hand.
    pub async fn run(self) -> anyhow::Result<()> {
        tracing::info!(addr = ?self.listener.local_addr().ok(), "{} listening", self.name);
        serve(self.listener, self.router, self.shutdown.clone()).await?;
        self.shutdown.cancel();
        for task in self.tasks {
            let _ = task.await;
        }
        Ok(())
    }
}

/// Serves `router` on `listener` until `shutdown` is cancelled, then lets requests in
/// flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    // The peer address reaches handlers and middleware (the request audit) as
    // `ConnectInfo<SocketAddr>`.
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

/// An id as one URL path segment: unreserved characters as they are, anything else
/// percent-encoded (for calls to another service's `/v1/vehicles/{id}/…`).
pub fn path_segment(id: &str) -> String {
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
