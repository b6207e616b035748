//! The OpenAPI document, served at `/openapi.json` and committed as
//! `services/health/openapi.json` (a test fails when they drift).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{fleet, recompute, vehicles};

/// The health service's API.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Fleet health service", description = "Component health scores, remaining useful life (days and km) and health history, from the telemetry stream."),
    paths(
        vehicles::current,
        vehicles::one_component,
        vehicles::history,
        fleet::summary,
        recompute::recompute_vehicle,
        recompute::recompute_all,
    ),
    modifiers(&Security),
    tags(
        (name = "health", description = "A vehicle's current health and its history; bearer token, scoped"),
        (name = "fleet", description = "Fleet-wide health distribution and vehicles at risk"),
        (name = "recompute", description = "Reassessment with the current model; admins only"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The document as pretty JSON with a trailing newline (the committed form).
pub fn json() -> String {
    let mut s = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}
