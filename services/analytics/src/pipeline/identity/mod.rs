//! Identity: the platform's users, organizations and services, and the tokens that
//! say who they are. Access tokens are EdDSA JWTs of at most 15 minutes; refresh
//! tokens are opaque, stored hashed and rotated on every use (ADR 0012).

mod accounts;
mod links;
mod sessions;

pub use accounts::{NewUser, UserPatch};
pub use sessions::{ServiceToken, Session};

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use shared_runtime::auth::{Claims, JwksSource, Jwt, Role};
use shared_runtime::config::CommonConfig;
use sqlx::PgPool;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::config::{Config, IdentityConfig};
use crate::db;
use crate::domain::account::User;
use crate::domain::keys::{KeySet, SigningPair};
use crate::domain::{password, secret_token};
use crate::error::{ApiError, IdentityError};

pub use crate::domain::account::PLATFORM_ORG;

/// Users, organizations, login and tokens. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Identity {
    db: PgPool,
    keys: Arc<KeySet>,
    settings: Arc<IdentityConfig>,
    /// Service name -> digest of its client secret.
    clients: Arc<HashMap<String, Vec<u8>>>,
    /// Verified against when an account does not exist (equal timing).
    decoy: Arc<String>,
    /// Base of links in mail.
    public_url: String,
    /// Wakes the mailer after queued mail commits.
    mail_wake: Arc<Notify>,
}

impl Identity {
    /// Identity over `db` with the configured keys and clients; `mail_wake` is the
    /// mailer's notifier.
    pub fn new(db: PgPool, config: &Config, mail_wake: Arc<Notify>) -> anyhow::Result<Self> {
        let id = &config.identity;
        let keys = KeySet {
            current: SigningPair::parse(id.signing_key.expose(), "ANALYTICS_SIGNING_KEY")?,
            retired: id
                .retired_signing_key
                .as_ref()
                .map(|k| SigningPair::parse(k.expose(), "ANALYTICS_RETIRED_SIGNING_KEY"))
                .transpose()?,
        };
        Ok(Self {
            db,
            keys: Arc::new(keys),
            clients: Arc::new(parse_clients(id.service_clients.expose())?),
            settings: Arc::new(id.clone()),
            decoy: Arc::new(password::decoy_hash()),
            public_url: config.public_url.trim_end_matches('/').to_owned(),
            mail_wake,
        })
    }

    /// Creates the platform organization and, when no account exists yet, the first
    /// admin from `ANALYTICS_BOOTSTRAP_ADMIN_*`.
    pub async fn bootstrap(&self) -> anyhow::Result<()> {
        db::orgs::insert(&self.db, PLATFORM_ORG, "Platform operators").await?;
        let Some((email, secret)) = &self.settings.bootstrap_admin else {
            return Ok(());
        };
        if db::users::any(&self.db).await? {
            return Ok(());
        }
        let email = crate::domain::account::normalize_email(email)
            .map_err(|e| anyhow::anyhow!("ANALYTICS_BOOTSTRAP_ADMIN_EMAIL: {e}"))?;
        password::check_policy(secret.expose(), &email)
            .map_err(|e| anyhow::anyhow!("ANALYTICS_BOOTSTRAP_ADMIN_PASSWORD: {e}"))?;
        let user = User {
            id: Uuid::now_v7(),
            email,
            name: "Administrator".to_owned(),
            role: Role::Admin,
            org_id: PLATFORM_ORG.to_owned(),
            vehicle_ids: Vec::new(),
            center_ids: Vec::new(),
            disabled: false,
            has_password: true,
            created_at: Utc::now(),
        };
        let mut tx = self.db.begin().await?;
        db::users::insert(&mut tx, &user, Some(&password::hash(secret.expose()))).await?;
        tx.commit().await?;
        tracing::info!(email = %user.email, "first admin created");
        Ok(())
    }

    /// The verifier of this service's own tokens (and of development tokens when
    /// `JWT_SECRET` is set).
    pub fn verifier(&self, common: &CommonConfig) -> Jwt {
        let jwt = Jwt::with_keys(JwksSource::fixed(&self.keys.jwk_set()));
        match &common.jwt_secret {
            Some(secret) => jwt.with_development_secret(secret),
            None => jwt,
        }
    }

    /// The published keys (JWKS).
    pub fn jwks(&self) -> serde_json::Value {
        self.keys.jwks()
    }

    fn access_token(&self, claims: &Claims) -> Result<String, ApiError> {
        self.keys
            .current
            .sign(claims)
            .context("signing an access token")
            .map_err(ApiError::Internal)
    }

    fn access_ttl(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.settings.access_ttl)
            .unwrap_or(chrono::Duration::minutes(15))
    }
}

/// `name=secret,name=secret` -> name -> digest of secret.
fn parse_clients(spec: &str) -> anyhow::Result<HashMap<String, Vec<u8>>> {
    spec.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, secret) = pair
                .split_once('=')
                .filter(|(n, s)| !n.is_empty() && s.len() >= 16)
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "ANALYTICS_SERVICE_CLIENTS: expected name=secret pairs with secrets of 16+ characters"
                    )
                })?;
            Ok((name.trim().to_owned(), secret_token::digest(secret.trim())))
        })
        .collect()
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::Service(IdentityError::Unauthorized(message.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::parse_clients;

    #[test]
    fn service_clients_parse_or_name_the_variable() {
        let c = parse_clients("agent=0123456789abcdef, alert=fedcba9876543210").unwrap();
        assert_eq!(c.len(), 2);
        assert!(parse_clients("").unwrap().is_empty());
        let err = parse_clients("agent=short").unwrap_err().to_string();
        assert!(err.contains("ANALYTICS_SERVICE_CLIENTS"));
    }
}
