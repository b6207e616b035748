//! (being written)

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::booking::Booker;

/// Checks maintenance plans against the counters.
#[derive(Debug)]
pub struct PlanChecker {
    booker: Booker,
    every: Duration,
}

impl PlanChecker {
    /// A checker running every `every`.
    pub fn new(booker: Booker, every: Duration) -> Self {
        Self { booker, every }
    }

    /// Runs until shutdown.
    pub async fn run(self, shutdown: CancellationToken) {
        let _ = (&self.booker, self.every);
        shutdown.cancelled().await;
    }
}
