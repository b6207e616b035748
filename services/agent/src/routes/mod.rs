//! HTTP routes, one module per resource.

pub mod decisions;
pub mod orchestrate;
pub mod reviews;
pub mod status;

use axum::Router;

use crate::state::AppState;

/// Every resource route (ops routes and docs are added in `app`).
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(orchestrate::router())
        .merge(decisions::router())
        .merge(reviews::router())
        .merge(status::router())
}
