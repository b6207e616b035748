//! Authentication and scope checks shared by every service.
//!
//! Users carry a short-lived JWT issued by the analytics service at login (EdDSA,
//! public keys in its JWKS) whose claims say who they are, their role, their
//! organization and, for owners and technicians, their vehicles or centers. Each
//! service verifies the token itself ([`Jwt`], offline against the cached JWKS) and
//! enforces scope with [`Claims::can_read_vehicle`] and friends. Services calling each
//! other take a `service` token with their own client credentials ([`ServiceTokens`]).
//! An HMAC key (`JWT_SECRET`) is a development and test path only (ADR 0012).

mod service_token;
mod verify;

pub use service_token::{ServiceCredentials, ServiceTokens, TokenError};
pub use verify::{JwksSource, Jwt};

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::http::error_response;

/// Issuer written into and required from every token.
pub const ISSUER: &str = "fleet-platform";

/// A user's (or service's) role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, every organization.
    Admin,
    /// Everything in their organization.
    FleetManager,
    /// Jobs of their service center; reads vehicles of their organization.
    Technician,
    /// Their own vehicles only.
    Owner,
    /// Read-only, their organization.
    Support,
    /// Another service of the platform.
    Service,
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| {
            format!(
                "unknown role {s:?}; expected admin, fleet_manager, technician, owner, support or service"
            )
        })
    }
}

/// The claims of a platform token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// Subject: user id, or service name for the `service` role.
    pub sub: String,
    /// Role.
    pub role: Role,
    /// Organization (fleet) id.
    pub org: String,
    /// Vehicles an owner may see.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vehicle_ids: Vec<String>,
    /// Service centers of a technician.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub center_ids: Vec<String>,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// Issuer; always [`ISSUER`].
    pub iss: String,
}

impl Claims {
    /// New claims valid for `ttl` from now.
    pub fn new(sub: impl Into<String>, role: Role, org: impl Into<String>, ttl: Duration) -> Self {
        let now = Utc::now().timestamp();
        Self {
            sub: sub.into(),
            role,
            org: org.into(),
            vehicle_ids: Vec::new(),
            center_ids: Vec::new(),
            iat: now,
            exp: now + ttl.num_seconds(),
            iss: ISSUER.to_owned(),
        }
    }

    /// Whether the caller may read data of `vehicle_id`, which belongs to `vehicle_org`.
    pub fn can_read_vehicle(&self, vehicle_org: &str, vehicle_id: &str) -> bool {
        match self.role {
            Role::Admin | Role::Service => true,
            Role::FleetManager | Role::Technician | Role::Support => self.org == vehicle_org,
            Role::Owner => {
                self.org == vehicle_org && self.vehicle_ids.iter().any(|v| v == vehicle_id)
            }
        }
    }

    /// The organization the caller's queries are limited to (`None` = all).
    pub fn org_scope(&self) -> Option<&str> {
        match self.role {
            Role::Admin | Role::Service => None,
            _ => Some(&self.org),
        }
    }

    /// Fails unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AuthError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AuthError::Forbidden(format!(
                "role {:?} may not do this; requires one of {roles:?}",
                self.role
            )))
        }
    }
}

/// Why a request was not authenticated or not allowed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No credentials.
    #[error("missing credentials: send `Authorization: Bearer <token>`")]
    Missing,
    /// Credentials that do not verify.
    #[error("invalid token: {0}")]
    Invalid(String),
    /// Authenticated but not allowed.
    #[error("{0}")]
    Forbidden(String),
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            Self::Missing | Self::Invalid(_) => (http::StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden(_) => (http::StatusCode::FORBIDDEN, "forbidden"),
        };
        error_response(status, code, &self.to_string())
    }
}

/// Where the [`Auth`] extractor leaves the verified claims of a request, for a
/// middleware that wraps the handler (the request audit) to read once the response is
/// made. A middleware inserts an empty slot into the request's extensions; the
/// extractor fills it.
#[derive(Debug, Clone, Default)]
pub struct CallerSlot(Arc<std::sync::OnceLock<Claims>>);

impl CallerSlot {
    /// The claims the handler was called with, if it authenticated the caller.
    pub fn get(&self) -> Option<&Claims> {
        self.0.get()
    }

    fn set(&self, claims: &Claims) {
        let _ = self.0.set(claims.clone());
    }
}

/// Extractor for an authenticated caller: `Auth(claims)`. The router state must give
/// an `Arc<Jwt>` through `FromRef`.
#[derive(Debug, Clone)]
pub struct Auth(pub Claims);

impl<S> FromRequestParts<S> for Auth
where
    Arc<Jwt>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .ok_or(AuthError::Missing)?;
        let token = header
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                AuthError::Invalid("expected `Authorization: Bearer <token>`".to_owned())
            })?;
        let jwt = Arc::<Jwt>::from_ref(state);
        let claims = jwt.verify(token.trim()).await?;
        if let Some(slot) = parts.extensions.get::<CallerSlot>() {
            slot.set(&claims);
        }
        Ok(Auth(claims))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes() {
        let mut owner = Claims::new("u1", Role::Owner, "acme", Duration::hours(1));
        owner.vehicle_ids = vec!["V1".to_owned()];
        assert!(owner.can_read_vehicle("acme", "V1"));
        assert!(!owner.can_read_vehicle("acme", "V2"));
        assert!(!owner.can_read_vehicle("other", "V1"));
        let manager = Claims::new("m", Role::FleetManager, "acme", Duration::hours(1));
        assert!(manager.can_read_vehicle("acme", "V9"));
        assert!(!manager.can_read_vehicle("other", "V9"));
        assert_eq!(manager.org_scope(), Some("acme"));
        let admin = Claims::new("a", Role::Admin, "x", Duration::hours(1));
        assert!(admin.can_read_vehicle("other", "V9"));
        assert!(admin.require(&[Role::Admin]).is_ok());
        assert!(manager.require(&[Role::Admin]).is_err());
        assert_eq!("fleet_manager".parse::<Role>(), Ok(Role::FleetManager));
        assert!("boss".parse::<Role>().is_err());
    }
}
