//! What every service's OpenAPI document shares: the bearer-token security scheme and
//! the committed JSON form.

use utoipa::Modify;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

/// Declares the `bearer` security scheme (a JWT in `Authorization: Bearer …`), which
/// the operations' `security(("bearer" = []))` refer to.
#[derive(Debug, Clone, Copy, Default)]
pub struct BearerSecurity;

impl Modify for BearerSecurity {
    fn modify(&self, openapi: &mut OpenApi) {
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

/// `doc` as pretty JSON with a trailing newline: the form committed as
/// `services/<name>/openapi.json`, which a test compares with what the service serves.
pub fn committed_json(doc: &OpenApi) -> String {
    let mut s = doc.to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}

/// The error responses every authenticated operation shares, for `responses(...)` of
/// `#[utoipa::path]` beside the operation's own: `responses((status = 200, body = X),
/// Unauthorized, Forbidden)`. An operation whose error means something more specific
/// (a 404 that also covers "not visible to the caller") keeps its own tuple.
pub mod responses {
    use crate::http::ErrorBody;

    /// Missing, expired or invalid credentials.
    #[derive(Debug, utoipa::IntoResponses)]
    #[response(status = 401)]
    pub struct Unauthorized(pub ErrorBody);

    /// The caller's role or scope does not allow this.
    #[derive(Debug, utoipa::IntoResponses)]
    #[response(status = 403)]
    pub struct Forbidden(pub ErrorBody);

    /// The request is malformed; the message names the parameter or field.
    #[derive(Debug, utoipa::IntoResponses)]
    #[response(status = 400)]
    pub struct BadRequest(pub ErrorBody);

    /// Unknown, or not visible to the caller (the same answer, so that a caller cannot
    /// tell another organization's resources exist).
    #[derive(Debug, utoipa::IntoResponses)]
    #[response(status = 404)]
    pub struct NotFound(pub ErrorBody);
}
