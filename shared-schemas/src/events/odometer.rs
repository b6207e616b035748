//! Counter plausibility events of the health service: odometer and engine-hours
//! readings that moved more than a vehicle can (ADR 0009).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::envelope::Event;

/// A vehicle counter checked for plausibility.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
    ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Counter {
    /// Odometer, km.
    Odometer,
    /// Engine hours, h.
    EngineHours,
}

impl Counter {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Odometer => "odometer",
            Self::EngineHours => "engine_hours",
        }
    }

    /// The unit of its values.
    pub const fn unit(self) -> &'static str {
        match self {
            Self::Odometer => "km",
            Self::EngineHours => "h",
        }
    }
}

/// What an implausible move of a counter was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CounterAnomalyKind {
    /// Restarted near zero and went on from there (a replaced cluster or ECU).
    Reset,
    /// Went back to a lower value and went on from there (a warranty fraud signal).
    Rollback,
    /// Went on at about 0.62 (or 1.61) times the value: miles sent as km, or back.
    UnitSwitch,
    /// Jumped forward more than the vehicle could have moved, and went on from there.
    Jump,
    /// One reading off the course, which then went on as before.
    Spike,
    /// Readings break the course too often to follow (two sources under one vehicle
    /// id, a failing sensor): no distance rate is given until it settles.
    Erratic,
}

/// One reading of a counter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema, ToSchema)]
pub struct CounterReading {
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// Its value (km or h).
    pub value: f64,
}

/// An odometer or engine-hours reading moved more than the vehicle can: it is not used
/// as distance, and the counter re-anchors once the new course is confirmed.
/// `vehicle.odometer.anomaly`, v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OdometerAnomaly {
    /// Organization of the vehicle.
    pub org_id: String,
    /// The vehicle.
    pub vehicle_id: String,
    /// Which counter.
    pub counter: Counter,
    /// What the move was.
    pub kind: CounterAnomalyKind,
    /// The last plausible reading before the move.
    pub before: CounterReading,
    /// The first reading after it (for `erratic`, the newest break).
    pub after: CounterReading,
    /// The highest value the course before allowed at `after.at`.
    pub max_plausible: f64,
    /// Readings that confirmed the new course (for a spike: the old one).
    pub confirmed_by: u32,
    /// The evidence in words.
    pub detail: String,
    /// When the health service concluded it.
    pub detected_at: DateTime<Utc>,
}

impl Event for OdometerAnomaly {
    const TYPE: &'static str = "vehicle.odometer.anomaly";
    const VERSION: u32 = 1;
    fn vehicle_id(&self) -> &str {
        &self.vehicle_id
    }
}
