//! HTTP routes, one module per resource.

pub mod audit;
pub mod auth;
pub mod dashboard;
pub mod metrics;
pub mod orgs;
pub mod pages;
pub mod reports;
pub mod users;

use axum::Router;

use crate::state::AppState;

/// Every resource route (ops routes and docs are added in `app`).
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(pages::router())
        .merge(orgs::router())
        .merge(users::router())
        .merge(metrics::router())
        .merge(reports::router())
        .merge(audit::router())
        .merge(dashboard::router())
}
