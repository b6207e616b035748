//! The benches' key figures, pinned on a small fleet so that a regression fails CI
//! (issue 14): detection precision and recall, the 80 % RUL intervals' coverage, and the pages (SMS, push) a fleet
//! manager receives under the urgency-band policy against the health-band one.
//! The full benches are `detection-bench` (200 vehicles × 90 days, seeds 42–46).

use models::health::Engine;
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
    assert!(
        (0.65..=0.95).contains(&coverage),
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
