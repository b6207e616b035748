//! The OpenAPI document, served at `/openapi.json` and committed as
//! `services/analytics/openapi.json` (a test fails when they drift).

use shared_runtime::openapi::BearerSecurity;
use utoipa::OpenApi;

use crate::routes::{auth, orgs, users};

/// The analytics service's API.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Fleet analytics service", description = "Identity (login, tokens, JWKS, users, organizations), the tamper-evident audit log, fleet metrics and reports."),
    paths(
        auth::jwks,
        auth::login,
        auth::refresh,
        auth::logout,
        auth::logout_all,
        auth::token,
        auth::me,
        auth::request_reset,
        auth::complete_reset,
        auth::accept_invitation,
        orgs::create,
        orgs::list,
        users::create,
        users::list,
        users::one,
        users::update,
        crate::routes::audit::list,
        crate::routes::audit::export,
        crate::routes::audit::verify,
        crate::routes::metrics::summary,
        crate::routes::metrics::health,
        crate::routes::metrics::alerts,
        crate::routes::metrics::attention,
        crate::routes::reports::report,
        crate::routes::reports::create,
        crate::routes::reports::list,
        crate::routes::reports::remove,
    ),
    modifiers(&BearerSecurity),
    tags(
        (name = "audit", description = "The tamper-evident audit log: search, CSV export, chain verification"),
        (name = "auth", description = "Login, token refresh and revocation, password reset, the JWKS"),
        (name = "orgs", description = "Organizations (tenants); admins only"),
        (name = "users", description = "Users, their roles and scopes; admins and fleet managers"),
        (name = "metrics", description = "Fleet metrics for the dashboard, from the read models; scoped by role"),
        (name = "reports", description = "Fleet health, alerts and maintenance reports as CSV or PDF, on demand and emailed on a schedule"),
    )
)]
pub struct ApiDoc;

/// The document as pretty JSON with a trailing newline (the committed form).
pub fn json() -> String {
    shared_runtime::openapi::committed_json(&ApiDoc::openapi())
}
