//! The OpenAPI document, served at `/openapi.json` and committed as
//! `services/alert/openapi.json` (a test fails when they drift).

use shared_runtime::openapi::BearerSecurity;
use utoipa::OpenApi;

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
    modifiers(&BearerSecurity),
    tags(
        (name = "alerts", description = "Alerts, their deliveries and history, statistics, the live feed; bearer token, scoped"),
        (name = "acknowledge", description = "The signed one-click link of every message (no bearer token)"),
        (name = "contacts", description = "Recipients and their preferences"),
    )
)]
pub struct ApiDoc;

/// The document as pretty JSON with a trailing newline (the committed form).
pub fn json() -> String {
    shared_runtime::openapi::committed_json(&ApiDoc::openapi())
}
