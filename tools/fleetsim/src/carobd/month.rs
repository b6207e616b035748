//! A month of daily use from a handful of logs: a morning and an evening drive every
//! day, and every third day a stop with the engine idling at midday, cycling through
//! the logs; the car stands parked (and reports nothing) in between, as a gateway that
//! sleeps with the ignition off does.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use shared_schemas::signals::names;
use shared_schemas::telemetry::TelemetryReading;

use super::logs::{Row, Trip};

/// One row of one log, placed in time.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// When it was read.
    pub at: DateTime<Utc>,
    /// An idempotency key unique within the replay.
    pub reading_id: String,
    /// The log's name.
    pub trip: String,
    /// Its PIDs.
    pub row: Row,
}

/// Start times of a day's engine runs, minutes after midnight, before a per-day shift.
const MORNING_MIN: i64 = 7 * 60 + 30;
const MIDDAY_MIN: i64 = 13 * 60;
const EVENING_MIN: i64 = 18 * 60;

/// `days` days of use from `start` (midnight, UTC), every row at its own instant, or
/// one row per `every_s` seconds of each run when given. Deterministic.
pub fn month(trips: &[Trip], start: DateTime<Utc>, days: u32, every_s: Option<f64>) -> Vec<Sample> {
    let (idle, road): (Vec<&Trip>, Vec<&Trip>) = trips.iter().partition(|t| t.is_idle());
    let mut out = Vec::new();
    for d in 0..i64::from(days) {
        let midnight = start + Duration::days(d);
        let mut runs = Vec::new();
        if !road.is_empty() {
            let k = 2 * d as usize;
            runs.push((MORNING_MIN + d * 7 % 30, road[k % road.len()]));
            runs.push((EVENING_MIN + d * 11 % 45, road[(k + 1) % road.len()]));
        }
        if d % 3 == 0 && !idle.is_empty() {
            runs.push((MIDDAY_MIN + d % 20, idle[(d / 3) as usize % idle.len()]));
        }
        runs.sort_by_key(|(m, _)| *m);
        for (slot, (minute, trip)) in runs.into_iter().enumerate() {
            let from = midnight + Duration::minutes(minute);
            let key = format!("d{d:02}r{slot}");
            out.extend(place(trip, from, &key, every_s));
        }
    }
    out
}

/// The rows of `trip` from `from`, spread evenly over its run time (the rows are
/// sample-and-hold, about two per second), thinned to one per `every_s` when given.
fn place(trip: &Trip, from: DateTime<Utc>, key: &str, every_s: Option<f64>) -> Vec<Sample> {
    let n = trip.rows.len();
    let step = trip.duration_s() / (n.max(2) - 1) as f64;
    let mut next_keep = 0.0;
    let mut out = Vec::new();
    for (i, row) in trip.rows.iter().enumerate() {
        let offset = i as f64 * step;
        if let Some(every) = every_s {
            if offset < next_keep {
                continue;
            }
            next_keep = ((offset / every).floor() + 1.0) * every;
        }
        out.push(Sample {
            at: from + Duration::milliseconds((offset * 1000.0).round() as i64),
            reading_id: format!("carobd-{key}-{}-{i}", trip.name),
            trip: trip.name.clone(),
            row: *row,
        });
    }
    out
}

impl Sample {
    /// The canonical reading ingestion decodes from [`Self::obd2_request`].
    pub fn reading(&self, vehicle_id: &str) -> TelemetryReading {
        let r = &self.row;
        let signals: BTreeMap<String, f64> = [
            (names::ENGINE_RUN_TIME_S, r.run_s),
            (names::ENGINE_RPM, r.rpm),
            (names::VEHICLE_SPEED_KPH, r.speed_kph),
            (names::ENGINE_LOAD_PCT, r.load_pct),
            (names::COOLANT_TEMP_C, r.coolant_c),
            (names::BOOST_PRESSURE_KPA, (r.map_kpa - r.baro_kpa).max(0.0)),
            (names::BATTERY_VOLTAGE_V, r.volts),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        TelemetryReading {
            reading_id: Some(self.reading_id.clone()),
            vehicle_id: vehicle_id.to_owned(),
            vin: None,
            recorded_at: self.at,
            odometer_km: None,
            engine_hours: None,
            location: None,
            signals,
            dtcs: Vec::new(),
        }
    }

    /// The row as an OBD-II request (`POST /v1/telemetry/obd2`): mode-01 PID data
    /// bytes in hex, encoded with the SAE J1979 scalings.
    pub fn obd2_request(&self, vehicle_id: &str) -> Value {
        let r = &self.row;
        let byte = |v: f64| format!("{:02X}", v.round().clamp(0.0, 255.0) as u8);
        let word = |v: f64| format!("{:04X}", v.round().clamp(0.0, 65535.0) as u16);
        json!({
            "reading_id": self.reading_id,
            "vehicle_id": vehicle_id,
            "recorded_at": self.at,
            "pids": {
                "04": byte(r.load_pct * 255.0 / 100.0),
                "05": byte(r.coolant_c + 40.0),
                "0B": byte(r.map_kpa),
                "0C": word(r.rpm * 4.0),
                "0D": byte(r.speed_kph),
                "1F": word(r.run_s),
                "33": byte(r.baro_kpa),
                "42": word(r.volts * 1000.0),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::carobd::{bundled_dir, load_dir};

    #[test]
    fn a_month_is_timed_in_order_within_each_run_and_thinned_on_request() {
        let trips = load_dir(&bundled_dir()).expect("logs");
        let start = Utc.with_ymd_and_hms(2024, 3, 4, 0, 0, 0).unwrap();
        let all = month(&trips, start, 30, None);
        let thin = month(&trips, start, 30, Some(10.0));
        assert!(all.len() > 200_000, "{}", all.len());
        assert!(
            thin.len() * 15 < all.len(),
            "{} of {}",
            thin.len(),
            all.len()
        );
        assert!(all.windows(2).all(|w| w[0].at <= w[1].at), "in time order");
        for w in thin.windows(2).filter(|w| w[0].trip == w[1].trip) {
            let gap = (w[1].at - w[0].at).num_milliseconds();
            assert!((9_000..=11_000).contains(&gap), "{gap} ms");
        }
        let ids: std::collections::HashSet<_> = all.iter().map(|s| &s.reading_id).collect();
        assert_eq!(ids.len(), all.len(), "unique reading ids");
        assert_eq!(
            all.last().map(|s| s.at < start + Duration::days(30)),
            Some(true)
        );
    }

    #[test]
    fn pids_carry_the_j1979_scalings() {
        let s = Sample {
            at: Utc.with_ymd_and_hms(2024, 3, 4, 8, 0, 0).unwrap(),
            reading_id: "r".to_owned(),
            trip: "t".to_owned(),
            row: Row {
                run_s: 600.0,
                rpm: 1726.0,
                speed_kph: 60.0,
                load_pct: 100.0,
                coolant_c: 83.0,
                map_kpa: 101.0,
                baro_kpa: 100.0,
                volts: 12.555,
            },
        };
        let pids = &s.obd2_request("CAR")["pids"];
        assert_eq!(pids["0C"], "1AF8");
        assert_eq!(pids["05"], "7B");
        assert_eq!(pids["42"], "310B");
        assert_eq!(pids["04"], "FF");
        assert_eq!(pids["1F"], "0258");
        let reading = s.reading("CAR");
        assert_eq!(reading.signals[names::BOOST_PRESSURE_KPA], 1.0);
    }
}
