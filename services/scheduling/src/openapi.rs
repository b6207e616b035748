//! The OpenAPI document, served at `/openapi.json` and committed as
//! `services/scheduling/openapi.json` (a test fails when they drift).

use shared_runtime::openapi::BearerSecurity;
use utoipa::OpenApi;

use crate::routes::{appointments, jobs, maintenance, plans, proposals, vehicles};

/// The scheduling service's API.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Fleet scheduling service", description = "Service centers, technicians and parts; repair jobs booked into them (auto-booked when critical, three options otherwise); appointments, work orders, iCalendar invitations, maintenance plans and batch re-planning."),
    paths(
        proposals::list, proposals::one, proposals::approve,
        appointments::create, appointments::list, appointments::one, appointments::calendar,
        appointments::reschedule, appointments::cancel, appointments::no_show,
        appointments::start, appointments::complete, appointments::assign,
        vehicles::appointments, vehicles::history, vehicles::booking_options,
        maintenance::create, maintenance::list, maintenance::check,
        plans::optimize, plans::one, plans::commit,
        jobs::list,
        crate::routes::centers::create,
        crate::routes::centers::list,
        crate::routes::centers::one,
        crate::routes::centers::put,
        crate::routes::technicians::create,
        crate::routes::technicians::list,
        crate::routes::technicians::one,
        crate::routes::technicians::put,
        crate::routes::stock::list,
        crate::routes::stock::set,
    ),
    modifiers(&BearerSecurity),
    tags(
        (name = "centers", description = "Service centers, their hours and bays; admins and fleet managers"),
        (name = "technicians", description = "Technicians: skills, shifts, days off"),
        (name = "stock", description = "Parts on hand per center, reservations and lead times"),
        (name = "proposals", description = "Three options for non-critical work, to approve"),
        (name = "appointments", description = "Bookings through their life; work orders; iCalendar"),
        (name = "vehicles", description = "A vehicle's appointments and service history"),
        (name = "plans", description = "Preventive-maintenance plans and batch re-planning"),
    )
)]
pub struct ApiDoc;

/// The document as pretty JSON with a trailing newline (the committed form).
pub fn json() -> String {
    shared_runtime::openapi::committed_json(&ApiDoc::openapi())
}
