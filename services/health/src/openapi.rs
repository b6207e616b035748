//! The OpenAPI document, served at `/openapi.json` and committed as
//! `services/health/openapi.json` (a test fails when they drift).

use shared_runtime::openapi::BearerSecurity;
use utoipa::OpenApi;

use crate::routes::{counters, fleet, positions, recompute, vehicles};

/// The health service's API.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Fleet health service", description = "Component health scores, remaining useful life (days and km) and health history, from the telemetry stream."),
    paths(
        vehicles::current,
        vehicles::one_component,
        vehicles::history,
        counters::list,
        fleet::summary,
        positions::positions,
        recompute::recompute_vehicle,
        recompute::recompute_all,
    ),
    modifiers(&BearerSecurity),
    tags(
        (name = "health", description = "A vehicle's current health and its history; bearer token, scoped"),
        (name = "fleet", description = "Fleet-wide health distribution and vehicles at risk"),
        (name = "recompute", description = "Reassessment with the current model; admins only"),
    )
)]
pub struct ApiDoc;

/// The document as pretty JSON with a trailing newline (the committed form).
pub fn json() -> String {
    shared_runtime::openapi::committed_json(&ApiDoc::openapi())
}
