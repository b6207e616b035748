//! A vehicle's rolling state: daily aggregates of every condition indicator, the
//! baselines learned from its first healthy days, and what was last reported.
//!
//! Aggregates are sums, counts, minima and maxima per UTC day, so applying readings in
//! any order gives the same state. Readings older than [`LATE_HORIZON_DAYS`] behind the
//! vehicle's newest reading are refused (their day may already have been summarized);
//! days older than [`WINDOW_DAYS`] are dropped.
//!
//! The state persists in two parts so a busy vehicle rewrites little: a small *head*
//! (newest instant, baselines, report tracker) and one record per day; only days
//! touched since the last save are marked dirty.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_schemas::telemetry::TelemetryReading;

use super::baseline::Baselines;
use super::counters::{Counter, DaySpans, Point};
use super::evidence;
use super::indicators::{Indicator, N_INDICATORS, observe};
use super::operating;
use super::rest::{Activity, Around};
use super::service::{self, Serviced};
use super::tracker::Reported;

/// Seconds per day.
pub const DAY_S: i64 = 86_400;
/// Days of aggregates kept: the longest trend window plus the late horizon.
pub const WINDOW_DAYS: i64 = 28;
/// How far behind the newest reading a reading may arrive and still count, days.
pub const LATE_HORIZON_DAYS: i64 = 7;

/// Sum, count, minimum and maximum of one indicator over one day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Agg {
    /// Number of values.
    pub n: u32,
    /// Their sum.
    pub sum: f64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
}

impl Default for Agg {
    fn default() -> Self {
        Self {
            n: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

impl Agg {
    pub(crate) fn add(&mut self, v: f64) {
        self.n += 1;
        self.sum += v;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    /// Adds every value of `other`.
    pub(crate) fn merge(&mut self, other: &Self) {
        self.n += other.n;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// The mean, when there is at least one value.
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / f64::from(self.n))
    }
}

/// One day of aggregates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Day {
    /// Per indicator, indexed by [`Indicator::index`].
    pub aggs: [Agg; N_INDICATORS],
    /// Σ soot² over the DPF readings, for the per-vehicle pressure-vs-soot regression.
    pub dpf_xx: f64,
    /// Σ soot × pressure over the same readings.
    pub dpf_xy: f64,
    /// First and last odometer reading of each hour (plausibility and distance).
    pub odometer: DaySpans,
    /// First and last engine-hours reading of each hour.
    pub engine_hours: DaySpans,
    /// When the engine turned, and the stopped-engine values of the indicators read
    /// at rest (their aggregates above are those of the values at rest).
    pub activity: Activity,
    /// The components whose signals the day's readings carried ([`evidence::bit`]).
    pub reported: u16,
}

impl Default for Day {
    fn default() -> Self {
        Self {
            aggs: [Agg::default(); N_INDICATORS],
            dpf_xx: 0.0,
            dpf_xy: 0.0,
            odometer: DaySpans::default(),
            engine_hours: DaySpans::default(),
            activity: Activity::default(),
            reported: 0,
        }
    }
}

impl Day {
    /// The aggregate of one indicator.
    pub fn agg(&self, i: Indicator) -> &Agg {
        &self.aggs[i.index()]
    }

    /// The spans of one counter.
    pub fn spans(&self, c: Counter) -> &DaySpans {
        match c {
            Counter::Odometer => &self.odometer,
            Counter::EngineHours => &self.engine_hours,
        }
    }
}

/// What happened to a reading given to [`VehicleState::apply`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Folded into its day.
    Counted,
    /// Older than the late horizon: ignored.
    TooLate,
}

/// The head of the state: everything but the days.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Head {
    /// Newest reading, Unix seconds.
    pub newest: Option<i64>,
    /// Baselines learned so far.
    pub baselines: Baselines,
    /// What was last reported per component (hysteresis).
    pub reported: Reported,
    /// Counter anomalies already announced.
    pub announced: Announced,
    /// Each serviced component's latest service (see [`service`]).
    pub serviced: Vec<Serviced>,
}

/// Counter anomalies already announced, so each is announced once.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Announced {
    /// `(counter, instant of the first reading after the break)`.
    pub breaks: Vec<(Counter, i64)>,
    /// Counters announced erratic, and since when (cleared when they settle).
    pub erratic: Vec<(Counter, i64)>,
}

/// A vehicle's rolling state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VehicleState {
    /// Newest instant, baselines, report tracker.
    pub head: Head,
    days: BTreeMap<i64, Day>,
    dirty: BTreeSet<i64>,
}

/// The state could not be decoded (written by an incompatible version).
#[derive(Debug, thiserror::Error)]
#[error("undecodable health state: {0}")]
pub struct DecodeError(#[from] postcard::Error);

/// Format tag written before every encoded part; bump on an incompatible change (and
/// read the previous ones: [`v4`], [`v3`], [`v2`]).
const FORMAT: u8 = 5;

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![FORMAT];
    // Serializing plain data into a Vec cannot fail.
    out.extend(postcard::to_allocvec(value).unwrap_or_default());
    out
}

fn decode_head(bytes: &[u8]) -> Result<Head, DecodeError> {
    match bytes.split_first() {
        // Format 5 changed the days only.
        Some((&(FORMAT | v4::FORMAT), rest)) => Ok(postcard::from_bytes(rest)?),
        Some((&v3::FORMAT, rest)) => Ok(postcard::from_bytes::<v3::Head>(rest)?.into()),
        Some((&v2::FORMAT, rest)) => Ok(postcard::from_bytes::<v2::Head>(rest)?.into()),
        _ => Err(DecodeError(postcard::Error::DeserializeBadEncoding)),
    }
}

fn decode_day(bytes: &[u8]) -> Result<Day, DecodeError> {
    match bytes.split_first() {
        Some((&FORMAT, rest)) => Ok(postcard::from_bytes(rest)?),
        // Format 4 changed the head only.
        Some((&(v4::FORMAT | v3::FORMAT), rest)) => {
            Ok(postcard::from_bytes::<v4::Day>(rest)?.into())
        }
        Some((&v2::FORMAT, rest)) => Ok(postcard::from_bytes::<v2::Day>(rest)?.into()),
        _ => Err(DecodeError(postcard::Error::DeserializeBadEncoding)),
    }
}

/// Format 4 (before rest was judged from the engine's activity): its days took every
/// stopped-engine reading as at rest, key-on and cranking samples included, so their
/// rest aggregates are dropped rather than kept under the old meaning.
mod v4 {
    use serde::Deserialize;

    use super::{Agg, DaySpans, Indicator, N_INDICATORS};

    pub(super) const FORMAT: u8 = 4;

    #[derive(Deserialize)]
    pub(super) struct Day {
        aggs: [Agg; N_INDICATORS],
        dpf_xx: f64,
        dpf_xy: f64,
        odometer: DaySpans,
        engine_hours: DaySpans,
    }

    impl Day {
        /// A format-2 day: no counter spans yet.
        pub(super) fn from_v2(aggs: [Agg; N_INDICATORS], dpf_xx: f64, dpf_xy: f64) -> Self {
            Self {
                aggs,
                dpf_xx,
                dpf_xy,
                odometer: DaySpans::default(),
                engine_hours: DaySpans::default(),
            }
        }
    }

    impl From<Day> for super::Day {
        fn from(d: Day) -> Self {
            let mut aggs = d.aggs;
            for i in Indicator::ALL.into_iter().filter(|i| i.at_rest()) {
                aggs[i.index()] = Agg::default();
            }
            Self {
                aggs,
                dpf_xx: d.dpf_xx,
                dpf_xy: d.dpf_xy,
                odometer: d.odometer,
                engine_hours: d.engine_hours,
                ..Self::default()
            }
        }
    }
}

/// Format 3 (before services were recorded): its head has no services, its days are
/// today's.
mod v3 {
    use serde::Deserialize;

    use super::{Announced, Baselines, Reported};

    pub(super) const FORMAT: u8 = 3;

    #[derive(Deserialize)]
    pub(super) struct Head {
        newest: Option<i64>,
        baselines: Baselines,
        reported: Reported,
        announced: Announced,
    }

    impl From<Head> for super::Head {
        fn from(h: Head) -> Self {
            Self {
                newest: h.newest,
                baselines: h.baselines,
                reported: h.reported,
                announced: h.announced,
                serviced: Vec::new(),
            }
        }
    }
}

/// Format 2 (before counter spans): read on upgrade, so a vehicle keeps its baselines
/// and history; its counters start with the next reading.
mod v2 {
    use serde::Deserialize;

    use super::{Agg, Announced, Baselines, N_INDICATORS, Reported};

    pub(super) const FORMAT: u8 = 2;

    #[derive(Deserialize)]
    pub(super) struct Day {
        aggs: [Agg; N_INDICATORS],
        dpf_xx: f64,
        dpf_xy: f64,
    }

    impl From<Day> for super::Day {
        fn from(d: Day) -> Self {
            super::v4::Day::from_v2(d.aggs, d.dpf_xx, d.dpf_xy).into()
        }
    }

    #[derive(Deserialize)]
    pub(super) struct Head {
        newest: Option<i64>,
        baselines: Baselines,
        reported: Reported,
    }

    impl From<Head> for super::Head {
        fn from(h: Head) -> Self {
            Self {
                newest: h.newest,
                baselines: h.baselines,
                reported: h.reported,
                announced: Announced::default(),
                serviced: Vec::new(),
            }
        }
    }
}

/// The UTC day number of a Unix instant.
pub fn day_of(t: i64) -> i64 {
    t.div_euclid(DAY_S)
}

impl VehicleState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds a state from its encoded head and days (as saved by
    /// [`Self::encode_head`] and [`Self::encode_day`]).
    pub fn restore<'a>(
        head: &[u8],
        days: impl IntoIterator<Item = (i64, &'a [u8])>,
    ) -> Result<Self, DecodeError> {
        let mut state = Self {
            head: decode_head(head)?,
            ..Self::default()
        };
        for (day, bytes) in days {
            state.days.insert(day, decode_day(bytes)?);
        }
        state.prune();
        Ok(state)
    }

    /// The head, encoded.
    pub fn encode_head(&self) -> Vec<u8> {
        encode(&self.head)
    }

    /// One day, encoded (`None` if the state does not hold it).
    pub fn encode_day(&self, day: i64) -> Option<Vec<u8>> {
        self.days.get(&day).map(encode)
    }

    /// Days changed since the last call, and forgets them.
    pub fn take_dirty_days(&mut self) -> Vec<i64> {
        std::mem::take(&mut self.dirty).into_iter().collect()
    }

    /// The newest reading's instant.
    pub fn newest(&self) -> Option<DateTime<Utc>> {
        self.head
            .newest
            .and_then(|t| DateTime::from_timestamp(t, 0))
    }

    /// The days held, oldest first.
    pub fn days(&self) -> impl DoubleEndedIterator<Item = (i64, &Day)> {
        self.days.iter().map(|(d, day)| (*d, day))
    }

    /// The days held, by day number.
    pub(crate) fn day_map(&self) -> &BTreeMap<i64, Day> {
        &self.days
    }

    /// The readings of a counter the state holds (first, last, lowest and highest per
    /// hour) from day `first_day` on, in time order.
    pub fn counter_points(&self, c: Counter, first_day: i64) -> Vec<Point> {
        self.days
            .range(first_day..)
            .flat_map(|(_, d)| d.spans(c).points())
            .collect()
    }

    /// The oldest day still kept (days before it can be deleted from storage).
    pub fn oldest_kept_day(&self) -> Option<i64> {
        self.head.newest.map(|t| day_of(t) - WINDOW_DAYS + 1)
    }

    /// Folds one reading into its day. Order does not matter; the caller makes sure a
    /// reading is applied once (see the service's applied-readings table).
    pub fn apply(&mut self, reading: &TelemetryReading) -> Applied {
        let t = reading.recorded_at.timestamp();
        if let Some(newest) = self.head.newest
            && t < newest - LATE_HORIZON_DAYS * DAY_S
        {
            return Applied::TooLate;
        }
        let day = day_of(t);
        // Indicators of components serviced after this reading: the old part's.
        let masked = service::masked(&self.head.serviced, t);
        let entry = self.days.entry(day).or_default();
        let mut soot = None;
        let mut dp = None;
        let turning = operating::State::of(reading).engine.turning();
        let mut rest_changed = entry.activity.note(t, turning);
        entry.reported = evidence::reported(reading, entry.reported);
        observe(reading, |i, v| {
            if masked & (1 << i.index()) != 0 {
                return;
            }
            if i.at_rest() {
                entry.activity.candidate(i, t, v);
                rest_changed = true;
                return;
            }
            entry.aggs[i.index()].add(v);
            match i {
                Indicator::DpfSoot => soot = Some(v),
                Indicator::DpfDpRef => dp = Some(v),
                _ => {}
            }
        });
        if let (Some(x), Some(y)) = (soot, dp) {
            entry.dpf_xx += x * x;
            entry.dpf_xy += x * y;
        }
        if let Some(v) = reading.odometer_km.filter(|v| v.is_finite()) {
            entry.odometer.add(Point { t, v });
        }
        if let Some(v) = reading.engine_hours.filter(|v| v.is_finite()) {
            entry.engine_hours.add(Point { t, v });
        }
        self.dirty.insert(day);
        if rest_changed {
            self.refresh_rest(day);
        }
        let previous = self.head.newest;
        if previous.is_none_or(|n| t > n) {
            self.head.newest = Some(t);
            if previous.is_none_or(|n| day_of(n) < day) {
                // A day closed: baselines may now be learnable.
                self.prune();
                self.head.baselines.learn(&self.days, day);
            }
        }
        Applied::Counted
    }

    /// Empties the aggregates of `indicators` on every day up to `through_day` (and
    /// the DPF regression sums with `dpf`), forgets their baselines and learns what
    /// the days left allow.
    pub(crate) fn forget(&mut self, indicators: &[Indicator], through_day: i64, dpf: bool) {
        for (day, data) in self.days.range_mut(..=through_day) {
            for &i in indicators {
                data.aggs[i.index()] = Agg::default();
            }
            data.activity.forget(indicators);
            if dpf {
                data.dpf_xx = 0.0;
                data.dpf_xy = 0.0;
            }
            self.dirty.insert(*day);
        }
        self.head.baselines.forget(indicators);
        if let Some(newest) = self.head.newest {
            self.head.baselines.learn(&self.days, day_of(newest));
        }
    }

    /// Recomputes the aggregates of the indicators read at rest on `day` and the days
    /// either side (whose rest depends on `day`'s activity).
    fn refresh_rest(&mut self, day: i64) {
        for d in day - 1..=day + 1 {
            let Some(data) = self.days.get(&d) else {
                continue;
            };
            let around = Around {
                prev: self.days.get(&(d - 1)).map(|x| &x.activity),
                day: &data.activity,
                next: self.days.get(&(d + 1)).map(|x| &x.activity),
            };
            let fresh: Vec<(Indicator, Agg)> = Indicator::ALL
                .into_iter()
                .filter(|i| i.at_rest())
                .map(|i| (i, around.rest_aggregate(i)))
                .collect();
            if let Some(data) = self.days.get_mut(&d) {
                for (i, agg) in fresh {
                    if data.aggs[i.index()] != agg {
                        data.aggs[i.index()] = agg;
                        self.dirty.insert(d);
                    }
                }
            }
        }
    }

    fn prune(&mut self) {
        if let Some(oldest) = self.oldest_kept_day() {
            self.days = self.days.split_off(&oldest);
            self.dirty.retain(|d| *d >= oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    use shared_schemas::signals::names;

    use super::*;

    fn reading(t: i64, coolant: f64) -> TelemetryReading {
        TelemetryReading {
            reading_id: None,
            vehicle_id: "V1".to_owned(),
            vin: None,
            recorded_at: Utc.timestamp_opt(t, 0).single().expect("valid instant"),
            odometer_km: Some(t as f64 / 100.0),
            engine_hours: None,
            location: None,
            signals: [
                (names::ENGINE_RPM.to_owned(), 1500.0),
                (names::VEHICLE_SPEED_KPH.to_owned(), 80.0),
                (names::COOLANT_TEMP_C.to_owned(), coolant),
            ]
            .into_iter()
            .collect(),
            dtcs: Vec::new(),
        }
    }

    fn readings() -> Vec<TelemetryReading> {
        let t0 = 1_750_000_000;
        (0..2000)
            .map(|i| reading(t0 + i * 600, 85.0 + (i % 17) as f64))
            .collect()
    }

    #[test]
    fn order_does_not_matter() {
        let mut in_order = VehicleState::new();
        for r in readings() {
            assert_eq!(in_order.apply(&r), Applied::Counted);
        }
        let mut shuffled_readings = readings();
        // Shuffle within windows of a day, i.e. inside the late horizon.
        let mut rng = rand::rngs::SmallRng::seed_from_u64(3);
        for chunk in shuffled_readings.chunks_mut(144) {
            chunk.shuffle(&mut rng);
        }
        let mut shuffled = VehicleState::new();
        for r in &shuffled_readings {
            assert_eq!(shuffled.apply(r), Applied::Counted);
        }
        assert_eq!(in_order.head, shuffled.head);
        assert_eq!(
            in_order.counter_points(Counter::Odometer, 0),
            shuffled.counter_points(Counter::Odometer, 0)
        );
        let a: Vec<_> = in_order.days().map(|(d, day)| (d, day.clone())).collect();
        let b: Vec<_> = shuffled.days().map(|(d, day)| (d, day.clone())).collect();
        assert_eq!(a.len(), b.len());
        for ((da, x), (db, y)) in a.iter().zip(&b) {
            assert_eq!(da, db);
            for (p, q) in x.aggs.iter().zip(&y.aggs) {
                assert_eq!(p.n, q.n);
                assert!((p.sum - q.sum).abs() < 1e-6);
                assert_eq!(p.max, q.max);
            }
        }
    }

    /// A stopped-engine battery reading at `t` (key-on, heartbeat or cranking dip).
    fn stopped(t: i64, volts: f64) -> TelemetryReading {
        let mut r = reading(t, 20.0);
        r.signals = [
            (names::ENGINE_RPM.to_owned(), 0.0),
            (names::VEHICLE_SPEED_KPH.to_owned(), 0.0),
            (names::BATTERY_VOLTAGE_V.to_owned(), volts),
        ]
        .into_iter()
        .collect();
        r
    }

    /// Three nights between an evening and a morning drive: a reading just after the
    /// stop, heartbeats through the night, and a key-on sample and a cranking dip just
    /// before the morning start.
    fn nights() -> Vec<TelemetryReading> {
        let t0 = 1_750_032_000 - 1_750_032_000 % DAY_S;
        let mut out = Vec::new();
        for d in 0..4 {
            let day = t0 + d * DAY_S;
            out.extend((0..60).map(|k| reading(day + 7 * 3600 + k * 60, 88.0)));
            if d == 3 {
                break;
            }
            out.extend((0..60).map(|k| reading(day + 18 * 3600 + k * 60, 88.0)));
            out.push(stopped(day + 19 * 3600 + 30, 12.7));
            out.push(stopped(day + 23 * 3600, 12.6));
            out.push(stopped(day + DAY_S + 3 * 3600, 12.58));
            out.push(stopped(day + DAY_S + 7 * 3600 - 20, 12.4));
            out.push(stopped(day + DAY_S + 7 * 3600 - 10, 9.2));
        }
        out
    }

    #[test]
    fn only_rested_readings_count_as_rest_in_any_order() {
        let mut in_order = VehicleState::new();
        for r in nights() {
            in_order.apply(&r);
        }
        let mut reversed = VehicleState::new();
        for r in nights().iter().rev() {
            reversed.apply(r);
        }
        let rest = |s: &VehicleState| -> Vec<(u32, Option<f64>)> {
            s.days()
                .map(|(_, d)| {
                    (
                        d.agg(Indicator::BatteryRest).n,
                        d.agg(Indicator::BatteryRest).mean(),
                    )
                })
                .collect()
        };
        assert_eq!(rest(&in_order), rest(&reversed));
        // Per night: 23:00 and 03:00 are rested; 19:00:30 (just stopped), the key-on
        // and the cranking dip are not.
        let days = rest(&in_order);
        assert_eq!(days.iter().map(|(n, _)| n).sum::<u32>(), 6, "{days:?}");
        let lowest = in_order
            .days()
            .map(|(_, d)| d.agg(Indicator::BatteryRest).min)
            .fold(f64::INFINITY, f64::min);
        assert!(lowest >= 12.58, "{lowest}");
    }

    #[test]
    fn a_format_4_day_is_read_without_its_old_rest_aggregates() {
        #[derive(Serialize)]
        struct OldDay<'a> {
            aggs: &'a [Agg; N_INDICATORS],
            dpf_xx: f64,
            dpf_xy: f64,
            odometer: &'a DaySpans,
            engine_hours: &'a DaySpans,
        }
        let mut day = Day::default();
        day.aggs[Indicator::BatteryRest.index()].add(9.2);
        day.aggs[Indicator::CoolantDriving.index()].add(88.0);
        let bytes = [
            vec![4u8],
            postcard::to_allocvec(&OldDay {
                aggs: &day.aggs,
                dpf_xx: 0.0,
                dpf_xy: 0.0,
                odometer: &day.odometer,
                engine_hours: &day.engine_hours,
            })
            .expect("encodes"),
        ]
        .concat();
        let read = decode_day(&bytes).expect("format 4 decodes");
        assert_eq!(read.agg(Indicator::BatteryRest).n, 0, "old meaning dropped");
        assert_eq!(read.agg(Indicator::CoolantDriving).n, 1);
        assert_eq!(read.activity, Activity::default());
    }

    #[test]
    fn too_late_readings_are_refused_and_old_days_pruned() {
        let mut s = VehicleState::new();
        // Forty days, one reading an hour.
        for i in 0..40 * 24 {
            s.apply(&reading(1_750_000_000 + i * 3600, 90.0));
        }
        let newest = s.head.newest.expect("newest");
        let late = reading(newest - (LATE_HORIZON_DAYS + 1) * DAY_S, 90.0);
        assert_eq!(s.apply(&late), Applied::TooLate);
        let first = s.days().next().expect("a day").0;
        assert_eq!(first, day_of(newest) - WINDOW_DAYS + 1);
    }

    #[test]
    fn encoding_round_trips_and_rejects_garbage() {
        let mut s = VehicleState::new();
        for r in readings() {
            s.apply(&r);
        }
        let dirty = s.take_dirty_days();
        assert!(!dirty.is_empty());
        assert!(s.take_dirty_days().is_empty());
        let head = s.encode_head();
        let days: Vec<(i64, Vec<u8>)> = dirty
            .iter()
            .filter_map(|d| s.encode_day(*d).map(|b| (*d, b)))
            .collect();
        let restored = VehicleState::restore(&head, days.iter().map(|(d, b)| (*d, b.as_slice())))
            .expect("decodes");
        assert_eq!(restored.head, s.head);
        assert_eq!(restored.days().count(), s.days().count());
        assert!(VehicleState::restore(&[9, 9, 9], []).is_err());
    }

    #[test]
    fn a_format_3_state_is_read_without_services() {
        #[derive(Serialize)]
        struct OldHead<'a> {
            newest: Option<i64>,
            baselines: &'a Baselines,
            reported: &'a Reported,
            announced: &'a Announced,
        }
        let mut s = VehicleState::new();
        for r in readings() {
            s.apply(&r);
        }
        let old = |bytes: Vec<u8>| [vec![3u8], bytes].concat();
        let head = old(postcard::to_allocvec(&OldHead {
            newest: s.head.newest,
            baselines: &s.head.baselines,
            reported: &s.head.reported,
            announced: &s.head.announced,
        })
        .expect("encodes"));
        let days: Vec<(i64, Vec<u8>)> = s
            .days()
            .map(|(d, day)| (d, old(postcard::to_allocvec(day).expect("encodes"))))
            .collect();
        let restored = VehicleState::restore(&head, days.iter().map(|(d, b)| (*d, b.as_slice())))
            .expect("format 3 decodes");
        assert_eq!(restored.head, s.head);
        assert!(restored.head.serviced.is_empty());
        assert_eq!(restored.days().count(), s.days().count());
        assert_eq!(restored.encode_head()[0], FORMAT);
    }

    #[test]
    fn a_format_2_state_is_read_and_keeps_its_baselines() {
        #[derive(Serialize)]
        struct OldDay<'a> {
            aggs: &'a [Agg; N_INDICATORS],
            dpf_xx: f64,
            dpf_xy: f64,
        }
        #[derive(Serialize)]
        struct OldHead<'a> {
            newest: Option<i64>,
            baselines: &'a Baselines,
            reported: &'a Reported,
        }
        let mut s = VehicleState::new();
        for r in readings() {
            s.apply(&r);
        }
        let old = |bytes: Vec<u8>| [vec![2u8], bytes].concat();
        let head = old(postcard::to_allocvec(&OldHead {
            newest: s.head.newest,
            baselines: &s.head.baselines,
            reported: &s.head.reported,
        })
        .expect("encodes"));
        let days: Vec<(i64, Vec<u8>)> = s
            .days()
            .map(|(d, day)| {
                let bytes = postcard::to_allocvec(&OldDay {
                    aggs: &day.aggs,
                    dpf_xx: day.dpf_xx,
                    dpf_xy: day.dpf_xy,
                })
                .expect("encodes");
                (d, old(bytes))
            })
            .collect();
        let restored = VehicleState::restore(&head, days.iter().map(|(d, b)| (*d, b.as_slice())))
            .expect("format 2 decodes");
        assert_eq!(restored.head.baselines, s.head.baselines);
        assert_eq!(restored.head.newest, s.head.newest);
        let (d, day) = restored.days().last().expect("a day");
        assert_eq!(day.aggs, s.days().last().expect("a day").1.aggs, "day {d}");
        assert!(day.odometer.0.is_empty(), "counters start afresh");
        // Written back, it is format 3.
        assert_eq!(restored.encode_head()[0], FORMAT);
    }
}
