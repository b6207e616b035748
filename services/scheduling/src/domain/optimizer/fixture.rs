//! The hand-made instance (and busy blocks) the checker's and the optimizer's unit tests
//! share.

use serde_json::json;

use super::instance::{BusyBlock, Instance};

/// Two days from a Monday. C1: 2 bays, open Monday 8:00-17:00; T1 (brakes) and T2
/// (brakes, engine) on shift 8:00-17:00; one brake pad set, ordered in 24 h. C2: the
/// emergency center, open around the clock; T3 (engine), T4 (general).
pub(crate) fn instance() -> Instance {
    let shift = json!([{"day": 0, "start_minute": 480, "end_minute": 1020}]);
    let closed = json!(null);
    let value = json!({
        "format_version": 1, "name": "hand",
        "horizon": {"start": "2026-03-02T00:00:00Z", "days": 2, "slot_minutes": 30},
        "centers": [
            {"id": "C1", "lat": 41.9, "lon": -87.7, "bays": 2,
             "hours": [[480, 1020], closed, closed, closed, closed, closed, closed],
             "technicians": [
                {"id": "T1", "skills": ["brakes"], "shifts": shift},
                {"id": "T2", "skills": ["brakes", "engine"], "shifts": shift}],
             "stock": {"brake_pad_set": 1}, "lead_time_hours": {"brake_pad_set": 24},
             "rating": 4.0, "emergency": false},
            {"id": "C2", "lat": 41.8, "lon": -87.6, "bays": 1,
             "hours": [[0, 1440], [0, 1440], [0, 1440], [0, 1440], [0, 1440], [0, 1440], [0, 1440]],
             "technicians": [
                {"id": "T3", "skills": ["engine"], "shifts": shift},
                {"id": "T4", "skills": ["general"], "shifts": shift}],
             "stock": {}, "lead_time_hours": {"brake_pad_set": 48},
             "rating": 4.5, "emergency": true}],
        "jobs": [
            {"id": "J1", "vehicle_id": "V1", "lat": 41.9, "lon": -87.7, "kind": "repair",
             "duration_minutes": 60, "skill": "brakes", "parts": {"brake_pad_set": 1},
             "release_minute": 0, "due_minute": 1440, "severity": "high"},
            {"id": "J2", "vehicle_id": "V2", "lat": 41.9, "lon": -87.7, "kind": "routine",
             "duration_minutes": 60, "skill": "brakes", "parts": {},
             "release_minute": 0, "due_minute": 1440, "severity": "low", "extra": 1},
            {"id": "J3", "vehicle_id": "V1", "lat": 41.8, "lon": -87.6, "kind": "emergency",
             "duration_minutes": 60, "skill": "engine", "parts": {},
             "release_minute": 0, "due_minute": 600, "severity": "critical"}],
        "weights": {"travel_per_km": 1.5, "rating_per_point": 25.0, "preference_miss": 60.0,
            "wait_per_hour": {"low": 1.0, "medium": 3.0, "high": 12.0, "critical": 40.0},
            "late_per_hour": {"low": 4.0, "medium": 12.0, "high": 50.0, "critical": 200.0},
            "unassigned": {"low": 3000.0, "medium": 8000.0, "high": 25000.0, "critical": 100000.0}}
    });
    Instance::from_json(&value.to_string()).expect("hand-made instance")
}

/// A busy block; `""` for no center or technician.
pub(crate) fn busy(center: &str, tech: &str, vehicle: &str, start: i64, end: i64) -> BusyBlock {
    BusyBlock {
        center: center.into(),
        technician: tech.into(),
        vehicle_id: vehicle.into(),
        start_minute: start,
        end_minute: end,
    }
}
