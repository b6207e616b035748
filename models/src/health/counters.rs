//! Odometer and engine-hours plausibility, and the distance rate built only from
//! plausible increments (ADR 0009).
//!
//! Real fleets report counters that jump: an instrument cluster replaced (the odometer
//! restarts low), a device that starts sending miles as kilometres, an odometer rolled
//! back, one corrupt reading, two devices reporting under one vehicle id. A single such
//! value must not become "58,000 km a day". The state keeps, per counter and per hour,
//! the first, last, lowest and highest reading (order-free, like every other
//! aggregate); here those points are walked in time order:
//! - an increment is plausible when it is no more than the counter can grow in the time
//!   between the two readings (a top speed, one engine hour per hour) and goes back no
//!   more than sensor noise; plausible increments are distance;
//! - an implausible one opens a candidate sequence. If later readings continue the old
//!   sequence, the candidate was a spike and is dropped; once [`CONFIRM_POINTS`]
//!   readings continue the candidate, it is confirmed (a reset, a unit switch, a
//!   rollback, a jump) and the counter re-anchors on it. Nothing is counted across a
//!   break, and a candidate counts only once confirmed.
//! - several breaks within [`ERRATIC_WINDOW_S`] of each other make the counter
//!   *erratic*: no distance rate is given until they leave the walked days.

use serde::{Deserialize, Serialize};
pub use shared_schemas::events::{Counter, CounterAnomalyKind as AnomalyKind};

/// Readings a candidate sequence needs before it is taken as the counter's new course.
pub const CONFIRM_POINTS: usize = 3;
/// Breaks within this long of each other that make a counter erratic.
pub const ERRATIC_WINDOW_S: i64 = 2 * 86_400;
/// Breaks (including spikes) within [`ERRATIC_WINDOW_S`] that make it erratic.
pub const ERRATIC_BREAKS: usize = 3;
/// Timing slack added to every interval: clocks of a device and its gateway differ.
const CLOCK_SLACK_S: f64 = 120.0;

/// How a counter may move between two readings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Fastest growth, units per second (a top speed; one hour per hour).
    pub max_rate: f64,
    /// Growth allowed on top of the rate, units (rounding of the last digit).
    pub slack: f64,
    /// How far the counter may go back and still be the same sequence (sensor noise).
    pub noise: f64,
    /// A drop to below this is a reset (a new cluster or ECU starts near zero).
    pub reset_below: f64,
}

/// Odometers: 200 km/h, 1 km of slack and of noise; a reset starts below 1,000 km.
pub const ODOMETER: Limits = Limits {
    max_rate: 200.0 / 3600.0,
    slack: 1.0,
    noise: 1.0,
    reset_below: 1_000.0,
};

/// Engine hours: 1.02 h per hour, 0.1 h of slack and of noise; a reset below 50 h.
pub const ENGINE_HOURS: Limits = Limits {
    max_rate: 1.02 / 3600.0,
    slack: 0.1,
    noise: 0.1,
    reset_below: 50.0,
};

/// Miles per kilometre: a ratio of reported values near it (or its inverse) is a device
/// switching units.
const MILES_PER_KM: f64 = 0.621_371;
/// Relative tolerance on that ratio: between two readings of one trip the value moves
/// by far less. (A rollback to within 1 % of 62 % of the odometer reads as a unit
/// switch; both are anomalies.)
const UNIT_TOLERANCE: f64 = 0.01;

/// One reading of a counter: Unix seconds, value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Unix seconds.
    pub t: i64,
    /// Value (km or h).
    pub v: f64,
}

/// One implausible move.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Break {
    /// What it was.
    pub kind: AnomalyKind,
    /// The last plausible reading before it.
    pub before: Point,
    /// The first reading after it.
    pub after: Point,
    /// The highest value the old course allowed at `after.t`.
    pub max_plausible: f64,
    /// Readings that continued the new course (for a spike: those that continued the
    /// old one).
    pub confirmed_by: u32,
}

/// A counter walked in time order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Track {
    /// Confirmed breaks and spikes, oldest first.
    pub breaks: Vec<Break>,
    /// Plausible growth per UTC day (attributed to the day of the later reading).
    /// (Increments are counted in time order, so this is sorted by day.)
    pub growth_by_day: Vec<(i64, f64)>,
    /// A candidate course not confirmed yet (its readings are not counted).
    pub pending: Option<Point>,
    /// Too many breaks lately to trust a rate.
    pub erratic: bool,
}

impl Limits {
    /// The highest value plausible at `t` after `from`.
    fn max_after(&self, from: Point, t: i64) -> f64 {
        from.v + self.max_rate * ((t - from.t) as f64 + CLOCK_SLACK_S) + self.slack
    }

    /// Whether `to` continues the course that reached `from`.
    fn continues(&self, from: Point, to: Point) -> bool {
        to.v >= from.v - self.noise && to.v <= self.max_after(from, to.t)
    }

    /// What the move from `before` to `after` was, once `after`'s course is confirmed.
    fn classify(&self, before: Point, after: Point) -> AnomalyKind {
        let ratio = if before.v > 0.0 {
            after.v / before.v
        } else {
            f64::NAN
        };
        let near = |target: f64| (ratio / target - 1.0).abs() <= UNIT_TOLERANCE;
        if near(MILES_PER_KM) || near(1.0 / MILES_PER_KM) {
            AnomalyKind::UnitSwitch
        } else if after.v > before.v {
            AnomalyKind::Jump
        } else if after.v < self.reset_below || after.v < 0.05 * before.v {
            AnomalyKind::Reset
        } else {
            AnomalyKind::Rollback
        }
    }
}

/// The course being followed and a candidate that may replace it.
struct Walk<'l> {
    limits: &'l Limits,
    last: Point,
    candidate: Vec<Point>,
    /// Counter units per reported unit: after a confirmed unit switch the device sends
    /// miles, which still are distance (1.609 km each).
    scale: f64,
    track: Track,
}

impl Walk<'_> {
    fn count(&mut self, from: Point, to: Point) {
        let grew = (to.v - from.v).max(0.0) * self.scale;
        let day = to.t.div_euclid(86_400);
        match self.track.growth_by_day.last_mut() {
            Some((d, g)) if *d == day => *g += grew,
            _ => self.track.growth_by_day.push((day, grew)),
        }
    }

    fn step(&mut self, p: Point) {
        if self.candidate.is_empty() {
            if self.limits.continues(self.last, p) {
                self.count(self.last, p);
                self.last = p;
            } else {
                self.candidate.push(p);
            }
            return;
        }
        let cand_last = *self.candidate.last().unwrap_or(&p);
        if self.limits.continues(self.last, p) {
            // The old course goes on: the candidate was a spike.
            self.record(AnomalyKind::Spike, self.candidate[0], 1);
            self.candidate.clear();
            self.count(self.last, p);
            self.last = p;
        } else if self.limits.continues(cand_last, p) {
            self.candidate.push(p);
            if self.candidate.len() >= CONFIRM_POINTS {
                self.confirm();
            }
        } else {
            // Neither: the candidate was a spike, and this may start another.
            self.record(AnomalyKind::Spike, self.candidate[0], 0);
            self.candidate = vec![p];
        }
    }

    fn confirm(&mut self) {
        let first = self.candidate[0];
        let kind = self.limits.classify(self.last, first);
        self.record(kind, first, (self.candidate.len() - 1) as u32);
        if kind == AnomalyKind::UnitSwitch {
            // Miles to km, or back to km (the scale returns to 1).
            let factor = if first.v < self.last.v {
                1.0 / MILES_PER_KM
            } else {
                MILES_PER_KM
            };
            self.scale = if (self.scale * factor - 1.0).abs() < UNIT_TOLERANCE {
                1.0
            } else {
                self.scale * factor
            };
        }
        let points = std::mem::take(&mut self.candidate);
        for pair in points.windows(2) {
            self.count(pair[0], pair[1]);
        }
        self.last = points[points.len() - 1];
    }

    fn record(&mut self, kind: AnomalyKind, after: Point, confirmed_by: u32) {
        self.track.breaks.push(Break {
            kind,
            before: self.last,
            after,
            max_plausible: self.limits.max_after(self.last, after.t),
            confirmed_by,
        });
    }
}

/// Walks `points` (in time order) under `limits`.
pub fn track(points: &[Point], limits: &Limits) -> Track {
    let Some((&first, rest)) = points.split_first() else {
        return Track::default();
    };
    let mut walk = Walk {
        limits,
        last: first,
        candidate: Vec::new(),
        scale: 1.0,
        track: Track::default(),
    };
    for &p in rest {
        walk.step(p);
    }
    let mut track = walk.track;
    track.pending = walk.candidate.first().copied();
    track.erratic = dense(&track);
    track
}

/// Whether [`ERRATIC_BREAKS`] breaks (a pending candidate included) fall within
/// [`ERRATIC_WINDOW_S`] of each other anywhere in the walk: a burst of breaks late
/// readings brought into the past is as erratic as one at the newest reading.
fn dense(track: &Track) -> bool {
    let mut at: Vec<i64> = track.breaks.iter().map(|b| b.after.t).collect();
    at.extend(track.pending.map(|p| p.t));
    at.sort_unstable();
    at.windows(ERRATIC_BREAKS)
        .any(|w| w[ERRATIC_BREAKS - 1] - w[0] <= ERRATIC_WINDOW_S)
}

/// The first, last, lowest and highest reading of a counter within one hour of one
/// day: every move between hours, and a reading off the course within an hour (it is
/// the lowest or the highest), whatever order the readings arrive in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HourSpan {
    /// Hour of the day, 0–23 (UTC).
    pub hour: u8,
    /// Earliest reading (ties: the lower value).
    pub first: Point,
    /// Latest reading (ties: the higher value).
    pub last: Point,
    /// Lowest reading (ties: the earlier).
    pub lo: Point,
    /// Highest reading (ties: the later).
    pub hi: Point,
}

/// A counter's hour spans of one day, in hour order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DaySpans(pub Vec<HourSpan>);

impl DaySpans {
    /// Folds a reading in; the result does not depend on the order of readings.
    pub fn add(&mut self, p: Point) {
        let hour = (p.t.rem_euclid(86_400) / 3600) as u8;
        match self.0.binary_search_by_key(&hour, |s| s.hour) {
            Ok(i) => {
                let s = &mut self.0[i];
                let key = |q: Point| (q.t, q.v);
                let value = |q: Point| (q.v, q.t);
                if key(p) < key(s.first) {
                    s.first = p;
                }
                if key(p) > key(s.last) {
                    s.last = p;
                }
                if value(p) < value(s.lo) {
                    s.lo = p;
                }
                if value(p) > value(s.hi) {
                    s.hi = p;
                }
            }
            Err(i) => self.0.insert(
                i,
                HourSpan {
                    hour,
                    first: p,
                    last: p,
                    lo: p,
                    hi: p,
                },
            ),
        }
    }

    /// The day's distinct points in time order.
    pub fn points(&self) -> impl Iterator<Item = Point> + '_ {
        self.0.iter().flat_map(HourSpan::points)
    }
}

impl HourSpan {
    /// Its distinct points in time order (one to four), without allocating: this runs
    /// for every hour of every assessment.
    fn points(&self) -> impl Iterator<Item = Point> {
        let mut pts = [self.first, self.lo, self.hi, self.last];
        pts.sort_by(|a, b| {
            (a.t, a.v)
                .partial_cmp(&(b.t, b.v))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let mut n = 0;
        for i in 0..pts.len() {
            if n == 0 || pts[i] != pts[n - 1] {
                pts[n] = pts[i];
                n += 1;
            }
        }
        pts.into_iter().take(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A truck doing 60 km/h for 10 h a day, readings every 30 min, over `days`.
    fn course(days: i64, start_km: f64) -> Vec<Point> {
        let mut out = Vec::new();
        let mut km = start_km;
        for d in 0..days {
            for k in 0..20 {
                let t = d * 86_400 + 7 * 3600 + k * 1800;
                out.push(Point { t, v: km });
                km += 30.0;
            }
        }
        out
    }

    fn distance(track: &Track) -> f64 {
        track.growth_by_day.iter().map(|(_, g)| g).sum()
    }

    #[test]
    fn a_plain_course_counts_every_km_and_breaks_nothing() {
        let t = track(&course(5, 100_000.0), &ODOMETER);
        assert!(t.breaks.is_empty() && !t.erratic && t.pending.is_none());
        // 19 increments of 30 km a day plus the overnight ones.
        assert!(
            (distance(&t) - (5.0 * 20.0 - 1.0) * 30.0).abs() < 1e-6,
            "{}",
            distance(&t)
        );
    }

    /// What a fault does to the `i`-th reading.
    type Fault = Box<dyn Fn(usize, Point) -> Point>;

    /// A fault that moves the value by `g` from the `at`-th reading on.
    fn from_at(at: usize, g: impl Fn(f64) -> f64 + 'static) -> Fault {
        Box::new(move |i, p| if i >= at { Point { v: g(p.v), ..p } } else { p })
    }

    fn with_fault(f: impl Fn(usize, Point) -> Point) -> (Track, f64) {
        let points: Vec<Point> = course(6, 200_000.0)
            .into_iter()
            .enumerate()
            .map(|(i, p)| f(i, p))
            .collect();
        let t = track(&points, &ODOMETER);
        let d = distance(&t);
        (t, d)
    }

    #[test]
    fn each_fault_is_recognised_and_costs_at_most_the_increment_across_it() {
        let at = 50;
        let base = 200_000.0 + at as f64 * 30.0;
        let cases: [(AnomalyKind, Fault); 5] = [
            (AnomalyKind::Reset, from_at(at, move |v| v - base + 12.0)),
            (
                AnomalyKind::UnitSwitch,
                from_at(at, move |v| v * MILES_PER_KM),
            ),
            (AnomalyKind::Rollback, from_at(at, move |v| v - 80_000.0)),
            (AnomalyKind::Jump, from_at(at, move |v| v + 150_000.0)),
            (
                AnomalyKind::Spike,
                Box::new(move |i, p| {
                    if i == at {
                        Point { v: p.v * 10.0, ..p }
                    } else {
                        p
                    }
                }),
            ),
        ];
        let (_, clean) = with_fault(|_, p| p);
        for (kind, fault) in cases {
            let (t, d) = with_fault(fault);
            assert_eq!(t.breaks.len(), 1, "{kind:?}: {:?}", t.breaks);
            assert_eq!(t.breaks[0].kind, kind);
            assert_eq!(t.breaks[0].after.t, course(6, 0.0)[at].t);
            assert!(!t.erratic && t.pending.is_none());
            // A unit switch shrinks what follows; the others lose one increment at most.
            let lost = clean - d;
            if kind == AnomalyKind::UnitSwitch {
                assert!(lost > 0.0 && lost < clean * 0.4, "{kind:?} {lost}");
            } else {
                assert!(
                    (0.0..=60.0 + 1e-6).contains(&lost),
                    "{kind:?} lost {lost} km"
                );
            }
        }
    }

    #[test]
    fn interleaved_sources_are_erratic_and_a_fresh_candidate_is_pending() {
        let a = course(4, 100_000.0);
        let mixed: Vec<Point> = a
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if i % 7 == 3 {
                    Point {
                        v: p.v + 300_000.0,
                        ..*p
                    }
                } else {
                    *p
                }
            })
            .collect();
        assert!(track(&mixed, &ODOMETER).erratic);
        let mut tail = course(2, 100_000.0);
        let last = *tail.last().unwrap();
        tail.push(Point {
            t: last.t + 1800,
            v: 5.0,
        });
        let t = track(&tail, &ODOMETER);
        assert!(t.breaks.is_empty());
        assert_eq!(
            t.pending,
            Some(Point {
                t: last.t + 1800,
                v: 5.0
            })
        );
    }

    #[test]
    fn day_spans_are_order_free() {
        let pts = course(1, 0.0);
        let mut a = DaySpans::default();
        let mut b = DaySpans::default();
        for p in &pts {
            a.add(*p);
        }
        for p in pts.iter().rev() {
            b.add(*p);
        }
        assert_eq!(a, b);
        assert_eq!(a.points().count(), 20);
    }
}
