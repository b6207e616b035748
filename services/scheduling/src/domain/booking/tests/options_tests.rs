//! `options` and `best`: occupied slots, stock and lead times, emergency centers, days
//! off, night shifts, three distinct labels.

use chrono::{DateTime, Duration, Utc};
use shared_schemas::events::OptionLabel;

use super::super::{Busy, JobRequest, Slot, Snapshot, best, options};
use super::fixture::{A, A1, B, B1, C, at, brake_job, id, only, snapshot, with_parts};
use crate::domain::optimizer::instance::JobKind;

fn busy(center: u128, tech: u128, vehicle: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Busy {
    Busy {
        center_id: id(center),
        technician_id: id(tech),
        vehicle_id: vehicle.into(),
        starts_at: from,
        ends_at: to,
    }
}

fn overlaps(slot: &Slot, b: &Busy) -> bool {
    slot.starts_at < b.ends_at && b.starts_at < slot.ends_at
}

/// The options, each checked against the snapshot's bookings.
fn offered(s: &Snapshot, job: &JobRequest) -> Vec<(OptionLabel, Slot)> {
    let out = options(s, job);
    for (_, slot) in &out {
        for b in &s.busy {
            let shares = slot.technician_id == b.technician_id || job.vehicle_id == b.vehicle_id;
            assert!(!(shares && overlaps(slot, b)), "{slot:?} overlaps {b:?}");
        }
        assert!(slot.starts_at >= job.release.max(s.now));
        assert_eq!(
            slot.ends_at - slot.starts_at,
            Duration::minutes(job.duration_minutes)
        );
    }
    out
}

#[test]
fn three_distinct_labels_best_first() {
    let out = offered(&snapshot(), &brake_job());
    let labels: Vec<OptionLabel> = out.iter().map(|o| o.0).collect();
    assert_eq!(
        labels,
        [
            OptionLabel::BestOverall,
            OptionLabel::BestOtherCenter,
            OptionLabel::Earliest
        ]
    );
    let (best, other, earliest) = (&out[0].1, &out[1].1, &out[2].1);
    assert_eq!((best.center_id, best.starts_at), (id(A), at(4, 10, 0)));
    assert!((best.score - 1.0).abs() < 1e-12 && (best.cost - 12.5).abs() < 1e-9);
    // B's night shift (Wednesday 22:00) is cheaper than C's distance.
    assert_eq!((other.center_id, other.starts_at), (id(B), at(4, 22, 0)));
    // C starts as early as A; A is taken, so C is the earliest left.
    assert_eq!(
        (earliest.center_id, earliest.starts_at),
        (id(C), at(4, 10, 0))
    );
    for (_, s) in &out[1..] {
        assert!(
            s.score > 0.0 && s.score < 1.0 && s.cost > best.cost,
            "{s:?}"
        );
    }
}

#[test]
fn one_center_still_offers_three_distinct_slots() {
    let out = offered(&only(snapshot(), &[A]), &brake_job());
    assert_eq!(out.len(), 3);
    // Neither fallback is at another center, nor earlier than the best: they say so.
    let labels: Vec<OptionLabel> = out.iter().map(|o| o.0).collect();
    assert_eq!(
        labels,
        [
            OptionLabel::BestOverall,
            OptionLabel::Alternative,
            OptionLabel::Alternative
        ],
        "{out:?}"
    );
    let mut keys: Vec<_> = out.iter().map(|o| (o.1.center_id, o.1.starts_at)).collect();
    keys.dedup();
    assert_eq!(keys.len(), 3, "{out:?}");
}

#[test]
fn occupied_technicians_bays_and_vehicles_are_never_offered() {
    let mut s = snapshot();
    s.busy.push(busy(A, A1, "V9", at(4, 10, 0), at(4, 12, 0)));
    assert_eq!(
        best(&s, &brake_job()).map(|b| b.starts_at),
        Some(at(4, 12, 0))
    );
    // The vehicle is booked elsewhere until 13:10: every slot it touches is gone.
    s.busy
        .push(busy(C, 0xC1, "V1", at(4, 12, 0), at(4, 13, 10)));
    assert_eq!(
        best(&s, &brake_job()).map(|b| b.starts_at),
        Some(at(4, 13, 30))
    );
    // A booking of a technician no longer at A still holds A's only bay.
    s.busy
        .push(busy(A, 0xFF, "V8", at(4, 13, 30), at(4, 15, 0)));
    let out = offered(&s, &brake_job());
    let at_a = out
        .iter()
        .find(|o| o.1.center_id == id(A))
        .map(|o| o.1.starts_at);
    assert_eq!(at_a, Some(at(4, 15, 0)));
}

#[test]
fn stock_is_used_when_on_hand_and_a_missing_part_waits_for_its_lead_time() {
    let s = snapshot();
    let one = best(&s, &with_parts(brake_job(), &[("brake_pad_set", 1)])).expect("slot");
    assert_eq!(
        (one.center_id, one.starts_at, one.parts_from_stock),
        (id(A), at(4, 10, 0), true)
    );
    // Two pads: A orders them (24 h, then Thursday is A1's day off) and stays cheapest.
    let two = best(&s, &with_parts(brake_job(), &[("brake_pad_set", 2)])).expect("slot");
    assert_eq!(
        (two.center_id, two.starts_at, two.parts_from_stock),
        (id(A), at(6, 8, 0), false)
    );
    // Only A can get a DPF filter (72 h): every option is there, after the lead time.
    let dpf = with_parts(brake_job(), &[("dpf_filter", 1)]);
    let out = offered(&s, &dpf);
    assert_eq!(out.len(), 3);
    for (_, slot) in &out {
        assert_eq!(slot.center_id, id(A));
        assert!(slot.starts_at >= at(4, 10, 0) + Duration::hours(72) && !slot.parts_from_stock);
    }
}

#[test]
fn emergency_work_only_at_emergency_centers() {
    let mut job = brake_job();
    job.kind = JobKind::Emergency;
    let out = offered(&snapshot(), &job);
    assert!(!out.is_empty());
    assert!(out.iter().all(|o| o.1.center_id == id(B)), "{out:?}");
    assert_eq!(best(&snapshot(), &job).map(|b| b.center_id), Some(id(B)));
    assert!(best(&only(snapshot(), &[A, C]), &job).is_none());
}

#[test]
fn nothing_on_a_technicians_day_off() {
    let mut job = brake_job();
    job.release = at(5, 0, 0);
    let out = offered(&only(snapshot(), &[A]), &job);
    assert_eq!(out[0].1.starts_at, at(6, 8, 0));
    assert!(out.iter().all(|o| o.1.starts_at >= at(6, 0, 0)), "{out:?}");
}

#[test]
fn a_shift_crossing_midnight_is_usable_on_both_sides() {
    let mut job = brake_job();
    job.duration_minutes = 120;
    job.release = at(4, 22, 0);
    let s = only(snapshot(), &[B]);
    let slot = best(&s, &job).expect("slot");
    assert_eq!((slot.technician_id, slot.starts_at), (id(B1), at(4, 22, 0)));
    // From 23:00 two hours no longer fit before midnight: after it, same shift.
    job.release = at(4, 23, 0);
    let slot = best(&s, &job).expect("slot");
    assert_eq!((slot.technician_id, slot.starts_at), (id(B1), at(5, 0, 0)));
}

#[test]
fn release_is_rounded_up_to_the_grid() {
    let mut s = snapshot();
    s.now = at(4, 10, 10);
    assert_eq!(
        best(&s, &brake_job()).map(|b| b.starts_at),
        Some(at(4, 10, 30))
    );
}

#[test]
fn travel_counts_only_when_the_vehicle_is_located() {
    let mut job = brake_job();
    job.location = Some((42.20, -88.00));
    assert_eq!(best(&snapshot(), &job).map(|b| b.center_id), Some(id(C)));
    job.location = None;
    let slot = best(&snapshot(), &job).expect("slot");
    assert_eq!(slot.center_id, id(A));
    assert!((slot.cost - 12.5).abs() < 1e-9, "{slot:?}");
}

#[test]
fn an_invalid_request_gets_nothing() {
    let mut job = brake_job();
    job.duration_minutes = 0;
    assert!(options(&snapshot(), &job).is_empty());
    assert!(best(&snapshot(), &job).is_none());
}

#[test]
fn a_center_far_beyond_the_nearest_is_not_offered() {
    let mut s = snapshot();
    let c = s.centers.iter_mut().find(|c| c.id == id(C)).unwrap();
    // Montreal, for a truck in Chicago.
    (c.lat, c.lon) = (45.50, -73.57);
    let out = offered(&s, &brake_job());
    assert_eq!(out.len(), 3, "{out:?}");
    assert!(
        out.iter().all(|(_, slot)| slot.center_id != id(C)),
        "{out:?}"
    );
    // Where the vehicle is is not known: every center is an option.
    let mut unknown = brake_job();
    unknown.location = None;
    assert!(
        offered(&s, &unknown)
            .iter()
            .any(|(_, slot)| slot.center_id == id(C))
    );
}
