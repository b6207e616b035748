//! The reading inside `vehicle.telemetry.received` v2 (ADR 0027): the canonical
//! reading with its signals keyed by catalog code (`"3": 92.5`) instead of name
//! (`"coolant_temp_c": 92.5`). Names were ~60 % of an envelope's bytes, and every
//! accepted reading's envelope is written to Redis once and read by every consumer
//! group, so the codes take a third off each of those.
//!
//! Decoding accepts names too (v1 entries still in a stream, hand-written events); a
//! code this build does not know (a newer catalog) is kept as its digits, which no
//! consumer looks up, as consumers ignore signals they do not know.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::signals;
use crate::telemetry::{Dtc, GeoPoint, TelemetryReading};

/// The wire form of a [`TelemetryReading`] on the stream; fields as in the canonical
/// reading except `signals`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct StreamReading {
    /// Idempotency key chosen by the sender.
    #[serde(default)]
    reading_id: Option<String>,
    /// Fleet-unique vehicle id.
    vehicle_id: String,
    /// Vehicle identification number.
    #[serde(default)]
    vin: Option<String>,
    /// When the reading was taken on the vehicle (RFC 3339).
    recorded_at: DateTime<Utc>,
    /// Odometer, km.
    #[serde(default)]
    odometer_km: Option<f64>,
    /// Engine hours, h.
    #[serde(default)]
    engine_hours: Option<f64>,
    /// GPS position.
    #[serde(default)]
    location: Option<GeoPoint>,
    /// Signal values keyed by catalog code: the signal's position in the catalog
    /// (`shared_schemas::signals::SIGNALS`, listed in
    /// `shared-schemas/tests/golden/signal-codes.json`), as a decimal string. Canonical
    /// names are read too.
    #[serde(default, deserialize_with = "names_or_codes")]
    signals: BTreeMap<String, f64>,
    /// Active diagnostic trouble codes.
    #[serde(default)]
    dtcs: Vec<Dtc>,
}

/// Borrowed twin of [`StreamReading`] for encoding without copying the reading.
#[derive(Serialize)]
struct StreamReadingRef<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    reading_id: &'a Option<String>,
    vehicle_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    vin: &'a Option<String>,
    recorded_at: &'a DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    odometer_km: &'a Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    engine_hours: &'a Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: &'a Option<GeoPoint>,
    #[serde(serialize_with = "codes")]
    signals: &'a BTreeMap<String, f64>,
    #[serde(skip_serializing_if = "<[Dtc]>::is_empty")]
    dtcs: &'a [Dtc],
}

/// `#[serde(with)]` form of a reading as `vehicle.telemetry.received` v2 carries it.
pub(crate) fn serialize<S: Serializer>(r: &TelemetryReading, s: S) -> Result<S::Ok, S::Error> {
    StreamReadingRef {
        reading_id: &r.reading_id,
        vehicle_id: &r.vehicle_id,
        vin: &r.vin,
        recorded_at: &r.recorded_at,
        odometer_km: &r.odometer_km,
        engine_hours: &r.engine_hours,
        location: &r.location,
        signals: &r.signals,
        dtcs: &r.dtcs,
    }
    .serialize(s)
}

/// Reads a reading in the v2 form or the v1 (canonical) form.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TelemetryReading, D::Error> {
    let r = StreamReading::deserialize(d)?;
    Ok(TelemetryReading {
        reading_id: r.reading_id,
        vehicle_id: r.vehicle_id,
        vin: r.vin,
        recorded_at: r.recorded_at,
        odometer_km: r.odometer_km,
        engine_hours: r.engine_hours,
        location: r.location,
        signals: r.signals,
        dtcs: r.dtcs,
    })
}

/// A signal's key on the stream: its code, or its name outside the catalog (none reach
/// the stream: ingestion drops them).
enum Key<'a> {
    Code(u16),
    Name(&'a str),
}

impl Serialize for Key<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            // JSON writes an integer map key as its decimal string.
            Self::Code(c) => s.serialize_u16(*c),
            Self::Name(n) => s.serialize_str(n),
        }
    }
}

/// Signals as `{code: value}`, in name order (this is every accepted reading's hot
/// path: no sorting, no allocation).
fn codes<S: Serializer>(signals: &&BTreeMap<String, f64>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(signals.iter().map(|(name, v)| {
        let key = signals::code(name).map_or(Key::Name(name), Key::Code);
        (key, v)
    }))
}

/// A code's signal name, when this build knows the code.
fn name_of(key: &str) -> Option<&'static str> {
    if !key.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    key.parse().ok().and_then(signals::by_code).map(|s| s.name)
}

/// Renames a stored stream reading's signal codes to their names, in place: the
/// canonical form for people (ingestion's audit trail keeps what the stream carried).
pub fn name_signals(reading: &mut serde_json::Value) {
    let Some(signals) = reading
        .get_mut("signals")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    if !signals.keys().any(|k| name_of(k).is_some()) {
        return;
    }
    *signals = std::mem::take(signals)
        .into_iter()
        .map(|(k, v)| (name_of(&k).map_or(k, str::to_owned), v))
        .collect();
}

fn names_or_codes<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, f64>, D::Error> {
    struct Signals;
    impl<'de> Visitor<'de> for Signals {
        type Value = BTreeMap<String, f64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("signal values keyed by catalog code or name")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some((key, value)) = map.next_entry::<Cow<'de, str>, f64>()? {
                let name = name_of(&key).map_or_else(|| key.into_owned(), str::to_owned);
                out.insert(name, value);
            }
            Ok(out)
        }
    }
    d.deserialize_map(Signals)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::signals::names;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Holder(#[serde(with = "super")] TelemetryReading);

    fn reading() -> TelemetryReading {
        serde_json::from_value(json!({
            "reading_id": "r-1", "vehicle_id": "truck-042", "vin": "1FUJGLDR3CLBP8834",
            "recorded_at": "2025-03-01T11:58:30Z", "odometer_km": 182450.5,
            "engine_hours": 6120.25, "location": {"lat": 41.8, "lon": -87.6},
            "signals": {"engine_rpm": 1450.0, "coolant_temp_c": 92.5, "can_drop_rate_pct": 0.5},
            "dtcs": [{"kind": "obd", "code": "P2463"}]
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn signals_travel_as_codes_and_come_back_as_names() {
        let r = reading();
        let wire = serde_json::to_value(Holder(r.clone())).unwrap_or_default();
        let code = |n: &str| signals::code(n).map(|c| c.to_string()).unwrap_or_default();
        assert_eq!(
            wire["signals"],
            json!({
                code(names::ENGINE_RPM): 1450.0,
                code(names::COOLANT_TEMP_C): 92.5,
                code(names::CAN_DROP_RATE_PCT): 0.5,
            })
        );
        let back: Holder = serde_json::from_value(wire.clone()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.0, r);

        // Every other field is the canonical reading's, spelled the same.
        let canonical = serde_json::to_value(&r).unwrap_or_default();
        let keys = |v: &Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
        assert_eq!(keys(&wire), keys(&canonical));
        for (k, v) in canonical.as_object().into_iter().flatten() {
            if k != "signals" {
                assert_eq!(&wire[k], v, "{k}");
            }
        }
    }

    #[test]
    fn stored_readings_get_their_names_back() {
        let mut wire = serde_json::to_value(Holder(reading())).unwrap_or_default();
        name_signals(&mut wire);
        assert_eq!(wire, serde_json::to_value(reading()).unwrap_or_default());
        let mut named = wire.clone();
        name_signals(&mut named);
        assert_eq!(named, wire, "names stay names");
    }

    #[test]
    fn names_and_unknown_codes_are_read_too() {
        let mut v1 = serde_json::to_value(reading()).unwrap_or_default();
        v1["signals"]["999"] = json!(1.0);
        let back: Holder = serde_json::from_value(v1).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.0.signals[names::COOLANT_TEMP_C], 92.5);
        assert_eq!(
            back.0.signals["999"], 1.0,
            "an unknown code is kept, not an error"
        );
    }
}
