//! The OpenAPI document, served at `/openapi.json` and committed as
//! `services/ingestion/openapi.json` (a test fails when they drift).

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{device_keys, readings, telemetry};

/// Ingestion's API.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Fleet ingestion service", description = "Telemetry in (canonical JSON, generic JSON, OBD-II, J1939), history out."),
    paths(
        telemetry::ingest_one,
        telemetry::ingest_batch,
        telemetry::ingest_obd2,
        telemetry::ingest_j1939,
        telemetry::ingest_generic,
        readings::latest,
        readings::history,
        device_keys::create,
        device_keys::list,
        device_keys::revoke,
    ),
    components(schemas(shared_schemas::events::telemetry::Problem)),
    modifiers(&Security),
    tags(
        (name = "telemetry", description = "Readings in; devices authenticate with `x-api-key`"),
        (name = "history", description = "Audited readings per vehicle; bearer token, scoped"),
        (name = "device-keys", description = "Device API key management"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "device_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-api-key"))),
        );
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
