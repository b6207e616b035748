//! HTTP routes, one module per resource.

pub mod ack;
pub mod alerts;
pub mod contacts;
pub mod planning;
pub mod stats;
pub mod stream;

use axum::Router;

use crate::state::AppState;

/// Every resource route (ops routes and docs are added in `app`).
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(alerts::router())
        .merge(ack::router())
        .merge(contacts::router())
        .merge(planning::router())
        .merge(stats::router())
        .merge(stream::router())
}
