//! The `fleet` command: the vehicles a `simulate` run with the same `--vehicles` and
//! `--seed` creates (id, VIN, make, model year, kind, profile, home base, odometer at
//! the start of the run), one JSON object a line, without simulating anything. Other
//! services' development data (warranty contracts, `scripts/seed-warranty.sh`) is seeded
//! from it before any telemetry arrives. A vehicle's identity depends only on the seed,
//! its index and the fleet size (which sets the profile mix), never on the simulated
//! span or its start.

use std::io::{self, BufWriter, Write};

use anyhow::{Context, bail};
use serde::Serialize;

use crate::profile::{DutyProfile, VehicleKind};
use crate::vehicle::{Vehicle, profiles_for};

/// `fleet` options: those of `simulate` that choose the vehicles.
#[derive(Debug, Clone, clap::Args)]
pub struct FleetArgs {
    /// Number of vehicles, as given to `simulate`.
    #[arg(long, default_value_t = 10)]
    pub vehicles: u32,
    /// Seed, as given to `simulate`.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// One vehicle of the fleet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RosterEntry {
    /// Fleet id, `VH-000042`.
    pub vehicle_id: String,
    /// VIN (position 10 encodes the model year).
    pub vin: String,
    /// Manufacturer.
    pub make: &'static str,
    /// Model year.
    pub model_year: i32,
    /// Truck or car.
    pub kind: VehicleKind,
    /// How it is used.
    pub profile: DutyProfile,
    /// Home base city.
    pub home_base: &'static str,
    /// Odometer when a run starts, whole km.
    pub odometer_km: u64,
}

impl From<&Vehicle> for RosterEntry {
    fn from(v: &Vehicle) -> Self {
        Self {
            vehicle_id: v.id.clone(),
            vin: v.vin.clone(),
            make: v.make,
            model_year: v.model_year,
            kind: v.kind,
            profile: v.profile,
            home_base: v.home.name,
            odometer_km: v.params.odometer_start_km.max(0.0).round() as u64,
        }
    }
}

/// The `n` vehicles of a run seeded `seed`.
pub fn roster(n: u32, seed: u64) -> Vec<RosterEntry> {
    profiles_for(n, seed)
        .into_iter()
        .zip(0..)
        // The span only sizes the brake pads, which the roster leaves out.
        .map(|(p, i)| RosterEntry::from(&Vehicle::generate(seed, i, p, 1.0)))
        .collect()
}

/// Runs the `fleet` command: the roster on stdout.
pub fn run(args: &FleetArgs) -> anyhow::Result<()> {
    if args.vehicles == 0 {
        bail!("--vehicles must be at least 1");
    }
    let mut out = BufWriter::new(io::stdout().lock());
    for entry in roster(args.vehicles, args.seed) {
        serde_json::to_writer(&mut out, &entry).context("writing the fleet")?;
        out.write_all(b"\n").context("writing the fleet")?;
    }
    out.flush().context("writing the fleet")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::{SimConfig, build_fleet};

    #[test]
    fn the_roster_is_the_fleet_a_run_of_any_span_creates() {
        for (days, start) in [(1, 1_704_672_000), (14, 1_720_396_800)] {
            let cfg = SimConfig {
                start,
                end: start + days * 86_400,
                interval_s: 60,
                seed: 42,
            };
            let fleet: Vec<RosterEntry> = build_fleet(20, &cfg, 0.3)
                .iter()
                .map(RosterEntry::from)
                .collect();
            assert_eq!(roster(20, 42), fleet, "{days} days");
        }
        assert_ne!(roster(20, 42), roster(20, 7), "the seed picks the fleet");
        let first = &roster(20, 42)[0];
        assert_eq!(first.vehicle_id, "VH-000001");
        assert_eq!(first.vin.len(), 17);
    }
}
