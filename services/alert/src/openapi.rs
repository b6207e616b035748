//! The OpenAPI document, served at `/openapi.json` and committed as
//! `services/alert/openapi.json` (a test fails when they drift).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{ack, alerts, contacts, stats, stream};

/// The alert service's API.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Fleet alert service", description = "Alerts from agent decisions, critical components and silent vehicles, delivered by email, SMS, push, signed webhooks and a live feed, escalated owner → fleet manager → emergency contact until acknowledged."),
    paths(
        alerts::list,
        alerts::one,
        alerts::acknowledge,
        alerts::resolve,
        ack::follow,
        ack::confirm,
        stats::get_stats,
        stream::stream,
        contacts::list,
        contacts::create,
        contacts::one,
        contacts::put,
        contacts::remove,
        contacts::preferences,
        contacts::set_preferences,
    ),
    modifiers(&Security),
    tags(
        (name = "alerts", description = "Alerts, their deliveries and history, statistics, the live feed; bearer token, scoped"),
        (name = "acknowledge", description = "The signed one-click link of every message (no bearer token)"),
        (name = "contacts", description = "Recipients and their preferences"),
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
