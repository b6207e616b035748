//! The agent's benchmark (issue 14 §3): the agent decides on every health event the
//! pipeline raises on a replayed fleet — faulty and healthy vehicles, the faulty
//! component and the others alike, at the engine's instants — and its decisions are
//! scored against the fleet's truth with the same figures as `detection-bench`
//! (`models_training::decisions`): faults warned by the deadline, unused life, bands
//! too low, false alarms, early critical alerts, cost. Beside them, what only the agent
//! adds: the failure mode and key action it names on a faulty component, and what it
//! makes of events about a component without a fault.
//!
//! A fleet comes either from a fresh replay (`agent-bench --profile realistic --seeds
//! …`) or from a scenario file ([`set::ScenarioSet`], written by `make-scenarios`; the
//! committed one is what `make test` pins). `--reviews` scores the reviewers' labelled
//! cases instead ([`reviews`]).

pub mod decide;
pub mod figures;
pub mod modes;
pub mod reviews;
pub mod set;
