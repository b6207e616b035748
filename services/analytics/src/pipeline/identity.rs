//! Identity: users, organizations, login and tokens.

use shared_runtime::auth::Jwt;
use shared_runtime::config::CommonConfig;
use sqlx::PgPool;

use crate::config::{Config, IdentityConfig};

/// Users, organizations, login and tokens.
#[derive(Debug, Clone)]
pub struct Identity {
    db: PgPool,
}

impl Identity {
    /// Identity over `db` with the configured keys.
    pub fn new(db: PgPool, _config: &Config) -> anyhow::Result<Self> {
        Ok(Self { db })
    }

    /// Creates the first admin when no user exists.
    pub async fn bootstrap(&self, _config: &IdentityConfig) -> anyhow::Result<()> {
        let _ = &self.db;
        Ok(())
    }

    /// The verifier of this service's own tokens.
    pub fn verifier(&self, common: &CommonConfig) -> Jwt {
        Jwt::new(&common.jwt_secret)
    }
}
