//! What every handler can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use shared_runtime::auth::Jwt;
use sqlx::PgPool;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// `warranty_db`.
    pub db: PgPool,
    /// Verifies access tokens.
    pub jwt: Arc<Jwt>,
}

impl FromRef<AppState> for Arc<Jwt> {
    fn from_ref(s: &AppState) -> Self {
        s.jwt.clone()
    }
}
