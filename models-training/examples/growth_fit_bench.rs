//! Time per growth-law fit (`health::growth`) on a 28-day damage history, per law: what
//! the health engine adds to the assessment of a degrading part.
//!
//!     cargo run --release -p models-training --example growth_fit_bench

use std::hint::black_box;
use std::time::Instant;

use models::health::growth::{Growth, Law};
use models::health::trend::Point;

fn main() {
    let laws = [
        ("power k=1.75, offset", Law::Power { k: 1.75 }, true),
        ("power k=1.5", Law::Power { k: 1.5 }, false),
        ("exponential rate=3", Law::Exponential { rate: 3.0 }, false),
        (
            "exponential rate=2, offset",
            Law::Exponential { rate: 2.0 },
            true,
        ),
    ];
    // Ten healthy days, then a fault 18 days old due in 9 days, with a small wobble.
    let points: Vec<Point> = (0..28)
        .map(|k| {
            let t = -f64::from(27 - k) - 0.5;
            let progress = ((t + 18.0) / 27.0).max(0.0);
            let wobble = 0.01 * (f64::from(k) * 2.1).sin();
            Point {
                t,
                y: progress.powf(1.6) + wobble,
                w: 20.0,
            }
        })
        .collect();
    for (name, law, offset) in laws {
        let g = Growth {
            law,
            offset,
            limit: 1.0,
        };
        let n = 2_000;
        let started = Instant::now();
        let mut rul = 0.0;
        for _ in 0..n {
            rul += black_box(&g)
                .fit(black_box(&points))
                .map_or(0.0, |f| f.rul_days);
        }
        let us = started.elapsed().as_secs_f64() * 1e6 / f64::from(n);
        println!(
            "{name:<28} {us:>8.1} µs per fit (rul {:.1} days)",
            rul / f64::from(n)
        );
    }
}
