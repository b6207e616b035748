//! HTTP routes, one module per resource.

pub mod device_keys;
pub mod readings;
pub mod telemetry;
pub mod usage;
pub mod vehicles;

use axum::Router;

use crate::state::AppState;

/// Every resource route (ops routes and docs are added in `app`).
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(telemetry::router())
        .merge(readings::router())
        .merge(usage::router())
        .merge(device_keys::router())
        .merge(vehicles::router())
}
