//! The dashboard's one origin (ADR 0022): `/api/<service>/<path>` forwarded to the
//! service, and every other `GET` outside the APIs answered from the built dashboard.
//! Neither is in the OpenAPI document: they are the services' APIs and a web app, not
//! analytics' own.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

use crate::state::AppState;

/// The forwarding route's template (its successful requests are audited by the service
/// that handles them).
pub const FORWARD_ROUTE: &str = "/api/{service}/{*path}";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(FORWARD_ROUTE, any(forward))
        .fallback(asset)
}

async fn forward(
    State(state): State<AppState>,
    Path((service, _)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    // The path as the browser sent it (still percent-encoded), minus `/api/<service>`.
    let prefix_len = "/api/".len() + service.len();
    let path_and_query = uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .get(prefix_len..)
        .unwrap_or("/");
    state
        .gateway
        .forward(&service, method, path_and_query, &headers, body)
        .await
}

async fn asset(State(state): State<AppState>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::NOT_FOUND.into_response();
    }
    state.gateway.asset(uri.path()).await
}
