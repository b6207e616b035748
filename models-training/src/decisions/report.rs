//! The decision-level figures as the benchmarks print them: a line per seed, the pooled
//! breakdowns, and the targets of issue 14 §3 with their spreads over the seeds (last,
//! so that a reader of the tail of a log sees them).

use std::collections::BTreeMap;

use super::{DecisionScore, Spread};

/// The line of one seed.
pub fn print_seed(seed: u64, s: &DecisionScore) {
    println!(
        "seed {seed}: {} vehicles ({} healthy), {} faults, failures {} (+{} in the warm-up), warned by the deadline {} ({:.3}), unused life p50 {:.3} (by the interval's deadlines: warned {:.3}, unused {:.3}), decisions {} (one band too low {:.3}, two {:.3}), false alarms {} ({} on healthy vehicles, {:.2}/1000 vehicle-days), critical {} ({} over 14 days: {} without a fault, {} past a limit), pages {} ({} over 14 days), interval coverage {:.3} of {}, precision {:.3} recall {:.3} lead p50 {:.1} d, cost {:.1} (no prognosis {:.1}, trouble codes {:.1})",
        s.vehicles,
        s.healthy_vehicles,
        s.faults,
        s.failures,
        s.failures_in_warm_up,
        s.warned,
        s.warned_share(),
        s.unused_life_p50(),
        s.warned_share_by_interval(),
        s.unused_life_p50_by_interval(),
        s.decisions,
        s.bands_too_low().0,
        s.bands_too_low().1,
        s.false_alarms,
        s.healthy_alarms,
        s.healthy_alarms_per_1000(),
        s.critical.0,
        s.critical.1,
        s.critical_early_causes.0,
        s.critical_early_causes.1,
        s.pages.0,
        s.pages.1,
        s.coverage(),
        s.coverage.0,
        s.precision(),
        s.recall(),
        s.lead_p50(),
        s.cost(),
        s.cost_without_prognosis(),
        s.cost_of_codes(),
    );
}

/// Failures warned per mode and the band confusion, summed over the seeds.
pub fn print_pooled(scores: &[DecisionScore]) {
    let mut by_mode: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut confusion = [[0usize; 4]; 4];
    let mut two_low = (0, 0);
    for s in scores {
        two_low.0 += s.two_low_before_trend.0;
        two_low.1 += s.two_low_before_trend.1;
        for (mode, (n, warned)) in &s.by_mode {
            let e = by_mode.entry(mode.as_str()).or_default();
            e.0 += n;
            e.1 += warned;
        }
        for (row, add) in confusion.iter_mut().zip(s.band_confusion) {
            for (cell, a) in row.iter_mut().zip(add) {
                *cell += a;
            }
        }
    }
    println!(
        "all seeds: {:<24} {:>8} {:>7}",
        "mode", "failures", "warned"
    );
    for (mode, (n, warned)) in by_mode {
        println!("all seeds: {mode:<24} {n:>8} {warned:>7}");
    }
    println!(
        "all seeds: decisions on a faulty component with a known true band; rows true, columns decided (low, medium, high, critical):"
    );
    for (row, name) in confusion.iter().zip(["low", "medium", "high", "critical"]) {
        println!(
            "  {name:<8} {:>6} {:>6} {:>6} {:>6}",
            row[0], row[1], row[2], row[3]
        );
    }
    println!(
        "all seeds: decisions two or more bands too low {}, of them {} taken before the engine found the part degrading (a RUL from the damage level alone, no trend yet)",
        two_low.0, two_low.1
    );
}

/// The targets, mean ± 95 % interval over the seeds.
pub fn print_targets(scores: &[DecisionScore]) {
    let spread = |f: fn(&DecisionScore) -> f64| spread_of(scores, f);
    let verdict = |ok: bool| if ok { "met" } else { "NOT MET" };
    let warned = spread(DecisionScore::warned_share);
    let unused = spread(DecisionScore::unused_life_p50);
    let one_low = spread(|s| s.bands_too_low().0);
    let two_low = spread(|s| s.bands_too_low().1);
    let healthy = spread(DecisionScore::healthy_alarms_per_1000);
    let critical = spread(DecisionScore::critical_early_share);
    let coverage = spread(DecisionScore::coverage);
    let precision = spread(DecisionScore::precision);
    let recall = spread(DecisionScore::recall);
    let lead = spread(DecisionScore::lead_p50);
    println!(
        "targets over {} seeds (mean ± 95 % interval):",
        scores.len()
    );
    let lines = [
        (
            "warned by a deadline ≥ 1 day before failure (≥ 95 %)",
            warned.show(100.0, 1),
            warned.mean >= 0.95,
        ),
        (
            "median unused life at the deadline (≤ 20 % of onset-to-failure)",
            unused.show(100.0, 1),
            unused.mean <= 0.20,
        ),
        (
            "decisions one band too low (≤ 5 %)",
            one_low.show(100.0, 1),
            one_low.mean <= 0.05,
        ),
        (
            "decisions two or more bands too low (0)",
            two_low.show(100.0, 2),
            two_low.mean == 0.0,
        ),
        (
            "healthy vehicles: decisions ≥ medium per 1,000 vehicle-days (≤ 2)",
            healthy.show(1.0, 2),
            healthy.mean <= 2.0,
        ),
        (
            "critical decisions with > 14 days left (≤ 5 %)",
            critical.show(100.0, 1),
            critical.mean <= 0.05,
        ),
        (
            "80 % RUL intervals covering the truth (75-85 %)",
            coverage.show(100.0, 1),
            (0.75..=0.85).contains(&coverage.mean),
        ),
        (
            "precision (≥ 0.95)",
            precision.show(1.0, 3),
            precision.mean >= 0.95,
        ),
        ("recall (≥ 0.95)", recall.show(1.0, 3), recall.mean >= 0.95),
        (
            "median lead, days (≥ 14, interval above 10)",
            lead.show(1.0, 1),
            lead.mean >= 14.0 && lead.low() > 10.0,
        ),
    ];
    // A saved scenario set keeps no RULs: no interval is scored on it.
    let no_ruls = scores.iter().all(|s| s.coverage.0 == 0);
    for (name, figure, ok) in lines {
        if no_ruls && name.starts_with("80 %") {
            println!("{name}: no RULs in this set [not scored]");
        } else {
            println!("{name}: {figure} [{}]", verdict(ok));
        }
    }
}

/// The interval-deadline policy and the cost view beside the baselines, mean ± 95 %
/// interval over the seeds.
pub fn print_alternatives(scores: &[DecisionScore]) {
    let spread = |f: fn(&DecisionScore) -> f64| spread_of(scores, f);
    println!(
        "with deadlines a day before the low end of the RUL's 80 % interval instead: warned {}, median unused life {}",
        spread(DecisionScore::warned_share_by_interval).show(100.0, 1),
        spread(DecisionScore::unused_life_p50_by_interval).show(100.0, 1)
    );
    println!(
        "cost per 1,000 vehicle-days (10 × false alarms + 500 × missed failures): pipeline {}, no prognosis {}, trouble codes {}",
        spread(DecisionScore::cost).show(1.0, 1),
        spread(DecisionScore::cost_without_prognosis).show(1.0, 1),
        spread(DecisionScore::cost_of_codes).show(1.0, 1)
    );
}

/// The spread over the seeds of figure `f`.
pub fn spread_of(scores: &[DecisionScore], f: fn(&DecisionScore) -> f64) -> Spread {
    Spread::of(&scores.iter().map(f).collect::<Vec<_>>())
}
