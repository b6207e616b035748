//! The canonical telemetry reading every protocol adapter produces.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One reading of one vehicle at one instant, in canonical units. Unknown fields are
/// ignored when decoding (consumers must tolerate additions); ingestion warns senders
/// about them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, ToSchema)]
pub struct TelemetryReading {
    /// Idempotency key chosen by the sender (1–128 printable ASCII characters). A retried
    /// reading with the same key is accepted once. When absent, ingestion derives one
    /// from the vehicle id and `recorded_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reading_id: Option<String>,
    /// Fleet-unique vehicle id (1–64 characters of `[A-Za-z0-9._:-]`).
    pub vehicle_id: String,
    /// Vehicle identification number; 17 characters, check digit verified for
    /// North-American VINs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vin: Option<String>,
    /// When the reading was taken on the vehicle (RFC 3339).
    pub recorded_at: DateTime<Utc>,
    /// Odometer, km.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub odometer_km: Option<f64>,
    /// Engine hours, h.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_hours: Option<f64>,
    /// GPS position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<GeoPoint>,
    /// Signal values keyed by canonical name (see the signal catalog for units).
    #[serde(default)]
    pub signals: BTreeMap<String, f64>,
    /// Active diagnostic trouble codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dtcs: Vec<Dtc>,
}

/// A GPS position.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema, ToSchema)]
pub struct GeoPoint {
    /// Latitude, degrees (−90..90).
    pub lat: f64,
    /// Longitude, degrees (−180..180).
    pub lon: f64,
}

/// An active diagnostic trouble code, as OBD-II reports it or as J1939 DM1 does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Dtc {
    /// SAE J2012 five-character code, e.g. `P2463`.
    Obd {
        /// The code.
        code: String,
    },
    /// SAE J1939 suspect parameter number and failure mode identifier.
    J1939 {
        /// Suspect parameter number (0..524287).
        spn: u32,
        /// Failure mode identifier (0..31).
        fmi: u8,
        /// Occurrence count, when reported.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        occurrences: Option<u8>,
    },
}

/// The protocol a reading arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// The canonical JSON form.
    Canonical,
    /// Flat JSON with aliases and unit suffixes, normalized by ingestion.
    GenericJson,
    /// OBD-II mode-01 PIDs (SAE J1979).
    Obd2,
    /// CAN frames decoded with SAE J1939.
    J1939,
}

impl Protocol {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Canonical => "canonical",
            Self::GenericJson => "generic_json",
            Self::Obd2 => "obd2",
            Self::J1939 => "j1939",
        }
    }
}
