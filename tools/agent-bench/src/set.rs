//! Replayed fleets, kept as a scenario file: every event the agent decides on, what
//! the health service answered then, the decisions of the agent's rules, and the
//! fleet's truth.

use std::path::Path;

use anyhow::Context;
use models::health::Engine;
use models_training::decisions::{self, RealisticSpec, VehicleReplay};
use serde::{Deserialize, Serialize};

/// The committed scenario file `make test` scores.
pub const DEFAULT_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/scenarios/small-realistic.json"
);

/// One replayed fleet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fleet {
    /// The fleet's seed.
    pub seed: u64,
    /// Simulated span, Unix seconds.
    pub start: i64,
    /// See `start`.
    pub end: i64,
    /// Each vehicle's events, decisions and truth.
    pub vehicles: Vec<VehicleReplay>,
}

impl Fleet {
    /// Replays `spec`'s fleet through `engine` on `threads` threads.
    pub fn replay(engine: &Engine, spec: &RealisticSpec, threads: usize) -> Self {
        let cfg = spec.fleet.sim_config();
        Self {
            seed: spec.fleet.seed,
            start: cfg.start,
            end: cfg.end,
            vehicles: decisions::replay_fleet(engine, spec, threads),
        }
    }

    /// Events the agent decides on.
    pub fn events(&self) -> usize {
        self.vehicles.iter().map(|v| v.events.len()).sum()
    }
}

/// A scenario file: fleets and how they were made.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioSet {
    /// How it was made (profile, size, model).
    pub generator: String,
    /// The fleets.
    pub fleets: Vec<Fleet>,
}

impl ScenarioSet {
    /// Reads a scenario file.
    pub fn load(path: impl AsRef<Path>) -> anyhow::Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).with_context(|| {
            format!("reading {} (write it with make-scenarios)", path.display())
        })?;
        let set: Self = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a scenario file", path.display()))?;
        for f in &set.fleets {
            for v in &f.vehicles {
                anyhow::ensure!(
                    v.events.len() == v.decisions.len(),
                    "{}: vehicle {} has {} events for {} decisions",
                    path.display(),
                    v.vehicle_id,
                    v.events.len(),
                    v.decisions.len()
                );
            }
        }
        Ok(set)
    }

    /// Writes it, without the RULs the agent does not decide on (they are what
    /// interval coverage is scored on, in `detection-bench`).
    pub fn save(&self, path: impl AsRef<Path>) -> anyhow::Result<()> {
        let mut lean = self.clone();
        for v in lean.fleets.iter_mut().flat_map(|f| f.vehicles.iter_mut()) {
            v.rul_checks.clear();
        }
        let mut json = serde_json::to_string(&lean)?;
        json.push('\n');
        std::fs::write(path.as_ref(), json)
            .with_context(|| format!("writing {}", path.as_ref().display()))
    }
}
