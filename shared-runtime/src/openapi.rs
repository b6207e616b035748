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
