//! Lists the decisions of medium or more about a component without a fault on one
//! realistic fleet, each with what the truth says of the vehicle (sensor faults,
//! hot running): where the engine's false alarms come from; then the failures no
//! deadline came a day ahead of, with the decisions taken on them. Run it on tuning
//! seeds, not on the evaluation seeds the benches report.
//!
//! `cargo run --release -p models-training --example false_alarms -- SEED [VEHICLES] [DAYS]`

use models::health::{Engine, RulModel};
use models_training::decisions::{RealisticSpec, VehicleReplay, WARM_UP_DAYS, replay_vehicle};
use shared_schemas::events::Severity;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: u64| args.get(i).map_or(Ok(default), |a| a.parse());
    let spec = RealisticSpec::realistic(
        arg(0, 60)?,
        u32::try_from(arg(1, 200)?)?,
        u32::try_from(arg(2, 180)?)?,
    )?;
    let engine = Engine::new(RulModel::bundled()?);
    let fleet = spec.vehicles();
    let runs = models_training::parallel::map_in_order(&fleet, 2, |v| {
        (v.clone(), replay_vehicle(&engine, v.clone(), &spec))
    });
    for (vehicle, run) in &runs {
        let mut sensors = String::new();
        if let Some(r) = vehicle.realism.as_deref() {
            for f in &r.sensor_faults {
                sensors += &format!(
                    " [{} {:?} day {:.1}-{:.1}]",
                    f.signal.name(),
                    f.kind,
                    day(f.from, &spec),
                    day(f.to, &spec)
                );
            }
            if r.runs_hot.is_some() {
                sensors += " [runs hot]";
            }
        }
        for (d, e) in run.decisions.iter().zip(&run.events) {
            if d.severity < Severity::Medium || run.fault_at(d.component, d.at).is_some() {
                continue;
            }
            let factors: Vec<String> = e
                .health
                .factors
                .iter()
                .filter(|f| f.damage.is_some() || f.abnormal == Some(true))
                .map(|f| format!("{}={:.2} dmg {:?}", f.name, f.value, f.damage))
                .collect();
            println!(
                "{} day {:.1} {:?} {:?} rul {:.1} | {} |{sensors}",
                run.vehicle_id,
                day(d.at, &spec),
                d.component,
                d.severity,
                e.health.rul_days,
                factors.join("; ")
            );
        }
    }
    for (_, run) in &runs {
        print_misses(run, &spec);
    }
    Ok(())
}

/// The failures of `run` no warning's deadline came a day ahead of.
fn print_misses(run: &VehicleReplay, spec: &RealisticSpec) {
    for f in &run.faults {
        let Some(failure) = f.failure else { continue };
        let during = |t: i64| (f.onset..failure).contains(&t);
        let decided: Vec<_> = run
            .decisions
            .iter()
            .filter(|d| d.component == f.component && during(d.at))
            .collect();
        let warned = decided
            .iter()
            .any(|d| d.warns && d.act_by <= failure - 86_400);
        if warned || day(failure, spec) < WARM_UP_DAYS as f64 {
            continue;
        }
        let taken: Vec<String> = decided
            .iter()
            .map(|d| {
                format!(
                    "day {:.1} {:?} by {:.1}",
                    day(d.at, spec),
                    d.severity,
                    day(d.act_by, spec)
                )
            })
            .collect();
        println!(
            "MISSED {} {:?} {} onset day {:.1} failure day {:.1}: {}",
            run.vehicle_id,
            f.component,
            f.mode,
            day(f.onset, spec),
            day(failure, spec),
            taken.join(", ")
        );
    }
}

fn day(t: i64, spec: &RealisticSpec) -> f64 {
    (t - spec.fleet.sim_config().start) as f64 / 86_400.0
}
