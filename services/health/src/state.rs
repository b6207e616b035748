//! What every handler can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use shared_runtime::auth::Jwt;
use sqlx::PgPool;

use crate::pipeline::Assessor;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// `health_db`.
    pub db: PgPool,
    /// User token verification.
    pub jwt: Arc<Jwt>,
    /// Assessments (recompute).
    pub assessor: Arc<Assessor>,
}

impl FromRef<AppState> for Arc<Jwt> {
    fn from_ref(s: &AppState) -> Self {
        s.jwt.clone()
    }
}
