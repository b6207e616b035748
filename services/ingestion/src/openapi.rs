//! The OpenAPI document, served at `/openapi.json` and committed as
//! `services/ingestion/openapi.json` (a test fails when they drift).

use shared_runtime::openapi::BearerSecurity;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{device_keys, readings, telemetry, usage, vehicles};

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
        usage::daily,
        device_keys::create,
        device_keys::list,
        device_keys::revoke,
        vehicles::register,
        vehicles::list,
        vehicles::one,
        vehicles::transfers,
        vehicles::transfer,
    ),
    components(schemas(shared_schemas::events::telemetry::Problem)),
    modifiers(&Security),
    tags(
        (name = "telemetry", description = "Readings in; devices authenticate with `x-api-key`"),
        (name = "history", description = "Audited readings per vehicle; bearer token, scoped"),
        (name = "device-keys", description = "Device API key management"),
        (name = "vehicles", description = "Which organization each vehicle belongs to; admin transfers"),
    )
)]
pub struct ApiDoc;

/// Devices' `x-api-key` besides the users' bearer token.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "device_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-api-key"))),
        );
        BearerSecurity.modify(openapi);
    }
}

/// The document as pretty JSON with a trailing newline (the committed form).
pub fn json() -> String {
    shared_runtime::openapi::committed_json(&ApiDoc::openapi())
}
