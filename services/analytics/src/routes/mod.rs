//! HTTP routes, one module per resource.

pub mod metrics;
pub mod reports;

use axum::Router;

use crate::state::AppState;

/// Every resource route (ops routes and docs are added in `app`).
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(metrics::router())
        .merge(reports::router())
}
