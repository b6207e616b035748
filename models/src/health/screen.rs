//! What the engine reads off a vehicle's days once per assessment, before it judges any
//! part: the days each indicator's sensor explains rather than its part
//! ([`plausibility`]), and the days the vehicle did a usual day's work.
//!
//! Every part of every component is judged against the same screen; cooling's two
//! parts share one indicator. Computing it once per assessment, not once per part and
//! again per component, keeps the health consumer's hot path to one pass per indicator.

use std::collections::BTreeMap;

use shared_schemas::events::Component;

use super::damage;
use super::indicators::Indicator;
use super::plausibility::{self, Implausible};
use super::state::VehicleState;

/// Share of its usual daily distance a vehicle must drive for a day to count as a
/// day of work.
const WORKED_SHARE: f64 = 0.5;
/// Fewest km a day of work covers, whatever the vehicle's usual distance.
const MIN_WORKED_KM: f64 = 1.0;

/// The days of one vehicle the engine sets aside or counts as worked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayScreen {
    /// Per indicator with any: the days its sensor explains and why, oldest first.
    aside: BTreeMap<Indicator, Vec<(i64, Implausible)>>,
    /// Days on which the vehicle drove at least [`WORKED_SHARE`] of its usual daily
    /// distance, ascending.
    worked: Vec<i64>,
}

impl DayScreen {
    /// The screen of `state`, whose odometer grew plausibly by `growth_by_day` (km per
    /// day, ascending: the tracked distance of ADR 0009, so an odometer jump or reset
    /// does not make a day of work).
    pub fn new(state: &VehicleState, growth_by_day: &[(i64, f64)]) -> Self {
        let base = &state.head.baselines;
        let mut indicators: Vec<Indicator> = Component::ALL
            .iter()
            .flat_map(|&c| damage::parts(c))
            .map(|p| p.indicator)
            .collect();
        indicators.sort_unstable();
        indicators.dedup();
        let aside = indicators
            .into_iter()
            .map(|i| (i, plausibility::set_aside(i, state.day_map(), base)))
            .filter(|(_, days)| !days.is_empty())
            .collect();
        Self {
            aside,
            worked: worked_days(growth_by_day),
        }
    }

    /// The days set aside for indicator `i`, oldest first, with why.
    pub fn set_aside(&self, i: Indicator) -> &[(i64, Implausible)] {
        self.aside.get(&i).map_or(&[], Vec::as_slice)
    }

    /// Whether `day` of indicator `i` is set aside.
    pub fn is_set_aside(&self, i: Indicator, day: i64) -> bool {
        self.set_aside(i)
            .binary_search_by_key(&day, |(d, _)| *d)
            .is_ok()
    }

    /// Days of work after `day`.
    pub fn worked_days_after(&self, day: i64) -> usize {
        self.worked.len() - self.worked.partition_point(|d| *d <= day)
    }
}

/// The days of `growth_by_day` with at least [`WORKED_SHARE`] of the median distance
/// of the days the vehicle moved (that median at least [`MIN_WORKED_KM`] /
/// [`WORKED_SHARE`]).
fn worked_days(growth_by_day: &[(i64, f64)]) -> Vec<i64> {
    let mut km: Vec<f64> = growth_by_day
        .iter()
        .map(|(_, km)| *km)
        .filter(|km| *km >= MIN_WORKED_KM)
        .collect();
    km.sort_by(f64::total_cmp);
    let usual = km
        .get(km.len() / 2)
        .copied()
        .unwrap_or(0.0)
        .max(MIN_WORKED_KM / WORKED_SHARE);
    growth_by_day
        .iter()
        .filter(|(_, km)| *km >= WORKED_SHARE * usual)
        .map(|(day, _)| *day)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_of_work_is_half_the_usual_distance_or_more() {
        // Usual (median of moving days): 200 km; a 60 km yard day and a parked day
        // are not work, a 120 km day is.
        let growth = [
            (1, 200.0),
            (2, 210.0),
            (3, 0.0),
            (4, 60.0),
            (5, 120.0),
            (6, 190.0),
        ];
        assert_eq!(worked_days(&growth), vec![1, 2, 5, 6]);
    }

    #[test]
    fn a_vehicle_that_barely_moves_needs_a_couple_of_km_for_a_day_of_work() {
        assert!(worked_days(&[(1, 0.5), (2, 0.9)]).is_empty());
        assert_eq!(worked_days(&[(1, 0.5), (2, 1.2)]), vec![2]);
        assert!(worked_days(&[]).is_empty());
    }

    #[test]
    fn days_after_count_only_later_days_of_work() {
        let screen = DayScreen {
            worked: vec![3, 5, 8],
            ..DayScreen::default()
        };
        assert_eq!(screen.worked_days_after(2), 3);
        assert_eq!(screen.worked_days_after(5), 1);
        assert_eq!(screen.worked_days_after(8), 0);
    }
}
