//! HTTP routes, one module per resource.

pub mod appointments;
pub mod centers;
pub mod plans;
pub mod proposals;
pub mod stock;
pub mod technicians;
pub mod vehicles;

use axum::Router;

use crate::state::AppState;

/// Every resource route (ops routes and docs are added by the runtime).
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(centers::router())
        .merge(technicians::router())
        .merge(stock::router())
        .merge(proposals::router())
        .merge(appointments::router())
        .merge(vehicles::router())
        .merge(plans::router())
}
