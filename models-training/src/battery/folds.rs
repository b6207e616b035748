//! Leave-one-cell-out: each cell that reaches the threshold is held out in turn; the
//! engine learns on the other cells that reach it (a cell that never does has no end
//! of life to learn from) and predicts the held-out cell's end of life at each start
//! cycle from the history up to it.

use super::baseline::linear_rul;
use super::cells::Cell;
use super::learn::{Learned, Setup, history, learn, predict};
use models::health::rul::RUL_CAP_DAYS;

/// One prediction of a held-out cell's end of life, cycles.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The last cycle seen.
    pub start: usize,
    /// The first cycle below the threshold.
    pub true_eol: usize,
    /// The trained engine's end of life.
    pub engine_eol: f64,
    /// Its 80 % interval, when calibrated and the RUL is below the horizon.
    pub interval: Option<[f64; 2]>,
    /// The naive straight line's.
    pub linear_eol: f64,
}

impl Prediction {
    /// True cycles left at the start.
    pub fn true_rul(&self) -> f64 {
        self.true_eol as f64 - self.start as f64
    }

    /// Whether the interval holds the true end of life; `None` without an interval.
    pub fn covered(&self) -> Option<bool> {
        self.interval
            .map(|[low, high]| (low..=high).contains(&(self.true_eol as f64)))
    }
}

/// One held-out cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Fold {
    /// The held-out cell.
    pub held_out: String,
    /// Its end of life: the first cycle below the threshold.
    pub true_eol: usize,
    /// The cells learned on.
    pub trained_on: Vec<String>,
    /// What was learned.
    pub learned: Learned,
    /// One per start before the held-out cell's end of life.
    pub predictions: Vec<Prediction>,
    /// Starts at or after its end of life: nothing to predict.
    pub past_eol: Vec<usize>,
}

/// The fold holding out `cells[held_out]`; `None` when it never reaches the threshold.
pub fn fold(cells: &[Cell], held_out: usize, setup: &Setup) -> Option<Fold> {
    let cell = cells.get(held_out)?;
    let eol = cell.eol_cycle(setup.threshold_ah)?;
    let train: Vec<&Cell> = cells
        .iter()
        .enumerate()
        .filter(|(i, c)| *i != held_out && c.eol_cycle(setup.threshold_ah).is_some())
        .map(|(_, c)| c)
        .collect();
    let learned = learn(&train, setup);
    let (before, past_eol): (Vec<usize>, Vec<usize>) = setup.starts.iter().partition(|s| **s < eol);
    let predictions = before
        .into_iter()
        .filter_map(|start| {
            let h = history(cell, setup.threshold_ah, start, eol)?;
            let rul = predict(learned.law.as_ref(), &h);
            // As the engine reports it: no interval at the horizon.
            let interval = learned
                .intervals
                .as_ref()
                .filter(|_| rul < RUL_CAP_DAYS)
                .and_then(|iv| iv.interval(rul, RUL_CAP_DAYS));
            let at = start as f64;
            Some(Prediction {
                start,
                true_eol: eol,
                engine_eol: at + rul,
                interval: interval.map(|[low, high]| [at + low, at + high]),
                linear_eol: at + linear_rul(cell, setup.threshold_ah, start),
            })
        })
        .collect();
    Some(Fold {
        held_out: cell.name.clone(),
        true_eol: eol,
        trained_on: train.iter().map(|c| c.name.clone()).collect(),
        learned,
        predictions,
        past_eol,
    })
}

/// Every cell that reaches the threshold held out in turn, the folds spread over
/// `threads` threads; in cell order.
pub fn leave_one_cell_out(cells: &[Cell], setup: &Setup, threads: usize) -> Vec<Fold> {
    let indices: Vec<usize> = (0..cells.len()).collect();
    crate::parallel::map_in_order(&indices, threads, |i| fold(cells, *i, setup))
        .into_iter()
        .flatten()
        .collect()
}
