//! `vehicle.odometer.anomaly`: what the health engine's counter tracker found,
//! announced once each, with its evidence in words (ADR 0009).

use chrono::{DateTime, Utc};
use models::health::CounterNews;
use models::health::counters::{AnomalyKind, Break, Counter, Point};
use shared_schemas::events::{CounterReading, OdometerAnomaly};

/// The event of each piece of counter news of `vehicle_id`, concluded at `at`.
pub fn anomaly_events(
    org_id: &str,
    vehicle_id: &str,
    news: &[CounterNews],
    at: DateTime<Utc>,
) -> Vec<OdometerAnomaly> {
    news.iter()
        .map(|n| {
            let (counter, kind, brk) = match *n {
                CounterNews::Anomaly(a) => (a.counter, a.brk.kind, a.brk),
                CounterNews::Erratic(a) => (a.counter, AnomalyKind::Erratic, a.brk),
            };
            OdometerAnomaly {
                org_id: org_id.to_owned(),
                vehicle_id: vehicle_id.to_owned(),
                counter,
                kind,
                before: reading(brk.before),
                after: reading(brk.after),
                max_plausible: round(brk.max_plausible),
                confirmed_by: brk.confirmed_by,
                detail: detail(counter, kind, &brk),
                detected_at: at,
            }
        })
        .collect()
}

fn reading(p: Point) -> CounterReading {
    CounterReading {
        at: DateTime::from_timestamp(p.t, 0).unwrap_or_default(),
        value: round(p.v),
    }
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// `2 h 30 min`, `45 min`, `3 d 4 h`.
fn span(seconds: i64) -> String {
    let m = seconds.max(0) / 60;
    match (m / 1440, (m % 1440) / 60, m % 60) {
        (0, 0, min) => format!("{min} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, min) => format!("{h} h {min} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// The evidence in words: both readings, the time between, what the course allowed,
/// and what it was read as.
fn detail(counter: Counter, kind: AnomalyKind, b: &Break) -> String {
    let u = counter.unit();
    let name = counter.as_str().replace('_', " ");
    let moved = format!(
        "{name} went from {:.1} {u} to {:.1} {u} in {} (at most {:.1} {u} was possible)",
        b.before.v,
        b.after.v,
        span(b.after.t - b.before.t),
        b.max_plausible
    );
    let confirmed = b.confirmed_by;
    let what = match kind {
        AnomalyKind::Reset => format!(
            "and went on from there ({confirmed} more readings): read as a reset (a replaced cluster or ECU); distance re-anchored on the new value"
        ),
        AnomalyKind::Rollback => format!(
            "and went on from there ({confirmed} more readings): read as a rollback by {:.1} {u}",
            b.before.v - b.after.v
        ),
        AnomalyKind::UnitSwitch => format!(
            "a factor of {:.3}, and went on from there ({confirmed} more readings): read as a unit switch (miles and km)",
            b.after.v / b.before.v
        ),
        AnomalyKind::Jump => format!(
            "and went on from there ({confirmed} more readings): read as a jump forward; the {:.1} {u} are not counted as distance",
            b.after.v - b.before.v
        ),
        AnomalyKind::Spike => format!(
            "then readings went on from {:.1} {u} as before: one corrupt reading, ignored",
            b.before.v
        ),
        AnomalyKind::Erratic => format!(
            "and such breaks keep coming (several in {}): the readings are erratic (two sources under one vehicle id, or a failing sensor); no distance rate until they settle",
            span(models::health::counters::ERRATIC_WINDOW_S)
        ),
    };
    format!("{moved}, {what}")
}

#[cfg(test)]
mod tests {
    use models::health::CounterAnomaly;

    use super::*;

    #[test]
    fn a_rollback_is_told_with_its_evidence() {
        let brk = Break {
            kind: AnomalyKind::Rollback,
            before: Point {
                t: 1_700_000_000,
                v: 231_877.4,
            },
            after: Point {
                t: 1_700_001_800,
                v: 148_210.0,
            },
            max_plausible: 231_985.1,
            confirmed_by: 3,
        };
        let news = [CounterNews::Anomaly(CounterAnomaly {
            counter: Counter::Odometer,
            brk,
        })];
        let at = DateTime::from_timestamp(1_700_010_000, 0).unwrap_or_default();
        let e = &anomaly_events("acme", "VH-1", &news, at)[0];
        assert_eq!(e.kind, AnomalyKind::Rollback);
        assert_eq!(e.after.value, 148_210.0);
        assert_eq!(
            e.detail,
            "odometer went from 231877.4 km to 148210.0 km in 30 min (at most 231985.1 km was possible), and went on from there (3 more readings): read as a rollback by 83667.4 km"
        );
    }
}
