//! What every handler can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use shared_runtime::auth::Jwt;
use sqlx::PgPool;

use crate::pipeline::claims::ClaimDesk;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// `warranty_db`.
    pub db: PgPool,
    /// Verifies access tokens.
    pub jwt: Arc<Jwt>,
    /// Files, decides and moves claims.
    pub desk: ClaimDesk,
    /// Largest document accepted, bytes.
    pub max_attachment_bytes: usize,
}

impl FromRef<AppState> for Arc<Jwt> {
    fn from_ref(s: &AppState) -> Self {
        s.jwt.clone()
    }
}
