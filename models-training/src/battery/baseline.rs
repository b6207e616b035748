//! The naive reference: a straight line through the last cycles' capacity, extended to
//! the threshold. What any prognostic should beat for its figures to mean something.

use super::cells::Cell;
use models::health::rul::RUL_CAP_DAYS;
use models::health::trend::{Point, fit};

/// Cycles the line is fitted over.
pub const LINEAR_CYCLES: usize = 20;

/// Cycles from `now` until the line through the capacity of the last
/// [`LINEAR_CYCLES`] cycles up to `now` falls below `threshold_ah` (0 when already
/// below, [`RUL_CAP_DAYS`] when not falling).
pub fn linear_rul(cell: &Cell, threshold_ah: f64, now: usize) -> f64 {
    let first = now.saturating_sub(LINEAR_CYCLES - 1).max(1);
    let points: Vec<Point> = (first..=now.min(cell.cycles()))
        .map(|c| Point {
            t: c as f64 - now as f64,
            y: cell.capacity(c),
            w: 1.0,
        })
        .collect();
    let Some(line) = fit(&points) else {
        return RUL_CAP_DAYS;
    };
    if line.level <= threshold_ah {
        0.0
    } else if line.slope < 0.0 {
        ((line.level - threshold_ah) / -line.slope).min(RUL_CAP_DAYS)
    } else {
        RUL_CAP_DAYS
    }
}
