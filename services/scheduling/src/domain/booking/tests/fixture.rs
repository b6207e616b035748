//! Three centers around Chicago, "now" Wednesday 2026-03-04 10:00 UTC.
//! - A (regular, 1 bay, Mon-Fri 8-17, rating 4.5): A1 (brakes, general) 8-17 on
//!   weekdays of three weeks except Thursday 03-05 (day off); 1 brake pad set in stock,
//!   brake pads ordered in 24 h, DPF filters in 72 h.
//! - B (emergency, 2 bays, 24/7, rating 4.0): B1 (brakes, engine) nights 22:00-06:00
//!   (crossing midnight), B2 (engine) 06:00-14:00; nothing in stock, brake pads in 48 h.
//! - C (regular, 1 bay, Mon-Sat 7-19, rating 3.5, 40 km out): C1 (brakes) 7-19.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use uuid::Uuid;

use super::super::{CenterSnapshot, JobRequest, Snapshot, TechnicianSnapshot};
use crate::domain::optimizer::instance::{JobKind, Severity};

pub(super) fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, minute, 0)
        .single()
        .expect("valid instant")
}

pub(super) fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

pub(super) const A: u128 = 0xA;
pub(super) const B: u128 = 0xB;
pub(super) const C: u128 = 0xC;
pub(super) const A1: u128 = 0xA1;
pub(super) const B1: u128 = 0xB1;
pub(super) const B2: u128 = 0xB2;
pub(super) const C1: u128 = 0xC1;

/// Shifts from `from_h` to `to_h` (the next day when `to_h <= from_h`) on the given
/// days of March 2026.
fn shifts(
    days: impl IntoIterator<Item = u32>,
    from_h: u32,
    to_h: u32,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    days.into_iter()
        .map(|d| {
            let start = at(d, from_h, 0);
            let mut end = at(d, to_h, 0);
            if to_h <= from_h {
                end += Duration::days(1);
            }
            (start, end)
        })
        .collect()
}

fn weekdays() -> impl Iterator<Item = u32> {
    (2..=20).filter(|d| {
        let wd = NaiveDate::from_ymd_opt(2026, 3, *d).map(|x| chrono::Datelike::weekday(&x));
        !matches!(wd, Some(chrono::Weekday::Sat | chrono::Weekday::Sun))
    })
}

fn tech(
    n: u128,
    skills: &[&str],
    shifts: Vec<(DateTime<Utc>, DateTime<Utc>)>,
) -> TechnicianSnapshot {
    TechnicianSnapshot {
        id: id(n),
        skills: skills.iter().map(|s| String::from(*s)).collect(),
        shifts,
    }
}

fn parts(list: &[(&str, u32)]) -> BTreeMap<String, u32> {
    list.iter().map(|(p, q)| (String::from(*p), *q)).collect()
}

fn leads(list: &[(&str, f64)]) -> BTreeMap<String, f64> {
    list.iter().map(|(p, h)| (String::from(*p), *h)).collect()
}

pub(super) fn snapshot() -> Snapshot {
    let weekday_hours = Some((480, 1020));
    let a = CenterSnapshot {
        id: id(A),
        name: "A".into(),
        lat: 41.90,
        lon: -87.70,
        bays: 1,
        hours: [
            weekday_hours,
            weekday_hours,
            weekday_hours,
            weekday_hours,
            weekday_hours,
            None,
            None,
        ],
        emergency: false,
        rating: 4.5,
        technicians: vec![tech(
            A1,
            &["brakes", "general"],
            shifts(weekdays().filter(|d| *d != 5), 8, 17),
        )],
        stock: parts(&[("brake_pad_set", 1)]),
        lead_time_hours: leads(&[("brake_pad_set", 24.0), ("dpf_filter", 72.0)]),
    };
    let b = CenterSnapshot {
        id: id(B),
        name: "B".into(),
        lat: 41.80,
        lon: -87.60,
        bays: 2,
        hours: [Some((0, 1440)); 7],
        emergency: true,
        rating: 4.0,
        technicians: vec![
            tech(B1, &["brakes", "engine"], shifts(1..=21, 22, 6)),
            tech(B2, &["engine"], shifts(2..=21, 6, 14)),
        ],
        stock: BTreeMap::new(),
        lead_time_hours: leads(&[("brake_pad_set", 48.0)]),
    };
    let c = CenterSnapshot {
        id: id(C),
        name: "C".into(),
        lat: 42.20,
        lon: -88.00,
        bays: 1,
        hours: [Some((420, 1140)); 6]
            .into_iter()
            .chain([None])
            .collect::<Vec<_>>()
            .try_into()
            .expect("7"),
        emergency: false,
        rating: 3.5,
        technicians: vec![tech(C1, &["brakes"], shifts(2..=21, 7, 19))],
        stock: BTreeMap::new(),
        lead_time_hours: leads(&[("brake_pad_set", 24.0)]),
    };
    Snapshot {
        now: at(4, 10, 0),
        centers: vec![a, b, c],
        busy: Vec::new(),
    }
}

/// A one-hour brake job near A, released now, due Friday.
pub(super) fn brake_job() -> JobRequest {
    JobRequest {
        key: "job-1".into(),
        vehicle_id: "V1".into(),
        location: Some((41.90, -87.70)),
        kind: JobKind::Repair,
        skill: "brakes".into(),
        duration_minutes: 60,
        parts: BTreeMap::new(),
        release: at(4, 10, 0),
        due: at(6, 17, 0),
        severity: Severity::Medium,
        preferred_center: None,
    }
}

pub(super) fn with_parts(mut job: JobRequest, list: &[(&str, u32)]) -> JobRequest {
    job.parts = parts(list);
    job
}

/// The snapshot with only the centers named.
pub(super) fn only(mut s: Snapshot, keep: &[u128]) -> Snapshot {
    s.centers.retain(|c| keep.iter().any(|k| id(*k) == c.id));
    s
}
