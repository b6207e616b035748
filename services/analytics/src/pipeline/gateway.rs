//! The dashboard's one origin (ADR 0022): the built files, and `/api/<service>/...`
//! forwarded to the services with the caller's own token (each service authorizes the
//! request itself; the gateway adds no authority).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use shared_runtime::http::error_response;

use crate::config::DashboardConfig;
use crate::domain::dashboard::{self, Asset};

/// Largest request body forwarded (a warranty claim with its documents).
const MAX_FORWARDED_BODY: usize = 64 * 1024 * 1024;

/// The built dashboard and the services behind `/api/`.
#[derive(Debug, Clone)]
pub struct Gateway {
    dir: Option<PathBuf>,
    upstreams: HashMap<String, String>,
    client: reqwest::Client,
}

impl Gateway {
    /// From the configuration; no request timeout, as the alert feed (SSE) never ends.
    pub fn new(config: &DashboardConfig) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            dir: config.dir.clone(),
            upstreams: config.upstreams.iter().cloned().collect(),
            client,
        })
    }

    /// A `GET` outside the APIs: a dashboard file, the app for its client-side routes,
    /// or 404.
    pub async fn asset(&self, path: &str) -> Response {
        let (Some(dir), asset) = (&self.dir, dashboard::resolve(path)) else {
            return not_found(path);
        };
        let rel = match asset {
            Asset::File(rel) => rel,
            Asset::App => PathBuf::from("index.html"),
            Asset::None => return not_found(path),
        };
        match tokio::fs::read(dir.join(&rel)).await {
            Ok(bytes) => (
                [
                    (header::CONTENT_TYPE, dashboard::content_type(&rel)),
                    (header::CACHE_CONTROL, dashboard::cache_control(&rel)),
                ],
                bytes,
            )
                .into_response(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => not_found(path),
            Err(e) => {
                tracing::error!(error = %e, file = %rel.display(), "cannot read a dashboard file");
                error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the dashboard file cannot be read; it has been logged",
                )
            }
        }
    }

    /// Forwards a request to service `name` at `path` (with its query), streaming the
    /// answer back (the alert feed is an endless SSE stream).
    pub async fn forward(
        &self,
        name: &str,
        method: Method,
        path_and_query: &str,
        headers: &HeaderMap,
        body: Body,
    ) -> Response {
        let Some(base) = self.upstreams.get(name) else {
            return error_response(
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("no service '{name}' behind /api/ (ANALYTICS_UPSTREAMS)"),
            );
        };
        let body = match axum::body::to_bytes(body, MAX_FORWARDED_BODY).await {
            Ok(b) => b,
            Err(_) => {
                return error_response(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    "request body over 64 MiB (or cut off)",
                );
            }
        };
        let mut request = self
            .client
            .request(method, format!("{base}{path_and_query}"))
            .body(body);
        for name in dashboard::FORWARDED_REQUEST_HEADERS {
            if let Some(v) = headers.get(name) {
                request = request.header(name, v.clone());
            }
        }
        match request.send().await {
            Ok(answer) => relay(answer),
            Err(e) => {
                tracing::warn!(service = name, error = %e, "forwarding failed");
                error_response(
                    StatusCode::BAD_GATEWAY,
                    "bad_gateway",
                    &format!("the {name} service does not answer; try again shortly"),
                )
            }
        }
    }
}

/// The service's answer, headers filtered, body streamed chunk by chunk.
fn relay(answer: reqwest::Response) -> Response {
    let mut response = Response::builder().status(answer.status().as_u16());
    for name in dashboard::FORWARDED_RESPONSE_HEADERS {
        if let Some(v) = answer.headers().get(name) {
            response = response.header(HeaderName::from_static(name), v.as_bytes());
        }
    }
    // Ends after the first error (the service went away mid-answer).
    let stream = futures::stream::unfold(Some(answer), |answer| async move {
        let mut answer = answer?;
        match answer.chunk().await {
            Ok(Some(chunk)) => Some((Ok::<Bytes, reqwest::Error>(chunk), Some(answer))),
            Ok(None) => None,
            Err(e) => Some((Err(e), None)),
        }
    });
    response
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
}

fn not_found(path: &str) -> Response {
    let shown: String = path.chars().take(200).collect();
    error_response(
        StatusCode::NOT_FOUND,
        "not_found",
        &format!("no route {shown}"),
    )
}
