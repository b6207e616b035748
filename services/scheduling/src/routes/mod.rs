//! HTTP routes, one module per resource.

pub mod appointments;
pub mod centers;
pub mod jobs;
pub mod maintenance;
pub mod plans;
pub mod proposals;
pub(crate) mod scope;
pub mod stock;
pub mod technicians;
pub mod vehicles;

use std::collections::BTreeMap;

use axum::Router;

use crate::error::ApiError;
use crate::state::AppState;

/// Every resource route (ops routes and docs are added by the runtime).
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(centers::router())
        .merge(technicians::router())
        .merge(stock::router())
        .merge(proposals::router())
        .merge(jobs::router())
        .merge(appointments::router())
        .merge(vehicles::router())
        .merge(plans::router())
}

/// A parts list: names of 1..=64 characters of `a-z 0-9 _ -`, quantities 1..=100, at
/// most 50 parts.
pub(crate) fn check_parts(parts: &BTreeMap<String, u32>) -> Result<(), ApiError> {
    if parts.len() > 50 {
        return Err(ApiError::BadRequest("at most 50 different parts".into()));
    }
    for (p, q) in parts {
        crate::domain::center::check_part(p).map_err(ApiError::BadRequest)?;
        if !(1..=100).contains(q) {
            return Err(ApiError::BadRequest(format!(
                "part {p}: quantity must be 1 to 100"
            )));
        }
    }
    Ok(())
}
