//! A vehicle's telemetry replayed through the real health engine (`models::health`),
//! kept as the health, alert and odometer history the warranty service would gather
//! from the health service for a claim.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use fleetsim::simulate::{SimConfig, VehicleSim};
use fleetsim::vehicle::Vehicle;
use models::health::{Engine, Reported, Transition, VehicleState};
use shared_schemas::events::{Component, Counter};
use warranty::domain::model::DayUsage;

/// One component's health on one day (the day's last assessment).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DayHealth {
    /// Score, 0..1.
    pub(crate) score: f64,
    /// Band name.
    pub(crate) band: &'static str,
    /// RUL, days.
    pub(crate) rul_days: f64,
}

/// What the platform recorded about one vehicle.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timeline {
    /// Per day, per component.
    pub(crate) health: BTreeMap<NaiveDate, BTreeMap<Component, DayHealth>>,
    /// Per day, the last reported odometer, km.
    pub(crate) odometer: BTreeMap<NaiveDate, f64>,
    /// `component.degraded` (warning) and `component.critical` alerts: when, what.
    pub(crate) alerts: Vec<(DateTime<Utc>, Component, &'static str)>,
    /// Odometer anomalies the engine found: when, kind.
    pub(crate) anomalies: Vec<(DateTime<Utc>, String)>,
    /// First and last reading.
    pub(crate) span: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// Replays `vehicle` over `cfg`, assessing every `assess_every_s` of simulated time.
pub(crate) fn replay(
    engine: &Engine,
    vehicle: &Vehicle,
    cfg: SimConfig,
    assess_every_s: i64,
) -> Timeline {
    let mut state = VehicleState::new();
    let mut reported = Reported::default();
    let mut out = Timeline::default();
    let mut next = i64::MIN;
    let mut first = None;
    let mut last = 0;
    for sample in VehicleSim::new(vehicle.clone(), cfg) {
        state.apply(&sample.to_reading(vehicle, cfg.seed));
        first.get_or_insert(sample.t);
        last = sample.t;
        let Some(at) = DateTime::from_timestamp(sample.t, 0) else {
            continue;
        };
        out.odometer.insert(at.date_naive(), sample.odometer_km);
        if sample.t < next {
            continue;
        }
        next = sample.t + assess_every_s;
        let Some(a) = engine.assess(&state) else {
            continue;
        };
        let day = out.health.entry(at.date_naive()).or_default();
        for h in &a.components {
            let health = DayHealth {
                score: h.score,
                band: h.band.as_str(),
                rul_days: h.rul_days,
            };
            day.insert(h.component, health);
        }
        for t in a.transitions(&mut reported) {
            match t {
                Transition::Degraded(c) => out.alerts.push((at, c, "warning")),
                Transition::Critical(c) => out.alerts.push((at, c, "critical")),
                Transition::Changed { .. } => {}
            }
        }
        for anomaly in a
            .anomalies
            .iter()
            .filter(|x| x.counter == Counter::Odometer)
        {
            let when = DateTime::from_timestamp(anomaly.brk.after.t, 0).unwrap_or(at);
            if !out.anomalies.iter().any(|(t, _)| *t == when) {
                out.anomalies.push((when, wire_name(anomaly.brk.kind)));
            }
        }
    }
    let ts = |t| DateTime::from_timestamp(t, 0);
    out.span = first.and_then(|f| Some((ts(f)?, ts(last)?)));
    out
}

impl Timeline {
    /// The odometer at the end of `day` (or the newest before).
    pub(crate) fn odometer_at(&self, day: NaiveDate) -> Option<f64> {
        self.odometer.range(..=day).next_back().map(|(_, km)| *km)
    }

    /// Km driven on each day from `from` to `to` (inclusive) that has readings: the
    /// day's last odometer less the previous day's, as the ingestion service's daily
    /// usage reports it.
    pub(crate) fn usage(&self, from: NaiveDate, to: NaiveDate) -> Vec<DayUsage> {
        self.odometer
            .range(from..=to)
            .filter_map(|(day, km)| {
                let (_, before) = self.odometer.range(..*day).next_back()?;
                Some(DayUsage {
                    day: *day,
                    distance_km: km - before,
                    odometer_km: Some(*km),
                })
            })
            .collect()
    }

    /// Whether readings exist within a day of `day`.
    pub(crate) fn reporting(&self, day: NaiveDate) -> bool {
        let from = day - chrono::Days::new(1);
        let to = day + chrono::Days::new(1);
        self.odometer.range(from..=to).next().is_some()
    }
}

/// The kind's wire name, as the health service reports it.
fn wire_name(kind: impl serde::Serialize) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
