//! The realistic profile: a fleet that does not give the answer away.
//!
//! The default profile injects one fault per vehicle with a deterministic per-mode
//! curve in calendar time, onsets after a clean baseline and no repairs. Each switch
//! of [`RealismOptions`] removes one of those simplifications (see the README and
//! ADR 0021); `--profile realistic` turns all of them on. Every draw comes from the
//! run's seed, through one random stream per vehicle *and per feature*, so turning a
//! feature on or off leaves the others' draws alone and a vehicle's draws do not
//! depend on the fleet size. The distributions are [`RealismParams`].

mod args;
mod assign;
mod fault;
mod law;
mod options;
mod params;
mod sensor;
mod state;
mod truth;
mod vehicle;

pub use self::args::{Profile, RealismArgs};
pub use self::assign::{RealismConfig, assign_realism};
pub use self::fault::{Fault, UsageWeights, typical_day_usage, usage_weights};
pub use self::law::Law;
pub use self::options::{FEATURES, RealismOptions};
pub use self::params::{LawWeights, Range, RealismParams};
pub use self::sensor::{SensorFault, SensorFaultKind, SensorInjector};
pub use self::state::{FaultState, Maintenance, RealState, ServiceEvent, UseStep};
pub use self::truth::{
    FaultTruth, RealismRunTruth, SensorFaultTruth, ServiceTruth, VehicleRealismTruth,
    legacy_degradation, vehicle_truth,
};
pub use self::vehicle::{
    ALTITUDE_PERIOD_KM, CAR_VARIANTS, Climate, LAPSE_C_PER_M, RUNS_HOT_COOLANT_CAP_C,
    RUNS_HOT_TRANS_CAP_C, Realism, RunsHot, TRUCK_VARIANTS, Variant, WeatherEvent,
};

#[cfg(test)]
mod tests;
