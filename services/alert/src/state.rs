//! What every handler can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use shared_runtime::auth::Jwt;
use sqlx::PgPool;

use crate::domain::link::LinkSigner;
use crate::events::feed::Feed;
use crate::pipeline::Alerting;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// `alert_db`.
    pub db: PgPool,
    /// Token verification.
    pub jwt: Arc<Jwt>,
    /// The alert life cycle.
    pub alerting: Alerting,
    /// Acknowledge links.
    pub links: LinkSigner,
    /// Whether following a link asks for a click first.
    pub link_confirm: bool,
    /// The live feed.
    pub feed: Feed,
}

impl FromRef<AppState> for Arc<Jwt> {
    fn from_ref(s: &AppState) -> Self {
        s.jwt.clone()
    }
}
