//! Whose contracts and claims a caller reaches.

use shared_runtime::auth::{AuthError, Claims, Role};

use crate::error::ApiError;

/// The organization a caller acts in: their own, or for an admin the one named (else
/// `fallback`, e.g. the vehicle's contract's). Naming another organization is 403.
pub(crate) fn org_for(
    c: &Claims,
    named: Option<&str>,
    fallback: Option<&str>,
) -> Result<String, ApiError> {
    if let Some(org) = named {
        shared_schemas::ids::check_org_id(org)
            .map_err(|m| ApiError::BadRequest(format!("`org_id` {m}")))?;
    }
    match (c.role, named.or(fallback)) {
        (Role::Admin | Role::Service, Some(org)) => Ok(org.to_owned()),
        (Role::Admin | Role::Service, None) => Err(ApiError::BadRequest(
            "`org_id` is required for admins".to_owned(),
        )),
        _ => match named {
            Some(org) if org != c.org => Err(ApiError::Auth(AuthError::Forbidden(format!(
                "you belong to organization {}, not {org}",
                c.org
            )))),
            _ => Ok(c.org.clone()),
        },
    }
}

/// The vehicles a listing is limited to: an owner's own (the `wanted` one among them),
/// anyone else's `wanted` one, or `None` (all in reach).
pub(crate) fn vehicles_in_reach(c: &Claims, wanted: Option<&str>) -> Option<Vec<String>> {
    match c.role {
        Role::Owner => Some(
            c.vehicle_ids
                .iter()
                .filter(|v| wanted.is_none_or(|w| w == v.as_str()))
                .cloned()
                .collect(),
        ),
        _ => wanted.map(|v| vec![v.to_owned()]),
    }
}

/// A listing's `limit`: 1 to 500, default 100.
pub(crate) fn limit(asked: Option<i64>) -> Result<i64, ApiError> {
    match asked {
        None => Ok(100),
        Some(n) if (1..=500).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::BadRequest(format!(
            "`limit` must be 1 to 500, not {n}"
        ))),
    }
}
