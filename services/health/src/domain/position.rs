//! Where a vehicle was last seen: the position of its newest reading with GPS, kept
//! apart from the newest reading itself because many readings carry no fix.

use chrono::{DateTime, Utc};
use serde::Serialize;
use shared_schemas::telemetry::TelemetryReading;
use utoipa::ToSchema;

/// A GPS fix and when it was taken.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Position {
    /// Latitude, degrees (−90..90).
    pub lat: f64,
    /// Longitude, degrees (−180..180).
    pub lon: f64,
    /// When the reading with this fix was taken.
    pub at: DateTime<Utc>,
}

impl Position {
    /// A stored fix, when all three parts are there.
    pub fn of(lat: Option<f64>, lon: Option<f64>, at: Option<DateTime<Utc>>) -> Option<Self> {
        Some(Self {
            lat: lat?,
            lon: lon?,
            at: at?,
        })
    }

    /// `current`, or `reading`'s fix when it has a valid one at least as recent (readings
    /// arrive in any order).
    pub fn newer(current: Option<Self>, reading: &TelemetryReading) -> Option<Self> {
        let fix = reading.location.filter(|g| {
            g.lat.is_finite()
                && g.lon.is_finite()
                && (-90.0..=90.0).contains(&g.lat)
                && (-180.0..=180.0).contains(&g.lon)
        });
        match fix {
            Some(g) if current.is_none_or(|p| reading.recorded_at >= p.at) => Some(Self {
                lat: g.lat,
                lon: g.lon,
                at: reading.recorded_at,
            }),
            _ => current,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use shared_schemas::telemetry::GeoPoint;

    use super::*;

    fn reading(t: i64, location: Option<GeoPoint>) -> TelemetryReading {
        TelemetryReading {
            reading_id: None,
            vehicle_id: "V1".to_owned(),
            vin: None,
            recorded_at: Utc.timestamp_opt(t, 0).unwrap(),
            odometer_km: None,
            engine_hours: None,
            location,
            signals: Default::default(),
            dtcs: Vec::new(),
        }
    }

    #[test]
    fn the_newest_valid_fix_wins_in_any_order() {
        let a = Some(GeoPoint {
            lat: 48.1,
            lon: 11.5,
        });
        let b = Some(GeoPoint {
            lat: 48.2,
            lon: 11.6,
        });
        let p = Position::newer(None, &reading(200, b));
        assert_eq!(p.map(|p| p.lat), Some(48.2));
        // An older fix arriving late, a reading without one, a bogus one: kept.
        let p = Position::newer(p, &reading(100, a));
        let p = Position::newer(p, &reading(300, None));
        let p = Position::newer(
            p,
            &reading(
                400,
                Some(GeoPoint {
                    lat: 91.0,
                    lon: 0.0,
                }),
            ),
        );
        let p = Position::newer(
            p,
            &reading(
                500,
                Some(GeoPoint {
                    lat: f64::NAN,
                    lon: 0.0,
                }),
            ),
        );
        assert_eq!(p.map(|p| (p.lat, p.at.timestamp())), Some((48.2, 200)));
        let p = Position::newer(p, &reading(600, a));
        assert_eq!(p.map(|p| (p.lon, p.at.timestamp())), Some((11.5, 600)));
    }
}
