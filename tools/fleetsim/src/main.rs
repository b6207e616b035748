//! `fleetsim`: fleet telemetry simulator and ingestion load generator.

use clap::{Parser, Subcommand};

// The load generator shares the machine with what it measures: a faster allocator
// leaves more CPU to the service under test.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Fleet telemetry simulator with injected degradations, and a load generator for
/// ingestion.
#[derive(Debug, Parser)]
#[command(name = "fleetsim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate a fleet (trips, signals, degradations, optional odometer faults) and
    /// write or post its readings; writes the ground truth of what was injected.
    Simulate(fleetsim::simulate::SimulateArgs),
    /// Print the vehicles `simulate` creates with the same --vehicles and --seed (id,
    /// VIN, make, model year, kind, profile, home base, odometer at the start), one
    /// JSON object a line, without simulating: for seeding other services.
    Fleet(fleetsim::roster::FleetArgs),
    /// Drive ingestion flat out for a while and report throughput and latency; the
    /// last stdout line is `readings_per_s=… requests_per_s=… p50_ms=… p99_ms=… errors=…`.
    Load(fleetsim::load::LoadArgs),
    /// Measure telemetry-to-email latency through the running platform under a
    /// background load; the last stdout line is
    /// `e2e_alert_p50_ms=… e2e_alert_p99_ms=… lost=… duplicated=…`.
    E2e(fleetsim::e2e::E2eArgs),
    /// Count the messages the running platform sent about a simulated fleet, split by
    /// the truth file into injected faults and the rest, and each fault's lead; the
    /// last stdout line is `healthy_per_1000_vd=… healthy_max_severity=… faults_alerted=…`.
    Notifications(fleetsim::notify::NotifyArgs),
    /// Replay real OBD-II logs of a healthy car (carOBD, bundled) as a month of daily
    /// use: print the OBD-II requests, one a line, or post them to ingestion's
    /// `/v1/telemetry/obd2`; the last stdout line of a post is
    /// `readings=… accepted=… duplicates=… rejected=…`.
    ReplayObd(fleetsim::carobd::replay::ReplayArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Simulate(args) => fleetsim::simulate::run(args),
        Command::Fleet(args) => fleetsim::roster::run(&args),
        Command::Load(args) => fleetsim::load::run(args),
        Command::E2e(args) => fleetsim::e2e::run(args),
        Command::Notifications(args) => fleetsim::notify::run(args),
        Command::ReplayObd(args) => fleetsim::carobd::replay::run(args),
    }
}
