//! Query functions over `health_db` (runtime-checked queries, bound parameters only;
//! batches go through `UNNEST` so a batch is a handful of statements, not one per
//! vehicle).

pub mod anomalies;
pub mod applied;
pub mod days;
pub mod history;
pub mod services;
pub mod vehicles;

use shared_schemas::events::HealthBand;

/// A band stored as its wire name.
pub(crate) fn band_from_str(s: &str) -> Option<HealthBand> {
    [
        HealthBand::Excellent,
        HealthBand::Good,
        HealthBand::Fair,
        HealthBand::Poor,
        HealthBand::Critical,
    ]
    .into_iter()
    .find(|b| b.as_str() == s)
}
