//! The OpenAPI document, served at `/openapi.json` and committed as
//! `services/agent/openapi.json` (a test fails when they drift).

use shared_runtime::openapi::BearerSecurity;
use utoipa::OpenApi;

use crate::routes::{decisions, orchestrate, reviews, status};

/// The agent service's API.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Fleet agent service", description = "Diagnoses and decisions for every health event: worker agents with tools over an OpenAI-compatible model, a deterministic rule-based diagnoser as default and fallback, escalation to humans under 0.7 confidence, who confirm or override."),
    paths(
        orchestrate::orchestrate,
        decisions::one,
        decisions::vehicle_history,
        decisions::list,
        reviews::list,
        reviews::cases,
        reviews::one,
        reviews::confirm,
        reviews::overrule,
        status::status,
    ),
    modifiers(&BearerSecurity),
    tags(
        (name = "orchestrate", description = "Ask for a diagnosis now"),
        (name = "decisions", description = "Decisions, per vehicle and the review queue; bearer token, scoped"),
        (name = "reviews", description = "The human in the loop: escalated decisions to confirm or override (fleet managers, admins)"),
        (name = "status", description = "Throughput, fallback rate, latency, tokens and cost"),
    )
)]
pub struct ApiDoc;

/// The document as pretty JSON with a trailing newline (the committed form).
pub fn json() -> String {
    shared_runtime::openapi::committed_json(&ApiDoc::openapi())
}
