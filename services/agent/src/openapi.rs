//! The OpenAPI document, served at `/openapi.json` and committed as
//! `services/agent/openapi.json` (a test fails when they drift).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{decisions, orchestrate, status};

/// The agent service's API.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Fleet agent service", description = "Diagnoses and decisions for every health event: worker agents with tools over an OpenAI-compatible model, a deterministic rule-based diagnoser as default and fallback, escalation to humans under 0.7 confidence."),
    paths(
        orchestrate::orchestrate,
        decisions::one,
        decisions::vehicle_history,
        decisions::list,
        status::status,
    ),
    modifiers(&Security),
    tags(
        (name = "orchestrate", description = "Ask for a diagnosis now"),
        (name = "decisions", description = "Decisions, per vehicle and the review queue; bearer token, scoped"),
        (name = "status", description = "Throughput, fallback rate, latency, tokens and cost"),
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
