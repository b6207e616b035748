//! (being written)

use std::sync::Arc;
use std::time::Duration;

use shared_runtime::auth::ServiceTokens;
use sqlx::PgPool;

/// Vehicle facts (position, counters) from the health service.
#[derive(Debug, Clone)]
pub struct Vehicles {
    db: PgPool,
}

impl Vehicles {
    /// Facts from the health service at `base`.
    pub fn remote(
        db: PgPool,
        base: &str,
        tokens: Arc<ServiceTokens>,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let _ = (base, tokens, timeout);
        Ok(Self { db })
    }

    /// No health service: positions unknown.
    pub fn unknown(db: PgPool) -> Self {
        Self { db }
    }
}
