//! Lists the decisions of medium or more about a component without a fault on one
//! realistic fleet, each with what the truth says of the vehicle (sensor faults,
//! hot running): where the engine's false alarms come from; then the failures no
//! deadline came a day ahead of, with the decisions taken on them; then the decisions
//! two or more urgency bands below the truth, and the critical ones on a fault with
//! more than 14 days left. Run it on tuning seeds, not on the evaluation seeds the
//! benches report.
//!
//! `cargo run --release -p models-training --example false_alarms -- SEED [VEHICLES] [DAYS]`

use fleetsim::vehicle::Vehicle;
use models::health::{Engine, RulModel};
use models_training::decisions::{
    FaultEpisode, RealisticSpec, VehicleReplay, WARM_UP_DAYS, replay_vehicle,
};
use models_training::fleet::{band_index, urgency_band};
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
    for (vehicle, run) in &runs {
        print_too_low(vehicle, run, &spec);
    }
    for (vehicle, run) in &runs {
        print_early_critical(vehicle, run, &spec);
    }
    Ok(())
}

/// The decisions of `run` two or more urgency bands below the truth, with the health
/// they were taken on.
fn print_too_low(vehicle: &Vehicle, run: &VehicleReplay, spec: &RealisticSpec) {
    for (d, e) in run.decisions.iter().zip(&run.events) {
        let Some(f) = run.fault_at(d.component, d.at) else {
            continue;
        };
        let Some(left) = f.days_left(d.at) else {
            continue;
        };
        if urgency_band(left) < band_index(d.severity) + 2 {
            continue;
        }
        let h = &e.health;
        println!(
            "TOO LOW {} {} ({}) day {:.1} {} {:?} rul {:.1} {:?} band {:?} truth {:.1} d left (onset day {:.1}) | {}",
            run.vehicle_id,
            f.mode,
            law_of(vehicle, f),
            day(d.at, spec),
            e.event.event_type(),
            d.severity,
            h.rul_days,
            h.rul_interval_days,
            h.band,
            left,
            day(f.onset, spec),
            h.factors
                .iter()
                .filter(|f| f.damage.is_some() || f.abnormal == Some(true))
                .map(|f| format!("{}={:.2} dmg {:?}", f.name, f.value, f.damage))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
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

/// The critical decisions of `run` on a faulty component with more than 14 days
/// left (or not failing in the run), with the trend they were taken on.
fn print_early_critical(vehicle: &Vehicle, run: &VehicleReplay, spec: &RealisticSpec) {
    let end = spec.fleet.sim_config().end;
    for (d, e) in run.decisions.iter().zip(&run.events) {
        let Some(f) = run.fault_at(d.component, d.at) else {
            continue;
        };
        let left = f
            .days_left(d.at)
            .unwrap_or_else(|| f.days_left_at_least(d.at, end));
        if d.severity != Severity::Critical || left <= 14.0 {
            continue;
        }
        let h = &e.health;
        let trend = h
            .factors
            .iter()
            .find(|f| f.name.ends_with("_trend_per_day"))
            .map_or("no trend".to_owned(), |f| f.detail.clone());
        println!(
            "EARLY CRITICAL {} {} ({}) day {:.1} (onset {:.1}) {} past limit {} rul {:.1} {:?} truth {:.1} d left{} | {trend}",
            run.vehicle_id,
            f.mode,
            law_of(vehicle, f),
            day(d.at, spec),
            day(f.onset, spec),
            e.event.event_type(),
            d.past_limit,
            h.rul_days,
            h.rul_interval_days,
            left,
            if f.failure.is_some() { "" } else { " at least" },
        );
    }
}

/// The law family the simulator drew for fault `f` of `vehicle` (its truth).
fn law_of(vehicle: &Vehicle, f: &FaultEpisode) -> &'static str {
    vehicle
        .realism
        .as_deref()
        .and_then(|r| {
            r.faults
                .iter()
                .filter(|x| x.mode.as_str() == f.mode)
                .min_by_key(|x| x.onset.abs_diff(f.onset))
        })
        .map_or("default law", |x| x.law.family())
}

fn day(t: i64, spec: &RealisticSpec) -> f64 {
    (t - spec.fleet.sim_config().start) as f64 / 86_400.0
}
