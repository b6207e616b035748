//! HTTP routes, one module per resource.

use axum::Router;

use crate::state::AppState;

/// Every resource route (ops routes and docs are added by the runtime).
pub fn router() -> Router<AppState> {
    Router::new()
}
