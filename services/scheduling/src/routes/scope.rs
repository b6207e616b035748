//! Who may see which appointment, proposal or vehicle of this service.

use shared_runtime::auth::{AuthError, Claims, Role};
use shared_schemas::ids::check_org_id;
use uuid::Uuid;

use crate::error::ApiError;

/// Who reads what is planned or could be (proposals, jobs, booking options): everyone
/// but technicians, whose work is booked jobs.
pub(crate) const PLANNING_READERS: [Role; 5] = [
    Role::Admin,
    Role::FleetManager,
    Role::Support,
    Role::Owner,
    Role::Service,
];

/// Whether the caller may see work of `vehicle_id` of `org_id` done at `center_id`.
pub(crate) fn can_see(c: &Claims, org_id: &str, vehicle_id: &str, center_id: Option<Uuid>) -> bool {
    match c.role {
        Role::Technician => {
            c.org == org_id
                && center_id.is_some_and(|id| c.center_ids.iter().any(|s| *s == id.to_string()))
        }
        _ => c.can_read_vehicle(org_id, vehicle_id),
    }
}

/// The organization a request is for: an admin's (and a service's) choice, everyone
/// else's own. `None` for an admin or service that named none (when `required` is
/// false; else 400).
pub(crate) fn acting_org(
    claims: &Claims,
    requested: Option<&str>,
    required: bool,
) -> Result<Option<String>, ApiError> {
    if let Some(org) = requested {
        check_org_id(org).map_err(|m| ApiError::BadRequest(format!("`org_id` {m}")))?;
    }
    match (claims.role, requested) {
        (Role::Admin | Role::Service, Some(org)) => Ok(Some(org.to_owned())),
        (Role::Admin | Role::Service, None) if required => Err(ApiError::BadRequest(
            "`org_id` is required for admins".to_owned(),
        )),
        (Role::Admin | Role::Service, None) => Ok(None),
        (_, Some(org)) if org != claims.org => Err(ApiError::Auth(AuthError::Forbidden(format!(
            "you belong to organization {}, not {org}",
            claims.org
        )))),
        _ => Ok(Some(claims.org.clone())),
    }
}

/// The one organization a request acts on (admins and services must name it).
pub(crate) fn org_of(c: &Claims, named: Option<&str>) -> Result<String, ApiError> {
    acting_org(c, named, true).map(Option::unwrap_or_default)
}

/// The vehicles a listing is limited to: an owner's own (the one `wanted` among them),
/// anyone else's `wanted` one, or none (all in reach).
pub(crate) fn vehicles_in_reach(c: &Claims, wanted: Option<&String>) -> Option<Vec<String>> {
    match c.role {
        Role::Owner => Some(
            c.vehicle_ids
                .iter()
                .filter(|v| wanted.is_none_or(|w| w == *v))
                .cloned()
                .collect(),
        ),
        _ => wanted.map(|v| vec![v.clone()]),
    }
}

/// The centers a technician works at (their token's `center_ids` that are UUIDs).
pub(crate) fn technician_centers(c: &Claims) -> Vec<Uuid> {
    c.center_ids.iter().filter_map(|s| s.parse().ok()).collect()
}
