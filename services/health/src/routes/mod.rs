//! HTTP routes, one module per resource.

pub mod counters;
pub mod fleet;
pub mod positions;
pub mod recompute;
pub mod vehicles;

use axum::Router;

use crate::state::AppState;

/// Every resource route (ops routes and docs are added in `app`).
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(vehicles::router())
        .merge(fleet::router())
        .merge(positions::router())
        .merge(recompute::router())
        .merge(counters::router())
}
