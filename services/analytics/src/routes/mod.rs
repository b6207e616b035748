//! HTTP routes, one module per resource.

use axum::Router;

use crate::state::AppState;

pub mod audit;

/// Every resource route (ops routes and docs are added in `app`).
pub fn router() -> Router<AppState> {
    Router::new().merge(audit::router())
}
