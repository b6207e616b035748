//! What every handler can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use shared_runtime::auth::Jwt;
use sqlx::PgPool;

use crate::pipeline::audit::Auditor;
use crate::pipeline::gateway::Gateway;
use crate::pipeline::identity::Identity;
use crate::pipeline::metrics::Metrics;
use crate::pipeline::reports::Reports;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// `analytics_db`.
    pub db: PgPool,
    /// Verifies access tokens (this service's own keys, and the development HMAC key
    /// when one is configured).
    pub jwt: Arc<Jwt>,
    /// Users, organizations, login and tokens.
    pub identity: Identity,
    /// The audit log.
    pub auditor: Auditor,
    /// The fleet metrics read models.
    pub metrics: Metrics,
    /// Reports from the read models.
    pub reports: Reports,
    /// Wakes the report scheduler (a schedule was created).
    pub report_wake: Arc<tokio::sync::Notify>,
    /// The dashboard's files and the services behind `/api/` (ADR 0022).
    pub gateway: Gateway,
}

impl FromRef<AppState> for Arc<Jwt> {
    fn from_ref(s: &AppState) -> Self {
        s.jwt.clone()
    }
}
