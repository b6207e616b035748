//! The OpenAPI document, served at `/openapi.json` and committed as
//! `services/alert/openapi.json` (a test fails when they drift).

use shared_runtime::openapi::BearerSecurity;
use utoipa::OpenApi;

use crate::routes::{ack, alerts, contacts, planning, stats, stream};

/// The alert service's API.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Fleet alert service", description = "Alerts from agent decisions, critical components and silent vehicles, delivered by email, SMS, push, signed webhooks and a live feed, escalated owner → fleet manager → emergency contact until acknowledged; routine wear becomes maintenance-planning items listed in a periodic digest to fleet managers."),
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
        planning::list_items,
        planning::list_digests,
    ),
    modifiers(&BearerSecurity),
    tags(
        (name = "alerts", description = "Alerts, their deliveries and history, statistics, the live feed; bearer token, scoped"),
        (name = "acknowledge", description = "The signed one-click link of every message (no bearer token)"),
        (name = "contacts", description = "Recipients and their preferences"),
        (name = "planning", description = "Maintenance to plan (routine wear, not faults) and the digests that list it to fleet managers; bearer token, scoped"),
    )
)]
pub struct ApiDoc;

/// The document as pretty JSON with a trailing newline (the committed form).
pub fn json() -> String {
    shared_runtime::openapi::committed_json(&ApiDoc::openapi())
}
