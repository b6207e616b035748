//! The benches' key figures, pinned on a small fleet so that a regression fails CI
//! (issue 14): detection precision and recall, the 80 % RUL intervals' coverage, and the pages (SMS, push) a fleet
//! manager receives under the urgency-band policy against the health-band one.
//! The full benches are `detection-bench` (200 vehicles × 90 days, seeds 42–46; with
//! `--profile realistic`, 200 × 180 days, the decision-level figures).

use fleetsim::realism::{Profile, RealismArgs};
use models::health::Engine;
use models_training::decisions::{self, DecisionScore, RealisticSpec};
use models_training::fleet::{self, FleetSpec, replay_fleet};
use models_training::pages::{PagePolicy, score_pages};

#[test]
fn a_small_fleet_keeps_the_detection_and_paging_figures() {
    let engine = Engine::bundled().expect("the bundled model");
    // Seed 47: neither training (7), interval calibration (9) nor the bench (42–46).
    let spec = FleetSpec {
        vehicles: 40,
        days: 60,
        seed: 47,
        degrade_fraction: 0.5,
        assess_every_s: 3600,
        interval_s: 300,
    };
    let runs = replay_fleet(&engine, &spec, 2);
    let end = spec.sim_config().end;
    let s = fleet::score(&runs, end);
    assert!(
        s.failures >= 8,
        "the fleet has faults to find: {}",
        s.failures
    );
    assert!(s.precision() >= 0.9, "precision {:.3}", s.precision());
    assert!(s.recall() >= 0.9, "recall {:.3}", s.recall());
    let (coverage, checks) = s.interval_coverage().expect("the model has RUL intervals");
    eprintln!("80 % interval coverage {coverage:.3} on {checks} checks");
    // The intervals are calibrated on the realistic profile's training fleet, whose
    // RULs err more than this profile's: here they run wide (0.948 measured).
    assert!(
        (0.65..=0.98).contains(&coverage),
        "80 % RUL intervals cover {coverage:.3}"
    );

    let by_band = score_pages(&runs, end, PagePolicy::HealthBand);
    let by_urgency = score_pages(&runs, end, PagePolicy::UrgencyBand);
    eprintln!("health band {by_band:?}\nurgency band {by_urgency:?}");
    assert!(
        by_urgency.early_share() <= 0.15,
        "pages with over 14 days left: {:.3}",
        by_urgency.early_share()
    );
    assert!(
        by_band.early_share() >= by_urgency.early_share() + 0.2,
        "the health band pages earlier than the urgency band: {:.3} vs {:.3}",
        by_band.early_share(),
        by_urgency.early_share()
    );
    assert!(
        by_urgency.paged_in_time as f64 >= 0.9 * by_urgency.failures as f64,
        "faults paged a day ahead: {}/{}",
        by_urgency.paged_in_time,
        by_urgency.failures
    );
}

/// Seed 47's small realistic fleet (evaluation distributions, a seed no bench or
/// calibration uses), replayed and scored.
fn small_realistic_fleet() -> DecisionScore {
    let engine = Engine::bundled().expect("the bundled model");
    let realism = RealismArgs {
        profile: Profile::Realistic,
        ..RealismArgs::default()
    }
    .config()
    .expect("the realistic profile");
    let spec = RealisticSpec {
        fleet: FleetSpec {
            vehicles: 40,
            days: 90,
            seed: 47,
            degrade_fraction: 0.5,
            assess_every_s: 3600,
            interval_s: 300,
        },
        realism,
    };
    let runs = decisions::replay_fleet(&engine, &spec, 2);
    let cfg = spec.fleet.sim_config();
    decisions::score(&runs, cfg.start, cfg.end)
}

/// The decision-level figures of issue 14 §3 on a small realistic fleet. The bounds
/// sit a margin beyond what the bundled model measures here (printed), so that a
/// change which makes the decisions clearly worse fails, not one that moves them by
/// noise.
#[test]
fn a_small_realistic_fleet_keeps_the_decision_figures() {
    let s = small_realistic_fleet();
    eprintln!(
        "warned {:.3}, unused {:.3}, too low {:?}, healthy {:.2}, critical early {:.3}, coverage {:.3}, P/R {:.3}/{:.3}, cost {:.1}/{:.1}/{:.1}",
        s.warned_share(),
        s.unused_life_p50(),
        s.bands_too_low(),
        s.healthy_alarms_per_1000(),
        s.critical_early_share(),
        s.coverage(),
        s.precision(),
        s.recall(),
        s.cost(),
        s.cost_without_prognosis(),
        s.cost_of_codes()
    );
    assert!(s.failures >= 8, "failures to warn of: {}", s.failures);
    assert!(s.healthy_vehicles >= 10, "healthy: {}", s.healthy_vehicles);
    // Measured (health-rul-v2, intervals from the realistic training fleet, sensor
    // plausibility and the trend gate of ADR 0028): warned 0.870, unused life 0.516,
    // two bands too low 0.055 (0.028 before ADR 0028), healthy 0.56 per 1,000
    // vehicle-days (1.11 before), critical early 0.320, coverage 0.717, precision
    // 0.966 (0.903 before), recall 0.870, cost 425 against 3,194 without prognosis
    // and 1,250 on trouble codes. The precision and healthy-alarm pins fail with the
    // engine before ADR 0028.
    assert!(s.warned_share() >= 0.75, "warned {:.3}", s.warned_share());
    assert!(
        s.unused_life_p50() <= 0.65,
        "unused {:.3}",
        s.unused_life_p50()
    );
    assert!(
        s.bands_too_low().1 <= 0.08,
        "too low {:?}",
        s.bands_too_low()
    );
    let healthy = s.healthy_alarms_per_1000();
    assert!(healthy <= 1.0, "healthy alarms {healthy:.2}");
    let critical = s.critical_early_share();
    assert!(critical <= 0.6, "critical early {critical:.3}");
    assert!((0.55..=0.95).contains(&s.coverage()), "{:.3}", s.coverage());
    assert!(s.precision() >= 0.93, "precision {:.3}", s.precision());
    assert!(s.recall() >= 0.75, "recall {:.3}", s.recall());
    let (cost, none, codes) = (s.cost(), s.cost_without_prognosis(), s.cost_of_codes());
    assert!(
        cost < 0.3 * none && cost < codes,
        "cost {cost:.1} against {none:.1} without prognosis and {codes:.1} on codes"
    );
}
