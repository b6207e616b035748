//! (being written)

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::Notify;

use super::vehicles::Vehicles;

/// Books jobs into slots.
#[derive(Debug, Clone)]
pub struct Booker {
    pub(crate) db: PgPool,
    relay: Arc<Notify>,
    vehicles: Vehicles,
    budget: Duration,
}

impl Booker {
    /// A booker on `db`.
    pub fn new(db: PgPool, relay: Arc<Notify>, vehicles: Vehicles, budget: Duration) -> Self {
        Self {
            db,
            relay,
            vehicles,
            budget,
        }
    }
}
