//! Generic-JSON adapter for devices that cannot send the canonical form.
//!
//! Accepts one flat-ish JSON object. Every key is first normalized to snake_case
//! (`coolantTemp`, `Coolant-Temp` and `COOLANT_TEMP` all become `coolant_temp`), then:
//!
//! | field | keys | values |
//! |-------|------|--------|
//! | `reading_id` | `reading_id` | string |
//! | `vehicle_id` | `vehicle_id`, `vehicle`, `device_id` | string or integer |
//! | `vin` | `vin` | string |
//! | `recorded_at` | `recorded_at`, `timestamp`, `ts`, `time` | RFC 3339, or Unix time as number or numeric string: seconds, or milliseconds when ≥ 10¹¹ |
//! | `odometer_km` | `odometer_km`, `odometer` (km), `odometer_mi`, `odometer_miles` | number |
//! | `engine_hours` | `engine_hours`, `engine_hrs`, `hours` | number |
//! | `location` | `lat`/`latitude` + `lon`/`lng`/`long`/`longitude`, at the top level or inside `location`/`position`/`gps` | numbers |
//! | `dtcs` | `dtcs`, `dtc`, `codes` | list of OBD codes (or one code) as strings |
//! | `signals` | entries of `signals`, `data` or `values` objects, and every other top-level key | numbers or numeric strings; `true`/`false` for flags |
//!
//! A signal key matches a catalog name, a catalog name without its unit suffix
//! (`coolant_temp` → `coolant_temp_c`), or an alias (`rpm` → `engine_rpm`, `speed` →
//! `vehicle_speed_kph`, `boost` → `boost_pressure_kpa`, …; see `ALIASES`). Either form
//! may end in a unit suffix, converted to the catalog unit: `_f`/`_fahrenheit` → °C,
//! `_psi`/`_bar` → kPa, `_mph` → km/h, `_gph` (US gallons) → L/h; `_c`, `_kpa`, `_pct`,
//! `_kmh`, `_v`… are accepted as they are.
//!
//! Keys that match nothing (firmware versions, nested objects other than the ones above,
//! signals we do not know) are ignored, since devices send far more than we need. `null`
//! counts as absent. The same field or signal given under two keys with different
//! values is a problem. Problems name the key as sent (`data.coolantTemp`); ranges
//! are left to [`validate`](super::validate()).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use shared_schemas::events::telemetry::Problem;
use shared_schemas::signals::{self, SIGNALS, names};
use shared_schemas::telemetry::{Dtc, GeoPoint, TelemetryReading};

const READING_ID: &[&str] = &["reading_id"];
const VEHICLE_ID: &[&str] = &["vehicle_id", "vehicle", "device_id"];
const VIN: &[&str] = &["vin"];
const TIME: &[&str] = &["recorded_at", "timestamp", "ts", "time"];
const ODOMETER: &[&str] = &["odometer_km", "odometer", "odometer_mi", "odometer_miles"];
const ENGINE_HOURS: &[&str] = &["engine_hours", "engine_hrs", "hours"];
const LAT: &[&str] = &["lat", "latitude"];
const LON: &[&str] = &["lon", "lng", "long", "longitude"];
const LOCATION: &[&str] = &["location", "position", "gps"];
const DTCS: &[&str] = &["dtcs", "dtc", "codes"];
const CONTAINERS: &[&str] = &["signals", "data", "values"];

const KM_PER_MILE: f64 = 1.609_344;
/// Unix times at or above this are milliseconds (10¹¹ s would be the year 5138).
const MILLIS_THRESHOLD: f64 = 1e11;

/// Other names for catalog signals (snake_case, canonical units unless suffixed).
const ALIASES: &[(&str, &str)] = &[
    ("rpm", names::ENGINE_RPM),
    ("engine_speed", names::ENGINE_RPM),
    ("load", names::ENGINE_LOAD_PCT),
    ("coolant", names::COOLANT_TEMP_C),
    ("coolant_temperature", names::COOLANT_TEMP_C),
    ("engine_coolant_temp", names::COOLANT_TEMP_C),
    ("oil_temperature", names::OIL_TEMP_C),
    ("engine_oil_temp", names::OIL_TEMP_C),
    ("engine_oil_pressure", names::OIL_PRESSURE_KPA),
    ("boost", names::BOOST_PRESSURE_KPA),
    ("back_pressure", names::EXHAUST_BACK_PRESSURE_KPA),
    ("exhaust_pressure", names::EXHAUST_BACK_PRESSURE_KPA),
    ("battery", names::BATTERY_VOLTAGE_V),
    ("voltage", names::BATTERY_VOLTAGE_V),
    ("module_voltage", names::BATTERY_VOLTAGE_V),
    ("ambient", names::AMBIENT_TEMP_C),
    ("ambient_temperature", names::AMBIENT_TEMP_C),
    ("ambient_air_temp", names::AMBIENT_TEMP_C),
    ("outside_temp", names::AMBIENT_TEMP_C),
    ("dpf_differential_pressure", names::DPF_DIFF_PRESSURE_KPA),
    ("dpf_delta_p", names::DPF_DIFF_PRESSURE_KPA),
    ("soot_load", names::DPF_SOOT_LOAD_PCT),
    ("dpf_soot", names::DPF_SOOT_LOAD_PCT),
    ("failed_regens", names::DPF_FAILED_REGEN_COUNT),
    ("dpf_failed_regens", names::DPF_FAILED_REGEN_COUNT),
    ("dpf_regen", names::DPF_REGEN_ACTIVE),
    ("regen_active", names::DPF_REGEN_ACTIVE),
    ("nox_upstream", names::SCR_NOX_UPSTREAM_PPM),
    ("nox_in", names::SCR_NOX_UPSTREAM_PPM),
    ("nox_downstream", names::SCR_NOX_DOWNSTREAM_PPM),
    ("nox_out", names::SCR_NOX_DOWNSTREAM_PPM),
    ("def_concentration", names::DEF_QUALITY_PCT),
    ("speed", names::VEHICLE_SPEED_KPH),
    ("transmission_oil_temp", names::TRANS_OIL_TEMP_C),
    ("transmission_temp", names::TRANS_OIL_TEMP_C),
    ("trans_temp", names::TRANS_OIL_TEMP_C),
    ("brake_pad_thickness", names::BRAKE_PAD_MM),
    ("abs_events", names::ABS_EVENT_COUNT),
];

/// Unit suffixes: (suffix, catalog unit it converts to, scale, offset).
const UNIT_SUFFIXES: &[(&str, &str, f64, f64)] = &[
    ("_c", "°C", 1.0, 0.0),
    ("_celsius", "°C", 1.0, 0.0),
    ("_f", "°C", 5.0 / 9.0, -32.0 * 5.0 / 9.0),
    ("_fahrenheit", "°C", 5.0 / 9.0, -32.0 * 5.0 / 9.0),
    ("_kpa", "kPa", 1.0, 0.0),
    ("_psi", "kPa", 6.894_757_293_168_361, 0.0),
    ("_bar", "kPa", 100.0, 0.0),
    ("_kph", "km/h", 1.0, 0.0),
    ("_kmh", "km/h", 1.0, 0.0),
    ("_mph", "km/h", KM_PER_MILE, 0.0),
    ("_pct", "%", 1.0, 0.0),
    ("_percent", "%", 1.0, 0.0),
    ("_lph", "L/h", 1.0, 0.0),
    ("_gph", "L/h", 3.785_411_784, 0.0),
    ("_v", "V", 1.0, 0.0),
    ("_volts", "V", 1.0, 0.0),
    ("_ppm", "ppm", 1.0, 0.0),
    ("_a", "A", 1.0, 0.0),
    ("_mm", "mm", 1.0, 0.0),
];

/// A key of the request with its snake_case form.
#[derive(Debug)]
struct Entry<'a> {
    /// Path as sent, for problems.
    path: String,
    norm: String,
    value: &'a Value,
}

fn entries<'a>(object: &'a Map<String, Value>, prefix: &str) -> Vec<Entry<'a>> {
    object
        .iter()
        .map(|(key, value)| Entry {
            path: format!("{prefix}{key}"),
            norm: snake_case(key),
            value,
        })
        .collect()
}

/// Normalizes a generic JSON object into a canonical reading, or reports every field
/// that cannot be read. See the module doc for what is recognized.
pub fn normalize(value: Value) -> Result<TelemetryReading, Vec<Problem>> {
    let Value::Object(object) = value else {
        return Err(vec![Problem::new("", "expected a JSON object")]);
    };
    let top = entries(&object, "");
    let mut problems = Vec::new();
    let p = &mut problems;

    let reading_id = pick(&top, READING_ID, p).and_then(|e| text(e, p));
    let vehicle_id = pick(&top, VEHICLE_ID, p).and_then(|e| id_text(e, p));
    let vin = pick(&top, VIN, p).and_then(|e| text(e, p));
    let recorded_at = pick(&top, TIME, p).and_then(|e| time(e, p));
    let odometer_km = pick(&top, ODOMETER, p).and_then(|e| {
        let miles = e.norm.ends_with("_mi") || e.norm.ends_with("_miles");
        number(e, false, p).map(|v| if miles { v * KM_PER_MILE } else { v })
    });
    let engine_hours = pick(&top, ENGINE_HOURS, p).and_then(|e| number(e, false, p));
    let location = location(&top, p);
    let dtcs = pick(&top, DTCS, p).map(|e| dtcs(e, p)).unwrap_or_default();
    let signals = signals(&top, p);

    // "Missing" only when no key was given at all; a bad value is reported already.
    let absent = |names: &[&str]| pick(&top, names, &mut Vec::new()).is_none();
    if absent(VEHICLE_ID) {
        p.push(Problem::new(
            "vehicle_id",
            "missing; send the vehicle id as `vehicle_id` (or `vehicleId`, `vehicle`, `device_id`)",
        ));
    }
    if absent(TIME) {
        p.push(Problem::new(
            "recorded_at",
            "missing; send the time as `recorded_at` (or `timestamp`, `ts`, `time`), in RFC 3339 \
             or as Unix seconds or milliseconds",
        ));
    }
    match (vehicle_id, recorded_at) {
        (Some(vehicle_id), Some(recorded_at)) if problems.is_empty() => Ok(TelemetryReading {
            reading_id,
            vehicle_id,
            vin,
            recorded_at,
            odometer_km,
            engine_hours,
            location,
            signals,
            dtcs,
        }),
        _ => Err(problems),
    }
}

/// The entry for a field given under any of `names`; a problem when two keys disagree.
fn pick<'a, 'e>(
    entries: &'e [Entry<'a>],
    names: &[&str],
    problems: &mut Vec<Problem>,
) -> Option<&'e Entry<'a>> {
    let mut found: Vec<&Entry<'a>> = entries
        .iter()
        .filter(|e| names.contains(&e.norm.as_str()) && !e.value.is_null())
        .collect();
    // Earlier names win, whatever order the JSON object kept.
    found.sort_by_key(|e| (names.iter().position(|n| *n == e.norm), &e.path));
    let (&first, others) = found.split_first()?;
    for other in others {
        if other.value != first.value {
            problems.push(Problem::new(
                &other.path,
                format!("conflicts with `{}`; send only one of them", first.path),
            ));
        }
    }
    Some(first)
}

fn text(e: &Entry<'_>, problems: &mut Vec<Problem>) -> Option<String> {
    match e.value {
        Value::String(s) => Some(s.clone()),
        _ => {
            problems.push(Problem::new(&e.path, "must be a string"));
            None
        }
    }
}

/// A string, or an integer id as many devices number themselves.
fn id_text(e: &Entry<'_>, problems: &mut Vec<Problem>) -> Option<String> {
    match e.value {
        Value::Number(n) if n.is_u64() || n.is_i64() => Some(n.to_string()),
        _ => text(e, problems),
    }
}

fn time(e: &Entry<'_>, problems: &mut Vec<Problem>) -> Option<DateTime<Utc>> {
    let parsed = match e.value {
        Value::String(s) => DateTime::parse_from_rfc3339(s.trim())
            .map(|t| t.with_timezone(&Utc))
            .ok()
            .or_else(|| s.trim().parse().ok().and_then(from_unix)),
        Value::Number(n) => n.as_f64().and_then(from_unix),
        _ => None,
    };
    if parsed.is_none() {
        problems.push(Problem::new(
            &e.path,
            format!(
                "`{}` is not a time; use RFC 3339 (2024-05-01T12:00:00Z) or Unix seconds or \
                 milliseconds",
                shown(e.value)
            ),
        ));
    }
    parsed
}

/// Unix seconds, or milliseconds when the magnitude says so.
fn from_unix(value: f64) -> Option<DateTime<Utc>> {
    if !value.is_finite() {
        return None;
    }
    let micros = if value.abs() >= MILLIS_THRESHOLD {
        value * 1e3
    } else {
        value * 1e6
    };
    // `as` saturates; out-of-range times then fail in chrono.
    DateTime::from_timestamp_micros(micros.round() as i64)
}

/// A finite number from a JSON number or numeric string (or a boolean, for flags).
fn number(e: &Entry<'_>, flag: bool, problems: &mut Vec<Problem>) -> Option<f64> {
    let value = match e.value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        Value::Bool(b) if flag => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    };
    let value = value.filter(|v| v.is_finite());
    if value.is_none() {
        let hint = if flag { " (or true/false)" } else { "" };
        problems.push(Problem::new(
            &e.path,
            format!("`{}` is not a number{hint}", shown(e.value)),
        ));
    }
    value
}

/// A value for a message: strings without their JSON quotes.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn location(top: &[Entry<'_>], problems: &mut Vec<Problem>) -> Option<GeoPoint> {
    let nested = pick(top, LOCATION, problems).and_then(|e| match e.value {
        Value::Object(object) => Some(entries(object, &format!("{}.", e.path))),
        _ => {
            problems.push(Problem::new(&e.path, "must be an object with lat and lon"));
            None
        }
    });
    let scope = nested.as_deref().unwrap_or(top);
    let lat = pick(scope, LAT, problems);
    let lon = pick(scope, LON, problems);
    match (lat, lon) {
        (None, None) => None,
        (Some(lat), Some(lon)) => {
            let lat = number(lat, false, problems);
            let lon = number(lon, false, problems);
            Some(GeoPoint {
                lat: lat?,
                lon: lon?,
            })
        }
        (Some(given), None) | (None, Some(given)) => {
            problems.push(Problem::new(
                &given.path,
                "latitude and longitude go together; one is missing",
            ));
            None
        }
    }
}

fn dtcs(e: &Entry<'_>, problems: &mut Vec<Problem>) -> Vec<Dtc> {
    let items = match e.value {
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        match item {
            Value::String(code) => out.push(Dtc::Obd {
                code: code.trim().to_ascii_uppercase(),
            }),
            _ => problems.push(Problem::new(
                format!("{}[{i}]", e.path),
                "expected a trouble code string such as P0420",
            )),
        }
    }
    out
}

fn signals(top: &[Entry<'_>], problems: &mut Vec<Problem>) -> BTreeMap<String, f64> {
    let reserved = [
        READING_ID,
        VEHICLE_ID,
        VIN,
        TIME,
        ODOMETER,
        ENGINE_HOURS,
        LAT,
        LON,
        LOCATION,
        DTCS,
        CONTAINERS,
    ];
    let mut candidates: Vec<Entry<'_>> = Vec::new();
    for e in top {
        if CONTAINERS.contains(&e.norm.as_str()) {
            match e.value {
                Value::Object(object) => {
                    candidates.extend(entries(object, &format!("{}.", e.path)))
                }
                // `data` or `values` may be something else entirely; `signals` may not.
                _ if e.norm == "signals" && !e.value.is_null() => {
                    problems.push(Problem::new(&e.path, "must be an object of signal values"));
                }
                _ => {}
            }
        } else if !reserved
            .iter()
            .any(|names| names.contains(&e.norm.as_str()))
        {
            candidates.push(Entry {
                path: e.path.clone(),
                norm: e.norm.clone(),
                value: e.value,
            });
        }
    }
    // Sorted so that which duplicate gets reported does not depend on the map order.
    candidates.sort_by(|a, b| a.path.cmp(&b.path));
    let mut found: BTreeMap<&'static str, (String, f64)> = BTreeMap::new();
    for e in &candidates {
        let Some((name, scale, offset)) = resolve(&e.norm) else {
            continue;
        };
        if e.value.is_null() {
            continue;
        }
        let flag = signals::spec(name).is_some_and(|s| s.unit == "flag");
        let Some(raw) = number(e, flag, problems) else {
            continue;
        };
        let value = raw.mul_add(scale, offset);
        match found.get(name) {
            Some((first, v)) if (v - value).abs() > 1e-6 * v.abs().max(1.0) => problems.push(Problem::new(
                &e.path,
                format!("gives {name} again with a different value than `{first}`; send only one of them"),
            )),
            Some(_) => {}
            None => {
                found.insert(name, (e.path.clone(), value));
            }
        }
    }
    found
        .into_iter()
        .map(|(name, (_, value))| (name.to_owned(), value))
        .collect()
}

/// The catalog signal a snake_case key stands for, with the conversion to its unit.
fn resolve(key: &str) -> Option<(&'static str, f64, f64)> {
    if let Some(name) = lookup(key) {
        return Some((name, 1.0, 0.0));
    }
    UNIT_SUFFIXES
        .iter()
        .find_map(|&(suffix, unit, scale, offset)| {
            let name = lookup(key.strip_suffix(suffix)?)?;
            (signals::spec(name)?.unit == unit).then_some((name, scale, offset))
        })
}

/// A catalog name, an alias, or a catalog name without its unit suffix.
fn lookup(key: &str) -> Option<&'static str> {
    if let Some(spec) = signals::spec(key) {
        return Some(spec.name);
    }
    if let Some(&(_, name)) = ALIASES.iter().find(|(alias, _)| *alias == key) {
        return Some(name);
    }
    SIGNALS.iter().map(|s| s.name).find(|name| {
        UNIT_SUFFIXES
            .iter()
            .any(|(suffix, ..)| name.strip_suffix(suffix) == Some(key))
    })
}

/// `coolantTemp`, `Coolant-Temp`, `COOLANT TEMP` → `coolant_temp`; `EngineRPM` →
/// `engine_rpm`; `DPFSootLoad` → `dpf_soot_load`.
fn snake_case(key: &str) -> String {
    let chars: Vec<char> = key.trim().chars().collect();
    let mut out = String::with_capacity(key.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if matches!(c, '-' | ' ' | '.' | '_') {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            continue;
        }
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let boundary =
                prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower);
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap()
    }

    fn ok(value: Value) -> TelemetryReading {
        normalize(value).unwrap()
    }

    fn with(extra: Value) -> TelemetryReading {
        let mut base = json!({"vehicle_id": "TRUCK-042", "recorded_at": "2024-05-01T12:00:00Z"});
        if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
            b.extend(e);
        }
        ok(base)
    }

    fn fields(value: Value) -> Vec<String> {
        normalize(value)
            .unwrap_err()
            .into_iter()
            .map(|p| p.field)
            .collect()
    }

    fn assert_close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
    }

    #[test]
    fn snake_case_normalization() {
        for (key, expected) in [
            ("coolantTemp", "coolant_temp"),
            ("Coolant-Temp", "coolant_temp"),
            ("COOLANT_TEMP_C", "coolant_temp_c"),
            ("coolant temp f", "coolant_temp_f"),
            ("EngineRPM", "engine_rpm"),
            ("DPFSootLoad", "dpf_soot_load"),
            ("tirePressureFL", "tire_pressure_fl"),
            ("oilPressurePsi", "oil_pressure_psi"),
            ("vehicleId", "vehicle_id"),
            ("nox2Out", "nox2_out"),
            ("__odd--key__", "odd_key"),
        ] {
            assert_eq!(snake_case(key), expected, "{key}");
        }
    }

    #[test]
    fn vehicle_id_aliases() {
        let ts = "2024-05-01T12:00:00Z";
        assert_eq!(ok(json!({"vehicleId": "A", "ts": ts})).vehicle_id, "A");
        assert_eq!(ok(json!({"vehicle": "B", "ts": ts})).vehicle_id, "B");
        assert_eq!(
            ok(json!({"device_id": 12345, "ts": ts})).vehicle_id,
            "12345"
        );
        assert_eq!(
            ok(json!({"deviceId": "C", "ts": ts, "vehicle_id": null})).vehicle_id,
            "C"
        );
    }

    #[test]
    fn time_formats() {
        for time in [
            json!("2024-05-01T12:00:00Z"),
            json!("2024-05-01T14:00:00+02:00"),
            json!(1_714_564_800),
            json!(1_714_564_800_000_u64),
            json!("1714564800"),
            json!(1_714_564_800.0),
        ] {
            assert_eq!(
                ok(json!({"vehicle": "A", "timestamp": time})).recorded_at,
                at(),
                "{time}"
            );
        }
        let r = ok(json!({"vehicle": "A", "time": 1_714_564_800.25}));
        assert_eq!(r.recorded_at, at() + chrono::Duration::milliseconds(250));
        assert_eq!(
            fields(json!({"vehicle": "A", "time": "yesterday"})),
            ["time"]
        );
        assert_eq!(fields(json!({"vehicle": "A", "time": true})), ["time"]);
    }

    #[test]
    fn odometer_units_and_engine_hours() {
        assert_eq!(with(json!({"odometer": 100})).odometer_km, Some(100.0));
        assert_eq!(
            with(json!({"odometerKm": "100.5"})).odometer_km,
            Some(100.5)
        );
        assert_close(
            with(json!({"odometer_mi": 100})).odometer_km.unwrap(),
            160.9344,
        );
        assert_eq!(with(json!({"engineHours": 12.5})).engine_hours, Some(12.5));
        assert_eq!(with(json!({"hours": 7})).engine_hours, Some(7.0));
    }

    #[test]
    fn signals_from_containers_and_top_level() {
        let r = with(json!({
            "rpm": 1500,
            "signals": {"coolant_temp_c": 90},
            "data": {"oilTemp": "95.5"},
            "values": {"Speed": 80},
        }));
        assert_eq!(r.signals[names::ENGINE_RPM], 1500.0);
        assert_eq!(r.signals[names::COOLANT_TEMP_C], 90.0);
        assert_eq!(r.signals[names::OIL_TEMP_C], 95.5);
        assert_eq!(r.signals[names::VEHICLE_SPEED_KPH], 80.0);
        assert_eq!(r.signals.len(), 4);
    }

    #[test]
    fn name_matching_is_case_and_style_insensitive() {
        for key in [
            "coolant_temp",
            "coolantTemp",
            "Coolant-Temp",
            "COOLANT_TEMP_C",
            "coolant",
            "engineCoolantTemp",
        ] {
            let r = with(json!({ key: 88 }));
            assert_eq!(r.signals.get(names::COOLANT_TEMP_C), Some(&88.0), "{key}");
        }
        for (key, name) in [
            ("EngineRPM", names::ENGINE_RPM),
            ("battery_voltage", names::BATTERY_VOLTAGE_V),
            ("batteryV", names::BATTERY_VOLTAGE_V),
            ("oil_pressure", names::OIL_PRESSURE_KPA),
            ("tirePressureFL", names::TIRE_PRESSURE_FL_KPA),
            ("engine_load_percent", names::ENGINE_LOAD_PCT),
            ("speed_kmh", names::VEHICLE_SPEED_KPH),
        ] {
            assert_eq!(
                with(json!({ key: 1 })).signals.get(name),
                Some(&1.0),
                "{key}"
            );
        }
    }

    #[test]
    fn unit_suffixes_are_converted() {
        let r = with(json!({
            "coolant_temp_f": 212,
            "oilPressurePsi": 50,
            "boost_bar": 1.5,
            "speed_mph": 60,
            "fuel_rate_gph": 2,
            "ambientTempF": -40,
        }));
        assert_close(r.signals[names::COOLANT_TEMP_C], 100.0);
        assert_close(r.signals[names::OIL_PRESSURE_KPA], 344.737_864_658_418);
        assert_close(r.signals[names::BOOST_PRESSURE_KPA], 150.0);
        assert_close(r.signals[names::VEHICLE_SPEED_KPH], 96.560_64);
        assert_close(r.signals[names::FUEL_RATE_LPH], 7.570_823_568);
        assert_close(r.signals[names::AMBIENT_TEMP_C], -40.0);
    }

    #[test]
    fn a_suffix_must_fit_the_signal_unit() {
        // rpm in psi means nothing: ignored like any unknown key.
        assert!(with(json!({"rpm_psi": 5})).signals.is_empty());
    }

    #[test]
    fn location_forms() {
        let expected = Some(GeoPoint {
            lat: 48.1,
            lon: 11.5,
        });
        assert_eq!(with(json!({"lat": 48.1, "lon": 11.5})).location, expected);
        assert_eq!(
            with(json!({"latitude": "48.1", "lng": 11.5})).location,
            expected
        );
        assert_eq!(
            with(json!({"gps": {"lat": 48.1, "longitude": 11.5}})).location,
            expected
        );
        assert_eq!(with(json!({})).location, None);
        let base = json!({"vehicle": "A", "ts": 1_714_564_800, "lat": 48.1});
        assert_eq!(fields(base), ["lat"]);
    }

    #[test]
    fn dtc_lists() {
        let r = with(json!({"dtcs": ["p0420", " U0100 "]}));
        assert_eq!(
            r.dtcs,
            [
                Dtc::Obd {
                    code: "P0420".into()
                },
                Dtc::Obd {
                    code: "U0100".into()
                }
            ]
        );
        assert_eq!(
            with(json!({"codes": "P0300"})).dtcs,
            [Dtc::Obd {
                code: "P0300".into()
            }]
        );
        let bad = json!({"vehicle": "A", "ts": 1_714_564_800, "dtc": ["P0420", 42]});
        assert_eq!(fields(bad), ["dtc[1]"]);
    }

    #[test]
    fn flags_accept_booleans_only_where_flags_are() {
        let r = with(json!({"dpfRegenActive": true, "regen_active": 1}));
        assert_eq!(r.signals[names::DPF_REGEN_ACTIVE], 1.0);
        assert_eq!(
            with(json!({"dpf_regen": false})).signals[names::DPF_REGEN_ACTIVE],
            0.0
        );
        let bad = json!({"vehicle": "A", "ts": 1_714_564_800, "rpm": true});
        assert_eq!(fields(bad), ["rpm"]);
    }

    #[test]
    fn unrecognized_keys_and_nulls_are_ignored() {
        let r = with(json!({
            "firmware": "1.2.3",
            "fuel_level": 40,
            "engine": {"rpm": 1000},
            "data": "raw-blob",
            "rpm": null,
        }));
        assert!(r.signals.is_empty());
    }

    #[test]
    fn conflicting_keys_are_problems() {
        let value = json!({
            "vehicle_id": "A",
            "device_id": "B",
            "ts": 1_714_564_800,
            "rpm": 1000,
            "engine_rpm": 1200,
            "signals": {"coolant_temp_c": 100},
            "coolant_temp_f": 212,
        });
        assert_eq!(fields(value), ["device_id", "rpm"]);
    }

    #[test]
    fn every_problem_is_reported() {
        let value = json!({
            "vin": 5,
            "odometer": "far",
            "signals": [1, 2],
            "coolant_temp": "hot",
            "location": "home",
        });
        assert_eq!(
            fields(value),
            [
                "vin",
                "odometer",
                "location",
                "signals",
                "coolant_temp",
                "vehicle_id",
                "recorded_at"
            ]
        );
        assert_eq!(fields(json!([1, 2])), [""]);
    }
}
