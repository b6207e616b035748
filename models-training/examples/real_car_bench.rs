//! The health engine on a healthy real car: the bundled carOBD month (see
//! `tools/fleetsim/data/carobd/SOURCE.md`) at the logs' own rate and thinned to one
//! reading per 10 s. Per component: readings carrying its signals, readings its
//! indicators could use, whether it was judged or unknown, and the alarms raised
//! (`component.degraded` / `.critical`; the target is 0).
//!
//! `cargo run --release -p models-training --example real_car_bench`

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use fleetsim::carobd;
use models::health::damage;
use models::health::evidence;
use models::health::{Engine, Reported, Transition, VehicleState};
use shared_schemas::events::Component;

fn main() -> anyhow::Result<()> {
    let engine = Engine::bundled()?;
    let trips = carobd::load_dir(&carobd::bundled_dir())?;
    let start = Utc
        .with_ymd_and_hms(2024, 3, 4, 0, 0, 0)
        .single()
        .ok_or_else(|| anyhow::anyhow!("start date"))?;
    for every_s in [None, Some(10.0)] {
        let samples = carobd::month(&trips, start, 30, every_s);
        let mut state = VehicleState::new();
        let mut reported = Reported::default();
        let mut alarms: BTreeMap<Component, u32> = BTreeMap::new();
        let mut carrying: BTreeMap<Component, u64> = BTreeMap::new();
        let mut last = None;
        // The state keeps 28 days: count what carries signals over the same days.
        let window_from = start + chrono::Duration::days(30 - 28);
        for (k, s) in samples.iter().enumerate() {
            let reading = s.reading("ETIOS-2014");
            let set = evidence::reported(&reading, 0);
            for c in Component::ALL
                .iter()
                .filter(|c| set & evidence::bit(**c) != 0)
            {
                if s.at >= window_from {
                    *carrying.entry(*c).or_default() += 1;
                }
            }
            state.apply(&reading);
            if samples.get(k + 1).is_some_and(|n| n.trip == s.trip) {
                continue;
            }
            let Some(a) = engine.assess(&state) else {
                continue;
            };
            for t in a.transitions(&mut reported) {
                if let Transition::Degraded(c) | Transition::Critical(c) = t {
                    *alarms.entry(c).or_default() += 1;
                }
            }
            last = Some(a);
        }
        let a = last.ok_or_else(|| anyhow::anyhow!("no assessment"))?;
        let rate =
            every_s.map_or_else(|| "own rate (~2 Hz)".to_owned(), |s| format!("every {s} s"));
        println!("carOBD month at {rate}: {} readings", samples.len());
        println!(
            "{:<10} {:>9} {:>7} {:<28} {:>6}",
            "component", "carrying", "usable", "assessment", "alarms"
        );
        for (c, n) in &carrying {
            // Usable: readings behind its indicators in the days the state keeps.
            let usable: u32 = state
                .days()
                .map(|(_, d)| {
                    damage::parts(*c)
                        .iter()
                        .map(|p| d.agg(p.indicator).n)
                        .max()
                        .unwrap_or(0)
                })
                .sum();
            let verdict = match a.component(*c) {
                Some(h) => format!("{:?} {:.2} (conf {:.2})", h.band, h.score, h.confidence),
                None if a.unknown.iter().any(|u| u.component == *c) => "unknown".to_owned(),
                None => "-".to_owned(),
            };
            println!(
                "{:<10} {:>9} {:>7} {:<28} {:>6}",
                c.as_str(),
                n,
                usable,
                verdict,
                alarms.get(c).copied().unwrap_or(0)
            );
        }
        println!();
    }
    Ok(())
}
