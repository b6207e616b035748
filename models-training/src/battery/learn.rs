//! What the engine learns from run-to-failure histories, learned from cells.
//!
//! A cell's damage is its capacity lost since new over the loss that ends its life,
//! `(C₀ − C) / (C₀ − threshold)`: 0 new, 1 at end of life, the engine's damage scale.
//! One cycle is one of the engine's days (a vehicle battery cycles about daily). From
//! the cells' histories the engine's own training code chooses the growth law
//! ([`choose`], as `train-health` does per failure part) and split-conformal
//! calibration gives the 80 % interval of its RUL ([`RulIntervals`], as
//! `calibrate-intervals` does) on predictions for cells the law was not learned on.

use shared_schemas::events::Component;

use super::cells::Cell;
use crate::training::growth::{History, LawChoice, choose};
use models::health::interval::RulIntervals;
use models::health::rul::{self, Calibration, RUL_CAP_DAYS};
use models::health::trend::Point;

/// The part name the histories carry (it names no law of the bundled model).
const PART: &str = "battery_capacity";
/// Bins of predicted RUL for the intervals, cycles: `calibrate-intervals`' bins.
const EDGES: [f64; 4] = [3.0, 8.0, 15.0, 30.0];

/// How the engine is trained and asked on the cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    /// Capacity that ends a cell's life, Ah.
    pub threshold_ah: f64,
    /// Cycles at which the held-out cell's end of life is predicted.
    pub starts: Vec<usize>,
    /// First cycle of the training histories: enough cycles for a fit, and earlier
    /// than any prediction.
    pub train_from: usize,
    /// Cycles between two training histories of a cell.
    pub every: usize,
    /// Nominal coverage of the interval.
    pub coverage: f64,
    /// Fewest (predicted, true) pairs an interval bin needs for its own quantiles.
    pub min_pairs: usize,
}

/// What the engine learned on the training cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Learned {
    /// The growth law; `None` when none beat the untrained extrapolation.
    pub law: Option<LawChoice>,
    /// The 80 % interval; `None` with too few pairs to calibrate it.
    pub intervals: Option<RulIntervals>,
}

/// The damage history of `cell` up to cycle `now` (times in cycles relative to it),
/// with its true cycles to end of life `eol − now`; `None` when the cell starts below
/// the threshold or the history is too short for trend features.
pub fn history(cell: &Cell, threshold_ah: f64, now: usize, eol: usize) -> Option<History> {
    let new = cell.initial_ah();
    let span = new - threshold_ah;
    if span <= 0.0 || now > cell.cycles() {
        return None;
    }
    let points: Vec<Point> = (1..=now)
        .map(|c| Point {
            t: c as f64 - now as f64,
            y: (new - cell.capacity(c)) / span,
            w: 1.0,
        })
        .collect();
    let features = rul::features(&points, None)?;
    Some(History {
        t: now as i64,
        component: Component::Battery,
        part: PART,
        ttf_days: eol as f64 - now as f64,
        points,
        features,
    })
}

/// The engine's RUL before any training: its default calibration of the recent
/// trend's extrapolations. What a law must beat to be chosen.
pub fn untrained(h: &History) -> f64 {
    Calibration::default().verdict(&h.features, false).rul_days
}

/// The engine's RUL of `h` with `law`, as training scores a law: the time its fitted
/// curve reaches the limit, or the untrained RUL without a law or a fit.
pub fn predict(law: Option<&LawChoice>, h: &History) -> f64 {
    law.and_then(|c| c.growth.fit(&h.points))
        .map_or_else(|| untrained(h), |f| f.rul_days.min(RUL_CAP_DAYS))
}

/// A cell's histories from `train_from` until just before its end of life, every
/// `every` cycles; none when it never reaches the threshold.
fn histories(cell: &Cell, setup: &Setup) -> Vec<History> {
    let Some(eol) = cell.eol_cycle(setup.threshold_ah) else {
        return Vec::new();
    };
    (setup.train_from..eol)
        .step_by(setup.every.max(1))
        .filter_map(|now| history(cell, setup.threshold_ah, now, eol))
        .collect()
}

/// The growth law the engine's training chooses on `cells`.
pub fn learn_law(cells: &[&Cell], setup: &Setup) -> Option<LawChoice> {
    let hs: Vec<History> = cells.iter().flat_map(|c| histories(c, setup)).collect();
    let cases: Vec<(&History, f64)> = hs.iter().map(|h| (h, untrained(h))).collect();
    choose(&cases)
}

/// The 80 % interval, calibrated on out-of-sample predictions: each of `cells`
/// predicted with the law learned on the others.
pub fn learn_intervals(cells: &[&Cell], setup: &Setup) -> Option<RulIntervals> {
    let mut pairs = Vec::new();
    for (i, cell) in cells.iter().enumerate() {
        let others: Vec<&Cell> = cells
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, c)| *c)
            .collect();
        let law = learn_law(&others, setup);
        pairs.extend(
            histories(cell, setup)
                .iter()
                .map(|h| (predict(law.as_ref(), h), h.ttf_days)),
        );
    }
    let names: Vec<&str> = cells.iter().map(|c| c.name.as_str()).collect();
    let on = format!(
        "{} RULs of cells {} at {} Ah, each predicted with the law learned on the others",
        pairs.len(),
        names.join(", "),
        setup.threshold_ah
    );
    RulIntervals::calibrate(&pairs, &EDGES, setup.coverage, setup.min_pairs, on)
}

/// Everything the engine learns on `cells`.
pub fn learn(cells: &[&Cell], setup: &Setup) -> Learned {
    Learned {
        law: learn_law(cells, setup),
        intervals: learn_intervals(cells, setup),
    }
}
