//! Learning each failure part's growth law (`health::growth`): which law, whether the
//! fault starts from a damage level of its own, and the damage at which the part
//! actually fails, chosen on the faulty part's history in the training fleet where the
//! engine calls it degrading — the moments its RUL is reported and acted on.
//!
//! The choice maximizes how often the fitted RUL falls in the right urgency band
//! (under 3, 3–7, 8–14, over 14 days: the agent's severity), ties broken by the median
//! log error. A part keeps the calibrated extrapolations when no law beats them.

use std::collections::BTreeMap;

use shared_schemas::events::Component;

use super::{Choice, Record};
use crate::fleet::{median, urgency_band};
use crate::parallel::map_in_order;
use models::health::damage;
use models::health::growth::{Growth, Law};
use models::health::rul::{Features, RUL_CAP_DAYS};
use models::health::trend::Point;

/// Simulated seconds between two recorded histories of one fault.
pub const HISTORY_EVERY_S: i64 = 6 * 3600;

/// The faulty part's damage history at one instant between onset and failure.
#[derive(Debug, Clone)]
pub struct History {
    /// Simulated instant, Unix seconds.
    pub t: i64,
    /// The component.
    pub component: Component,
    /// The faulty part's growth law name ([`damage::PartSpec::law`]).
    pub part: &'static str,
    /// True days to failure.
    pub ttf_days: f64,
    /// The part's daily damage points.
    pub points: Vec<Point>,
    /// Its trend features.
    pub features: Features,
}

/// How well RULs match the truth on a part's histories.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Accuracy {
    /// Histories scored.
    pub histories: usize,
    /// Share in the right urgency band.
    pub band: f64,
    /// Median |ln((predicted + ½) / (true + ½))|.
    pub log_error_p50: f64,
}

impl Accuracy {
    fn of(pairs: &[(f64, f64)]) -> Self {
        let right = pairs
            .iter()
            .filter(|(p, t)| urgency_band(*p) == urgency_band(*t))
            .count();
        let errors: Vec<f64> = pairs
            .iter()
            .map(|(p, t)| ((p + 0.5) / (t + 0.5)).ln().abs())
            .collect();
        Self {
            histories: pairs.len(),
            band: if pairs.is_empty() {
                0.0
            } else {
                right as f64 / pairs.len() as f64
            },
            log_error_p50: median(&errors).unwrap_or(f64::INFINITY),
        }
    }

    fn better_than(&self, other: &Self) -> bool {
        (self.band, -self.log_error_p50) > (other.band, -other.log_error_p50)
    }
}

/// What training chose for one part.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LawChoice {
    /// The growth law.
    pub growth: Growth,
    /// Its accuracy on the training histories.
    pub accuracy: Accuracy,
    /// The calibrated extrapolations' accuracy on the same histories.
    pub calibrated: Accuracy,
}

/// Candidate laws: power laws from linear to strongly accelerating, and exponentials.
const LAWS: [Law; 12] = [
    Law::Power { k: 1.0 },
    Law::Power { k: 1.25 },
    Law::Power { k: 1.5 },
    Law::Power { k: 1.75 },
    Law::Power { k: 2.0 },
    Law::Power { k: 2.5 },
    Law::Power { k: 3.0 },
    Law::Exponential { rate: 1.5 },
    Law::Exponential { rate: 2.0 },
    Law::Exponential { rate: 3.0 },
    Law::Exponential { rate: 4.0 },
    Law::Exponential { rate: 5.0 },
];
/// Candidate limits, tried with the best law.
const LIMITS: [f64; 10] = [0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.15, 1.2, 1.3];

/// The RUL `growth` gives a history; the calibrated one when it cannot fit.
fn predict(growth: &Growth, h: &History, fallback: f64) -> f64 {
    growth
        .fit(&h.points)
        .map_or(fallback, |f| f.rul_days.min(RUL_CAP_DAYS))
}

fn accuracy(growth: &Growth, cases: &[(&History, f64)]) -> Accuracy {
    let pairs: Vec<(f64, f64)> = cases
        .iter()
        .map(|(h, fallback)| (predict(growth, h, *fallback), h.ttf_days))
        .collect();
    Accuracy::of(&pairs)
}

/// Chooses a law for one part from its degrading histories, each with the calibrated
/// RUL; `None` when no law beats the calibration. Public for learning a law from real
/// run-to-failure data (`battery-bench`).
pub fn choose(cases: &[(&History, f64)]) -> Option<LawChoice> {
    let calibrated = Accuracy::of(
        &cases
            .iter()
            .map(|(h, rul)| (*rul, h.ttf_days))
            .collect::<Vec<_>>(),
    );
    let best_of = |candidates: &mut dyn Iterator<Item = Growth>| {
        candidates
            .map(|g| (g, accuracy(&g, cases)))
            .reduce(|best, c| if c.1.better_than(&best.1) { c } else { best })
    };
    let shapes = LAWS.into_iter().flat_map(|law| {
        [false, true].map(|offset| Growth {
            law,
            offset,
            limit: 1.0,
        })
    });
    let (shape, _) = best_of(&mut shapes.into_iter())?;
    let (growth, accuracy) =
        best_of(&mut LIMITS.into_iter().map(|limit| Growth { limit, ..shape }))?;
    accuracy.better_than(&calibrated).then_some(LawChoice {
        growth,
        accuracy,
        calibrated,
    })
}

/// A part's faults in the fleet, and its degrading histories with their calibrated RUL.
type PartCases<'a> = (usize, Vec<(&'a History, f64)>);

/// Learns the growth law of every failure part (law name) with at least `min_faults` faults among
/// `records`, using the trained gates and regressions of `choices` to tell when a part
/// is degrading; parts are spread over `threads` threads.
pub fn train(
    records: &[Record],
    choices: &BTreeMap<Component, Choice>,
    min_faults: usize,
    threads: usize,
) -> BTreeMap<&'static str, LawChoice> {
    let mut by_part: BTreeMap<&'static str, PartCases<'_>> = BTreeMap::new();
    for rec in records {
        let mut parts_seen: Vec<&'static str> = Vec::new();
        for h in &rec.histories {
            let cal = choices
                .get(&h.component)
                .map(|c| c.calibration)
                .unwrap_or_default();
            let verdict = cal.verdict(&h.features, damage::is_wear_item(h.component));
            let entry = by_part.entry(h.part).or_default();
            if !parts_seen.contains(&h.part) {
                parts_seen.push(h.part);
                entry.0 += 1;
            }
            if verdict.degrading {
                entry.1.push((h, verdict.rul_days));
            }
        }
    }
    let work: Vec<(&'static str, Vec<(&History, f64)>)> = by_part
        .into_iter()
        .filter(|(_, (faults, cases))| *faults >= min_faults && !cases.is_empty())
        .map(|(part, (_, cases))| (part, cases))
        .collect();
    map_in_order(&work, threads, |(part, cases)| {
        choose(cases).map(|c| (*part, c))
    })
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A history of a fault growing as `law`, `ttf` days before failure.
    fn history(law: Law, onset_ago: f64, ttf: f64) -> History {
        let points: Vec<Point> = (0..20)
            .map(|k| {
                let t = -f64::from(19 - k) - 0.5;
                let y = law.at((t + onset_ago) / (onset_ago + ttf));
                Point { t, y, w: 10.0 }
            })
            .collect();
        History {
            t: 0,
            component: Component::EngineOil,
            part: "oil_pressure",
            ttf_days: ttf,
            features: models::health::rul::features(&points, None).expect("features"),
            points,
        }
    }

    #[test]
    fn the_law_that_generated_the_histories_is_chosen() {
        let truth = Law::Power { k: 2.0 };
        let hs: Vec<History> = [(8.0, 6.0), (12.0, 10.0), (10.0, 2.5), (15.0, 20.0)]
            .into_iter()
            .map(|(onset, ttf)| history(truth, onset, ttf))
            .collect();
        // A calibration that is always 40 days off.
        let cases: Vec<(&History, f64)> = hs.iter().map(|h| (h, h.ttf_days + 40.0)).collect();
        let choice = choose(&cases).expect("a law beats the calibration");
        assert_eq!(choice.accuracy.band, 1.0, "{choice:?}");
        assert!(choice.accuracy.log_error_p50 < 0.05, "{choice:?}");
        assert!(choice.calibrated.band < 0.5);
        match choice.growth.law {
            Law::Power { k } => assert!((1.75..=2.5).contains(&k), "{choice:?}"),
            Law::Exponential { .. } => panic!("{choice:?}"),
        }
    }

    #[test]
    fn no_law_when_the_calibration_is_already_right() {
        let hs = [history(Law::Power { k: 1.5 }, 10.0, 5.0)];
        let cases: Vec<(&History, f64)> = hs.iter().map(|h| (h, h.ttf_days)).collect();
        assert!(choose(&cases).is_none());
    }
}
