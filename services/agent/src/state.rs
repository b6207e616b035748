//! What every handler can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use shared_runtime::auth::Jwt;
use shared_runtime::bus::Keys;
use shared_runtime::redis_conn::RedisConn;
use sqlx::PgPool;

use crate::events::Recorder;
use crate::pipeline::Agent;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// `agent_db`.
    pub db: PgPool,
    /// Token verification.
    pub jwt: Arc<Jwt>,
    /// The decision maker.
    pub agent: Arc<Agent>,
    /// Commits decisions.
    pub recorder: Recorder,
    /// Redis (consumer backlog for the status).
    pub redis: RedisConn,
    /// Key names.
    pub keys: Keys,
}

impl FromRef<AppState> for Arc<Jwt> {
    fn from_ref(s: &AppState) -> Self {
        s.jwt.clone()
    }
}
