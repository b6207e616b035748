//! The decisions the pipeline would take on a replayed fleet, scored against the
//! fleet's truth: the evaluation of issue 14 §3, on any fleetsim profile.
//!
//! Each vehicle's readings go through the health engine as the health service applies
//! them; services and repairs the simulator performs reset the component, as
//! `appointment.completed` does in the platform. Every event the engine raises
//! (`component.degraded`, `component.critical`, `vehicle.health.changed`) becomes the
//! decision the agent's rules take on it (`shared_schemas::urgency`): a severity from
//! the urgency band of the RUL and a deadline to act. Faulty and healthy vehicles,
//! right and wrong components alike: the instants are the engine's, the labels the
//! truth's. A second alarm policy, the vehicle's own trouble codes, is recorded beside
//! it as the baseline a fleet without prognosis already has.

mod event;
mod replay;
pub mod report;
mod score;
mod spread;

pub use self::event::{DecidedEvent, HealthEvent, ORG};
pub use self::replay::{
    Decision, FaultEpisode, RealisticSpec, RulCheck, VehicleReplay, replay_fleet, replay_vehicle,
};
pub use self::score::{
    BaselineCost, DecisionScore, FALSE_ALARM_COST, MISSED_FAILURE_COST, WARM_UP_DAYS, score,
};
pub use self::spread::Spread;
