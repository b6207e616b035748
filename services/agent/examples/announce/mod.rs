//! The health events of an assessment's transitions, rebuilt for the examples' fleet
//! replays as the health service announces them (organization `bench`, no odometer).

use chrono::{DateTime, Utc};
use models::health::tracker::Last;
use shared_schemas::events::{
    ChangeReason, Component, ComponentDegraded, ComponentHealth, HealthChanged,
};
use shared_schemas::telemetry::Dtc;

/// The organization of the replayed fleets.
pub(crate) const ORG: &str = "bench";

/// The `component.degraded` event of vehicle `vehicle_id`'s component health `h` at
/// `at`, with the trouble codes `dtcs`.
pub(crate) fn degraded(
    vehicle_id: &str,
    h: &ComponentHealth,
    dtcs: Vec<Dtc>,
    at: DateTime<Utc>,
) -> ComponentDegraded {
    ComponentDegraded::of(ORG, vehicle_id, h, dtcs, None, at)
}

/// The `vehicle.health.changed` event of vehicle `vehicle_id`'s `component` going from
/// `previous` to `current` for `reason` at `at`, with a RUL of `rul_days` now.
pub(crate) fn changed(
    vehicle_id: &str,
    component: Component,
    previous: Last,
    current: Last,
    reason: ChangeReason,
    rul_days: f64,
    at: DateTime<Utc>,
) -> HealthChanged {
    HealthChanged {
        org_id: ORG.to_owned(),
        vehicle_id: vehicle_id.to_owned(),
        component,
        previous_score: previous.score,
        previous_band: previous.band,
        current_score: current.score,
        current_band: current.band,
        rul_days,
        reason,
        detected_at: at,
    }
}
