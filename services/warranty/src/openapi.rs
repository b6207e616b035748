//! The OpenAPI document, served at `/openapi.json` and committed as
//! `services/warranty/openapi.json` (a test fails when they drift).

use shared_runtime::openapi::BearerSecurity;
use utoipa::OpenApi;

/// The warranty service's API.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Fleet warranty service", description = "Coverage and contracts; claims with their documents; eligibility, telemetry correlation and fraud signals; the review queue; evidence packs."),
    paths(
        crate::routes::contracts::put,
        crate::routes::contracts::one,
        crate::routes::contracts::list,
        crate::routes::claims::file,
        crate::routes::claims::list,
        crate::routes::claims::one,
        crate::routes::claims::document,
        crate::routes::vehicles::history,
        crate::routes::evidence::pack,
        crate::routes::evidence::similar,
        crate::routes::reviews::queue,
        crate::routes::reviews::decide,
        crate::routes::reviews::pay,
        crate::routes::reviews::close,
    ),
    // Every error response refers to it; listed, since no path names it itself.
    components(schemas(shared_runtime::http::ErrorBody)),
    modifiers(&BearerSecurity),
)]
pub struct ApiDoc;

/// The document as pretty JSON with a trailing newline (the committed form).
pub fn json() -> String {
    shared_runtime::openapi::committed_json(&ApiDoc::openapi())
}
