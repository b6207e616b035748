//! Accounts: what a user record must hold, and who may create or change whose.

use chrono::{DateTime, Utc};
use serde::Serialize;
use shared_runtime::auth::{Claims, Role};
use uuid::Uuid;

/// A user account as the API shows it (never its password hash).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct User {
    /// Account id (the `sub` of its tokens).
    pub id: Uuid,
    /// Lower-cased email address, the login name.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Organization.
    pub org_id: String,
    /// An owner's vehicles.
    pub vehicle_ids: Vec<String>,
    /// A technician's service centers.
    pub center_ids: Vec<String>,
    /// Disabled accounts cannot log in; their refresh tokens are revoked.
    pub disabled: bool,
    /// Whether a password is set (an invited user has none until they accept).
    pub has_password: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl User {
    /// The claims of an access token for this user, valid for `ttl`.
    pub fn claims(&self, ttl: chrono::Duration) -> Claims {
        let mut claims = Claims::new(self.id.to_string(), self.role, self.org_id.clone(), ttl);
        claims.vehicle_ids.clone_from(&self.vehicle_ids);
        claims.center_ids.clone_from(&self.center_ids);
        claims
    }
}

/// The stored name of a role.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::FleetManager => "fleet_manager",
        Role::Technician => "technician",
        Role::Owner => "owner",
        Role::Support => "support",
        Role::Service => "service",
    }
}

/// The platform operators' organization: admins belong to it and nobody else does (its
/// audit chain holds what no other organization owns, ADR 0013).
pub const PLATFORM_ORG: &str = "platform";

/// Longest email address (RFC 5321 path limit).
pub const MAX_EMAIL: usize = 254;
/// Longest display name.
pub const MAX_NAME: usize = 200;
/// Most vehicles or centers bound to one account.
pub const MAX_SCOPE_ITEMS: usize = 1_000;

/// An email address, trimmed and lower-cased, or why it is not one.
pub fn normalize_email(raw: &str) -> Result<String, String> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= MAX_EMAIL
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
                && !domain.contains('@')
        });
    if valid {
        Ok(email)
    } else {
        Err(format!("email: {raw:?} is not an email address"))
    }
}

/// A display name, trimmed, or why it is refused.
pub fn normalize_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(format!("name: 1 to {MAX_NAME} printable characters"));
    }
    Ok(name.to_owned())
}

/// The vehicles and centers an account of `role` is bound to: vehicles only for
/// owners, centers only for technicians, each id 1-64 characters, no duplicates.
pub fn check_bindings(role: Role, vehicles: &[String], centers: &[String]) -> Result<(), String> {
    if role != Role::Owner && !vehicles.is_empty() {
        return Err("vehicle_ids: only owners are bound to vehicles".to_owned());
    }
    if role != Role::Technician && !centers.is_empty() {
        return Err("center_ids: only technicians are bound to service centers".to_owned());
    }
    for (field, ids) in [("vehicle_ids", vehicles), ("center_ids", centers)] {
        if ids.len() > MAX_SCOPE_ITEMS {
            return Err(format!("{field}: at most {MAX_SCOPE_ITEMS}"));
        }
        for (i, id) in ids.iter().enumerate() {
            shared_schemas::ids::check_vehicle_id(id).map_err(|m| format!("{field}[{i}] {m}"))?;
        }
        let mut sorted: Vec<_> = ids.iter().collect();
        sorted.sort();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("{field}: {:?} appears twice", w[0]));
        }
    }
    Ok(())
}

/// Admins belong to the platform organization and only they do.
pub fn check_org(role: Role, org: &str) -> Result<(), String> {
    match (role == Role::Admin, org == PLATFORM_ORG) {
        (true, false) => Err(format!(
            "role: admins belong to the {PLATFORM_ORG:?} organization, not {org:?}"
        )),
        (false, true) => Err(format!(
            "org_id: the {PLATFORM_ORG:?} organization holds admins only"
        )),
        _ => Ok(()),
    }
}

/// Whether `actor` may create or change an account of `role` in `org`: admins any
/// account; fleet managers the non-admin accounts of their own organization; nobody
/// else. `Err` says why not.
pub fn may_manage(actor: &Claims, role: Role, org: &str) -> Result<(), String> {
    if role == Role::Service {
        return Err("role: services are not user accounts (ANALYTICS_SERVICE_CLIENTS)".to_owned());
    }
    match actor.role {
        Role::Admin => Ok(()),
        Role::FleetManager if role == Role::Admin => {
            Err("fleet managers cannot create or change admins".to_owned())
        }
        Role::FleetManager if org == actor.org => Ok(()),
        Role::FleetManager => Err("fleet managers manage their own organization only".to_owned()),
        other => Err(format!("role {other:?} may not manage accounts")),
    }
}

/// Whether `actor` may see the accounts of `org`: admins every organization; fleet
/// managers and support their own.
pub fn may_list(actor: &Claims, org: &str) -> bool {
    match actor.role {
        Role::Admin => true,
        Role::FleetManager | Role::Support => actor.org == org,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(role: Role, org: &str) -> Claims {
        Claims::new("u", role, org, chrono::Duration::minutes(5))
    }

    #[test]
    fn emails_are_normalized_or_refused() {
        assert_eq!(
            normalize_email(" Ann@Example.ORG "),
            Ok("ann@example.org".to_owned())
        );
        for bad in [
            "",
            "ann",
            "@x.org",
            "ann@x",
            "a b@x.org",
            "ann@x.org.",
            "a@b@c.org",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
        assert!(normalize_email(&format!("{}@x.org", "a".repeat(250))).is_err());
    }

    #[test]
    fn bindings_follow_the_role() {
        let v = vec!["V1".to_owned()];
        assert!(check_bindings(Role::Owner, &v, &[]).is_ok());
        assert!(check_bindings(Role::Technician, &v, &[]).is_err());
        assert!(check_bindings(Role::Technician, &[], &v).is_ok());
        assert!(check_bindings(Role::Owner, &[], &v).is_err());
        let dup = vec!["V1".to_owned(), "V1".to_owned()];
        assert!(
            check_bindings(Role::Owner, &dup, &[])
                .unwrap_err()
                .contains("twice")
        );
        assert!(check_bindings(Role::Owner, &[String::new()], &[]).is_err());
    }

    #[test]
    fn admins_and_only_admins_belong_to_the_platform_organization() {
        assert!(check_org(Role::Admin, PLATFORM_ORG).is_ok());
        assert!(check_org(Role::Owner, "acme").is_ok());
        assert!(
            check_org(Role::Admin, "acme")
                .unwrap_err()
                .contains("admins belong")
        );
        assert!(
            check_org(Role::FleetManager, PLATFORM_ORG)
                .unwrap_err()
                .contains("admins only")
        );
    }

    #[test]
    fn who_manages_whom() {
        let admin = claims(Role::Admin, "platform");
        let manager = claims(Role::FleetManager, "acme");
        assert!(may_manage(&admin, Role::Admin, "x").is_ok());
        assert!(may_manage(&admin, Role::Service, "x").is_err());
        assert!(may_manage(&manager, Role::Owner, "acme").is_ok());
        assert!(may_manage(&manager, Role::FleetManager, "acme").is_ok());
        assert!(may_manage(&manager, Role::Owner, "other").is_err());
        assert!(may_manage(&manager, Role::Admin, "acme").is_err());
        for role in [Role::Technician, Role::Owner, Role::Support] {
            assert!(may_manage(&claims(role, "acme"), Role::Owner, "acme").is_err());
        }
        assert!(may_list(&claims(Role::Support, "acme"), "acme"));
        assert!(!may_list(&claims(Role::Support, "acme"), "other"));
        assert!(!may_list(&claims(Role::Owner, "acme"), "acme"));
        assert!(may_list(&admin, "other"));
    }
}
