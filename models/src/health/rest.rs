//! Readings at rest: a battery's open-circuit voltage and a tire's cold pressure mean
//! something only after the engine has been stopped for hours ([`REST_S`]), and not in
//! the minutes before it starts (key-on, cranking).
//!
//! One reading cannot tell how long the engine has been stopped, so the day keeps, per
//! five-minute slot, whether the engine turned and whether anything was reported, and
//! the stopped-engine values of the rest indicators. A slot's values are at rest when
//! no slot from [`REST_S`] before it to [`BEFORE_START_S`] after it saw the engine turn,
//! and the vehicle reported something before that rest began (a gateway waking up
//! says nothing about the hours before it). This assumes a gateway reports while the
//! engine runs, as OBD-II and J1939 gateways do.
//!
//! The slots are sets and the aggregates are recomputed from them and from the days
//! either side, so the result does not depend on the order readings arrive in.

use serde::{Deserialize, Serialize};

use super::indicators::Indicator;
use super::operating::{BEFORE_START_S, REST_S};
use super::state::Agg;

/// Length of a slot, s.
pub const SLOT_S: i64 = 300;
/// Slots per day.
const SLOTS: i64 = 86_400 / SLOT_S;
/// 64-bit words holding one bit per slot.
const WORDS: usize = (SLOTS as usize).div_ceil(64);
/// Slots of rest needed before a reading.
const REST_SLOTS: i64 = REST_S / SLOT_S;
/// Slots after a reading in which an engine start makes it a pre-start sample.
const START_SLOTS: i64 = BEFORE_START_S / SLOT_S;

/// One slot per bit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Slots([u64; WORDS]);

impl Slots {
    /// Sets slot `s`; whether it was new.
    fn set(&mut self, s: usize) -> bool {
        let (w, b) = (s / 64, 1u64 << (s % 64));
        let new = self.0[w] & b == 0;
        self.0[w] |= b;
        new
    }

    fn get(&self, s: i64) -> bool {
        let s = s as usize;
        self.0[s / 64] & (1u64 << (s % 64)) != 0
    }
}

/// The stopped-engine values of one rest indicator in one slot.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Candidate {
    indicator: Indicator,
    slot: u16,
    agg: Agg,
}

/// One day's engine activity and rest candidates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// Slots in which the engine turned (cranking or running).
    turning: Slots,
    /// Slots with any reading.
    reporting: Slots,
    /// Stopped-engine values, sorted by indicator and slot.
    candidates: Vec<Candidate>,
}

/// The slot of a Unix instant within its day.
fn slot_of(t: i64) -> usize {
    (t.rem_euclid(86_400) / SLOT_S) as usize
}

impl Activity {
    /// Records a reading at `t`; whether the slots changed (the rest of this day and
    /// its neighbours must then be recomputed).
    pub fn note(&mut self, t: i64, turning: bool) -> bool {
        let s = slot_of(t);
        let reported = self.reporting.set(s);
        let turned = turning && self.turning.set(s);
        reported || turned
    }

    /// Records a stopped-engine value of a rest indicator at `t`.
    pub fn candidate(&mut self, indicator: Indicator, t: i64, value: f64) {
        let slot = slot_of(t) as u16;
        let key = (indicator, slot);
        match self
            .candidates
            .binary_search_by(|c| (c.indicator, c.slot).cmp(&key))
        {
            Ok(k) => self.candidates[k].agg.add(value),
            Err(k) => {
                let mut agg = Agg::default();
                agg.add(value);
                self.candidates.insert(
                    k,
                    Candidate {
                        indicator,
                        slot,
                        agg,
                    },
                );
            }
        }
    }

    /// Drops every candidate (a serviced component's old readings).
    pub fn forget(&mut self, indicators: &[Indicator]) {
        self.candidates
            .retain(|c| !indicators.contains(&c.indicator));
    }

    /// Whether the day holds a value of `indicator` taken with the engine stopped,
    /// at rest or not.
    pub fn has_candidate(&self, indicator: Indicator) -> bool {
        self.candidates.iter().any(|c| c.indicator == indicator)
    }
}

/// A day with the days either side of it.
#[derive(Debug, Clone, Copy)]
pub struct Around<'a> {
    /// The day before.
    pub prev: Option<&'a Activity>,
    /// The day.
    pub day: &'a Activity,
    /// The day after.
    pub next: Option<&'a Activity>,
}

impl Around<'_> {
    /// Slot `s` relative to the day's first (negative: the day before; past the day:
    /// the day after), read from `pick`.
    fn bit(&self, s: i64, pick: fn(&Activity) -> &Slots) -> bool {
        let (day, s) = if s < 0 {
            (self.prev, s + SLOTS)
        } else if s >= SLOTS {
            (self.next, s - SLOTS)
        } else {
            (Some(self.day), s)
        };
        day.is_some_and(|d| pick(d).get(s))
    }

    /// Whether the day's slot `s` is at rest (see the module).
    fn at_rest(&self, s: i64) -> bool {
        let rest_from = s - REST_SLOTS;
        let quiet = (rest_from..=s + START_SLOTS).all(|k| !self.bit(k, |a| &a.turning));
        quiet && (-SLOTS..=rest_from).any(|k| self.bit(k, |a| &a.reporting))
    }

    /// The aggregate of `indicator`'s values at rest.
    pub fn rest_aggregate(&self, indicator: Indicator) -> Agg {
        let mut out = Agg::default();
        for c in self
            .day
            .candidates
            .iter()
            .filter(|c| c.indicator == indicator && self.at_rest(i64::from(c.slot)))
        {
            out.merge(&c.agg);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3600;

    fn rest_of(days: &[Activity; 3]) -> Agg {
        Around {
            prev: Some(&days[0]),
            day: &days[1],
            next: Some(&days[2]),
        }
        .rest_aggregate(Indicator::BatteryRest)
    }

    /// A trip on day 0 ending at `stop` (seconds into that day), a stopped reading of
    /// 12.6 V at `at`, and a start at `start` (both seconds into day 1).
    fn scenario(stop: i64, at: i64, start: Option<i64>) -> [Activity; 3] {
        let mut days: [Activity; 3] = Default::default();
        for t in (stop - H..=stop).step_by(60) {
            days[0].note(t, true);
        }
        let t = 86_400 + at;
        days[1].note(t, false);
        days[1].candidate(Indicator::BatteryRest, t, 12.6);
        if let Some(s) = start {
            days[1].note(86_400 + s, true);
        }
        days
    }

    #[test]
    fn a_reading_hours_after_the_engine_stopped_is_at_rest() {
        // Stopped at 20:00, read at 06:00 the next day.
        let rest = rest_of(&scenario(20 * H, 6 * H, None));
        assert_eq!((rest.n, rest.mean()), (1, Some(12.6)));
    }

    #[test]
    fn soon_after_stopping_or_just_before_a_start_is_not() {
        // Stopped at 23:00, read at 01:00: two hours of rest only.
        assert_eq!(rest_of(&scenario(23 * H, H, None)).n, 0);
        // A key-on sample at 07:00 with the engine cranking a minute later.
        assert_eq!(rest_of(&scenario(20 * H, 7 * H, Some(7 * H + 60))).n, 0);
        // The same sample with the start 20 minutes later is at rest.
        assert_eq!(rest_of(&scenario(20 * H, 7 * H, Some(7 * H + 1200))).n, 1);
    }

    #[test]
    fn nothing_reported_before_the_rest_is_no_evidence_of_it() {
        let mut days = scenario(20 * H, 6 * H, None);
        days[0] = Activity::default();
        assert_eq!(rest_of(&days).n, 0);
    }

    #[test]
    fn order_of_notes_does_not_matter() {
        let mut a = Activity::default();
        let mut b = Activity::default();
        let notes = [(100, false), (5000, true), (9000, false)];
        for (t, turning) in notes {
            a.note(t, turning);
            a.candidate(Indicator::TireFl, t, t as f64);
        }
        for (t, turning) in notes.iter().rev() {
            b.note(*t, *turning);
            b.candidate(Indicator::TireFl, *t, *t as f64);
        }
        assert_eq!(a, b);
        assert!(!a.note(5000, true), "nothing new");
    }
}
