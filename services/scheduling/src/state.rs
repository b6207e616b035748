//! What every handler can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use shared_runtime::auth::Jwt;
use sqlx::PgPool;

use crate::pipeline::booking::Booker;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// `scheduling_db`.
    pub db: PgPool,
    /// Verifies access tokens.
    pub jwt: Arc<Jwt>,
    /// Books, proposes, re-plans.
    pub booker: Booker,
}

impl FromRef<AppState> for Arc<Jwt> {
    fn from_ref(s: &AppState) -> Self {
        s.jwt.clone()
    }
}
