//! Who may see which appointment, proposal or vehicle of this service.

use shared_runtime::auth::{Claims, Role};
use uuid::Uuid;

use crate::error::ApiError;

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

/// The organization a caller's request is about: theirs, or (admins and services) the
/// one they name.
pub(crate) fn org_of(c: &Claims, named: Option<&str>) -> Result<String, ApiError> {
    match (c.org_scope(), named) {
        (None, Some(org)) => Ok(org.to_owned()),
        (None, None) => Err(ApiError::BadRequest(
            "org_id is required for admins and services".into(),
        )),
        (Some(own), Some(org)) if own != org => Err(ApiError::NotFound(format!(
            "organization {org} is not visible to the caller"
        ))),
        (Some(own), _) => Ok(own.to_owned()),
    }
}

/// The centers a technician works at (their token's `center_ids` that are UUIDs).
pub(crate) fn technician_centers(c: &Claims) -> Vec<Uuid> {
    c.center_ids.iter().filter_map(|s| s.parse().ok()).collect()
}
