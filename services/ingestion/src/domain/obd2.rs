//! OBD-II mode-01 adapter: raw PID responses decoded with the SAE J1979 formulas.
//!
//! Decoded PIDs (A, B… are the data bytes):
//!
//! | PID | bytes | becomes | formula |
//! |-----|-------|---------|---------|
//! | 04 | 1 | `engine_load_pct` | A·100/255 |
//! | 05 | 1 | `coolant_temp_c` | A − 40 |
//! | 0B | 1 | `boost_pressure_kpa` | A (manifold absolute) − barometric, floored at 0 |
//! | 0C | 2 | `engine_rpm` | (256A + B)/4 |
//! | 0D | 1 | `vehicle_speed_kph` | A |
//! | 1F | 2 | `engine_run_time_s` | 256A + B (run time since engine start) |
//! | 33 | 1 | (barometric pressure for 0B) | A kPa; 101.3 kPa when absent |
//! | 42 | 2 | `battery_voltage_v` | (256A + B)/1000 |
//! | 46 | 1 | `ambient_temp_c` | A − 40 |
//! | 5C | 1 | `oil_temp_c` | A − 40 |
//! | 5E | 2 | `fuel_rate_lph` | (256A + B)/20 |
//! | 7A / 7B | 7 | `dpf_diff_pressure_kpa` | signed (256B + C)/100 when A bit 0 is set; bank 1 wins |
//! | 7F | 13 | `engine_hours` | (B..E seconds)/3600 when A bit 0 is set |
//! | A6 | 4 | `odometer_km` | (A..D)/10 |
//!
//! Choices worth knowing:
//! - Boost is gauge pressure and the catalog has no negative boost, so manifold vacuum
//!   (idle, overrun) reads 0.
//! - PID 0F (intake air temperature) is *not* used as ambient: intake air is heated by
//!   the engine bay and the charge-air path. Only PID 46 gives `ambient_temp_c`.
//! - A DPF differential pressure down to −1 kPa is sensor offset and reads 0; more
//!   negative values are passed on so validation flags the sensor (e.g. swapped hoses).
//! - `odometer_km` / `engine_hours` in the request win over PIDs A6 / 7F.
//! - Every other PID (0F, 2F fuel level, …) is skipped without an error: devices
//!   send whatever the vehicle supports, and most of it has no place in the catalog.
//! - A value may include the response echo (`41 0C 1A F8`); the `41 <pid>` prefix is
//!   dropped.
//! - `dtcs` accepts SAE J2012 codes (`P0420`) or raw mode-03 byte pairs (`0420`,
//!   `04 20`); `0000` is mode-03 padding and is skipped.
//!
//! Problems name the request field: `pids.0C`, `dtcs[1]`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_schemas::events::telemetry::Problem;
use shared_schemas::signals::names;
use shared_schemas::telemetry::{Dtc, GeoPoint, TelemetryReading};
use utoipa::ToSchema;

use super::validate::is_obd_code;
use super::{parse_hex_bytes, strip_hex_prefix};

/// A reading as OBD-II mode-01 PID responses.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Obd2Request {
    /// Idempotency key (1–128 printable ASCII characters); derived from `vehicle_id` and
    /// `recorded_at` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "r-000123")]
    pub reading_id: Option<String>,
    /// Fleet-unique vehicle id (1–64 characters of `[A-Za-z0-9._:-]`).
    #[schema(example = "TRUCK-042")]
    pub vehicle_id: String,
    /// Vehicle identification number (17 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "1M8GDM9AXKP042788")]
    pub vin: Option<String>,
    /// When the PIDs were read on the vehicle (RFC 3339).
    #[schema(example = "2024-05-01T12:00:00Z")]
    pub recorded_at: DateTime<Utc>,
    /// Odometer, km; takes precedence over PID A6.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub odometer_km: Option<f64>,
    /// Engine hours, h; takes precedence over PID 7F.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_hours: Option<f64>,
    /// GPS position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<GeoPoint>,
    /// Mode-01 responses: PID number in hex (`"0C"` or `"0x0C"`) to its data bytes in
    /// hex (`"1AF8"`; spaces allowed). Unsupported PIDs are ignored.
    #[serde(default)]
    #[schema(example = json!({"0C": "1A F8", "05": "7B", "42": "31 0B"}))]
    pub pids: BTreeMap<String, String>,
    /// Stored or pending trouble codes: `"P0420"`, or the raw mode-03 byte pair
    /// `"0420"`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(example = json!(["P0420"]))]
    pub dtcs: Vec<String>,
}

/// Every PID this adapter decodes, with its data length and a name for messages.
const SUPPORTED: &[(u8, usize, &str)] = &[
    (0x04, 1, "calculated engine load"),
    (0x05, 1, "engine coolant temperature"),
    (0x0B, 1, "intake manifold absolute pressure"),
    (0x0C, 2, "engine speed"),
    (0x0D, 1, "vehicle speed"),
    (0x1F, 2, "run time since engine start"),
    (0x33, 1, "barometric pressure"),
    (0x42, 2, "control module voltage"),
    (0x46, 1, "ambient air temperature"),
    (0x5C, 1, "engine oil temperature"),
    (0x5E, 2, "engine fuel rate"),
    (0x7A, 7, "DPF bank 1"),
    (0x7B, 7, "DPF bank 2"),
    (0x7F, 13, "engine run time"),
    (0xA6, 4, "odometer"),
];

/// Barometric pressure assumed when PID 33 is absent (sea level, kPa).
const STANDARD_ATMOSPHERE_KPA: f64 = 101.3;
/// Negative DPF differential pressure within this band (kPa) is sensor offset.
const DPF_OFFSET_BAND_KPA: f64 = 1.0;

/// Decodes an OBD-II request into a canonical reading, or reports every field that
/// cannot be decoded. Ranges are left to [`validate`](super::validate()).
pub fn decode(req: Obd2Request) -> Result<TelemetryReading, Vec<Problem>> {
    let mut problems = Vec::new();
    let data = collect_pids(&req.pids, &mut problems);
    let mut dtcs = Vec::new();
    for (i, text) in req.dtcs.iter().enumerate() {
        match parse_dtc(text) {
            Ok(Some(code)) => dtcs.push(Dtc::Obd { code }),
            Ok(None) => {}
            Err(message) => problems.push(Problem::new(format!("dtcs[{i}]"), message)),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let word = |b: &[u8], i: usize| f64::from(u16::from_be_bytes([b[i], b[i + 1]]));
    let dword =
        |b: &[u8], i: usize| f64::from(u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]));
    let mut signals = BTreeMap::new();
    for (&pid, b) in &data {
        let a = f64::from(b[0]);
        let (name, value) = match pid {
            0x04 => (names::ENGINE_LOAD_PCT, a * 100.0 / 255.0),
            0x05 => (names::COOLANT_TEMP_C, a - 40.0),
            0x0C => (names::ENGINE_RPM, word(b, 0) / 4.0),
            0x0D => (names::VEHICLE_SPEED_KPH, a),
            0x1F => (names::ENGINE_RUN_TIME_S, word(b, 0)),
            0x42 => (names::BATTERY_VOLTAGE_V, word(b, 0) / 1000.0),
            0x46 => (names::AMBIENT_TEMP_C, a - 40.0),
            0x5C => (names::OIL_TEMP_C, a - 40.0),
            0x5E => (names::FUEL_RATE_LPH, word(b, 0) / 20.0),
            _ => continue,
        };
        signals.insert(name.to_owned(), value);
    }
    if let Some(map) = data.get(&0x0B) {
        let baro = data
            .get(&0x33)
            .map_or(STANDARD_ATMOSPHERE_KPA, |b| f64::from(b[0]));
        let boost = (f64::from(map[0]) - baro).max(0.0);
        signals.insert(names::BOOST_PRESSURE_KPA.to_owned(), boost);
    }
    let dpf = [0x7A, 0x7B].iter().find_map(|pid| {
        let b = data.get(pid)?;
        (b[0] & 0x01 != 0).then(|| f64::from(i16::from_be_bytes([b[1], b[2]])) / 100.0)
    });
    if let Some(dp) = dpf {
        let dp = if (-DPF_OFFSET_BAND_KPA..0.0).contains(&dp) {
            0.0
        } else {
            dp
        };
        signals.insert(names::DPF_DIFF_PRESSURE_KPA.to_owned(), dp);
    }
    let run_hours = data
        .get(&0x7F)
        .filter(|b| b[0] & 0x01 != 0)
        .map(|b| dword(b, 1) / 3600.0);
    let odometer = data.get(&0xA6).map(|b| dword(b, 0) / 10.0);
    Ok(TelemetryReading {
        reading_id: req.reading_id,
        vehicle_id: req.vehicle_id,
        vin: req.vin,
        recorded_at: req.recorded_at,
        odometer_km: req.odometer_km.or(odometer),
        engine_hours: req.engine_hours.or(run_hours),
        location: req.location,
        signals,
        dtcs,
    })
}

/// The data bytes of every supported PID, length-checked; problems for the rest.
fn collect_pids(
    pids: &BTreeMap<String, String>,
    problems: &mut Vec<Problem>,
) -> BTreeMap<u8, Vec<u8>> {
    let mut data = BTreeMap::new();
    let mut keys: BTreeMap<u8, &str> = BTreeMap::new();
    for (key, hex) in pids {
        let field = format!("pids.{key}");
        let Some(pid) = parse_pid(key) else {
            problems.push(Problem::new(
                field,
                format!("`{key}` is not a PID; use its hex number, e.g. 0C or 0x0C"),
            ));
            continue;
        };
        if let Some(first) = keys.insert(pid, key) {
            problems.push(Problem::new(
                field,
                format!("PID {pid:02X} is given twice (also as `{first}`)"),
            ));
            continue;
        }
        let Some(&(_, len, what)) = SUPPORTED.iter().find(|(p, ..)| *p == pid) else {
            continue;
        };
        let mut bytes = match parse_hex_bytes(hex) {
            Ok(bytes) => bytes,
            Err(why) => {
                problems.push(Problem::new(
                    field,
                    format!("data of PID {pid:02X} ({what}) {why}"),
                ));
                continue;
            }
        };
        if bytes.len() == len + 2 && bytes[0] == 0x41 && bytes[1] == pid {
            bytes.drain(..2);
        }
        if bytes.len() != len {
            problems.push(Problem::new(
                field,
                format!(
                    "PID {pid:02X} ({what}) carries {len} data byte{}, got {}",
                    if len == 1 { "" } else { "s" },
                    bytes.len()
                ),
            ));
            continue;
        }
        data.insert(pid, bytes);
    }
    data
}

fn parse_pid(key: &str) -> Option<u8> {
    let digits = strip_hex_prefix(key.trim());
    if digits.is_empty() || digits.len() > 2 {
        return None;
    }
    u8::from_str_radix(digits, 16).ok()
}

/// A J2012 code from `P0420` or from a raw mode-03 pair such as `0420`; `None` for the
/// `0000` padding.
fn parse_dtc(text: &str) -> Result<Option<String>, String> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let compact = compact.to_ascii_uppercase();
    if is_obd_code(&compact) {
        return Ok(Some(compact));
    }
    let raw = compact.strip_prefix("0X").unwrap_or(&compact);
    let value = (raw.len() == 4)
        .then(|| u16::from_str_radix(raw, 16).ok())
        .flatten()
        .ok_or_else(|| {
            format!(
                "`{text}` is neither a trouble code like P0420 nor a raw mode-03 byte pair \
                 like 0420"
            )
        })?;
    if value == 0 {
        return Ok(None);
    }
    // The top two bits pick the system letter, the next two the first digit.
    let letter = ['P', 'C', 'B', 'U'][usize::from(value >> 14)];
    Ok(Some(format!(
        "{letter}{}{:03X}",
        (value >> 12) & 0x3,
        value & 0x0FFF
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn request(pids: &[(&str, &str)]) -> Obd2Request {
        Obd2Request {
            reading_id: None,
            vehicle_id: "CAR-1".into(),
            vin: None,
            recorded_at: Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap(),
            odometer_km: None,
            engine_hours: None,
            location: None,
            pids: pids
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            dtcs: vec![],
        }
    }

    fn signal(pid: &str, data: &str, name: &str) -> f64 {
        let reading = decode(request(&[(pid, data)])).unwrap();
        reading.signals[name]
    }

    fn assert_close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
    }

    #[test]
    fn decodes_single_pids_with_j1979_formulas() {
        assert_close(signal("0C", "1A F8", names::ENGINE_RPM), 1726.0);
        assert_close(signal("05", "7B", names::COOLANT_TEMP_C), 83.0);
        assert_close(signal("42", "310B", names::BATTERY_VOLTAGE_V), 12.555);
        assert_close(signal("04", "FF", names::ENGINE_LOAD_PCT), 100.0);
        assert_close(signal("0D", "3C", names::VEHICLE_SPEED_KPH), 60.0);
        assert_close(signal("1F", "03 84", names::ENGINE_RUN_TIME_S), 900.0);
        assert_close(signal("46", "00", names::AMBIENT_TEMP_C), -40.0);
        assert_close(signal("5C", "82", names::OIL_TEMP_C), 90.0);
        assert_close(signal("5E", "01F4", names::FUEL_RATE_LPH), 25.0);
        assert_close(
            signal("7A", "01 00 64 00 00 00 00", names::DPF_DIFF_PRESSURE_KPA),
            1.0,
        );
    }

    #[test]
    fn pid_keys_accept_prefix_and_case() {
        assert_close(signal("0x0c", "1af8", names::ENGINE_RPM), 1726.0);
        assert_close(signal("c", "1AF8", names::ENGINE_RPM), 1726.0);
    }

    #[test]
    fn response_echo_is_dropped() {
        assert_close(signal("0C", "41 0C 1A F8", names::ENGINE_RPM), 1726.0);
    }

    #[test]
    fn boost_is_map_minus_barometric_floored_at_zero() {
        let r = decode(request(&[("0B", "C8"), ("33", "64")])).unwrap();
        assert_close(r.signals[names::BOOST_PRESSURE_KPA], 100.0);
        let r = decode(request(&[("0B", "C8")])).unwrap();
        assert_close(r.signals[names::BOOST_PRESSURE_KPA], 98.7);
        let r = decode(request(&[("0B", "50")])).unwrap();
        assert_close(r.signals[names::BOOST_PRESSURE_KPA], 0.0);
        assert!(!r.signals.contains_key("barometric"));
    }

    #[test]
    fn dpf_uses_support_bit_sign_and_bank_fallback() {
        let dp = |pids: &[(&str, &str)]| {
            decode(request(pids))
                .unwrap()
                .signals
                .get(names::DPF_DIFF_PRESSURE_KPA)
                .copied()
        };
        assert_eq!(dp(&[("7A", "00 00 64 00 00 00 00")]), None);
        assert_eq!(dp(&[("7A", "01 FF CE 00 00 00 00")]), Some(0.0));
        assert_eq!(dp(&[("7A", "01 FE 0C 00 00 00 00")]), Some(-5.0));
        assert_eq!(dp(&[("7B", "01 01 F4 00 00 00 00")]), Some(5.0));
        assert_eq!(
            dp(&[
                ("7A", "01 00 C8 00 00 00 00"),
                ("7B", "01 01 F4 00 00 00 00")
            ]),
            Some(2.0)
        );
    }

    #[test]
    fn odometer_and_run_time_fill_missing_fields_only() {
        let pids = [
            ("A6", "00 01 E2 40"),
            ("7F", "01 00 00 0E 10 00 00 00 00 00 00 00 00"),
        ];
        let r = decode(request(&pids)).unwrap();
        assert_close(r.odometer_km.unwrap(), 12_345.6);
        assert_close(r.engine_hours.unwrap(), 1.0);
        let mut req = request(&pids);
        req.odometer_km = Some(7.0);
        req.engine_hours = Some(8.0);
        let r = decode(req).unwrap();
        assert_eq!((r.odometer_km, r.engine_hours), (Some(7.0), Some(8.0)));
    }

    #[test]
    fn unsupported_pids_are_skipped() {
        let r = decode(request(&[("2F", "whatever"), ("0F", "50")])).unwrap();
        assert!(r.signals.is_empty());
    }

    #[test]
    fn dtcs_in_both_notations() {
        let mut req = request(&[]);
        req.dtcs = vec![
            "p0420".into(),
            "0420".into(),
            "04 20".into(),
            "C123".into(),
            "0000".into(),
        ];
        let r = decode(req).unwrap();
        let codes: Vec<_> = r
            .dtcs
            .iter()
            .map(|d| match d {
                Dtc::Obd { code } => code.as_str(),
                Dtc::J1939 { .. } => "",
            })
            .collect();
        assert_eq!(codes, ["P0420", "P0420", "P0420", "U0123"]);
    }

    #[test]
    fn every_decoding_problem_is_reported() {
        let mut req = request(&[
            ("0C", "1A"),
            ("05", "7G"),
            ("42", "310"),
            ("ZZ", "00"),
            ("0x05", "7B"),
            ("0D", "3C"),
        ]);
        req.dtcs = vec!["P0420".into(), "P9ZZZ".into()];
        let problems = decode(req).unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        // Keys are visited in sorted order.
        assert_eq!(
            fields,
            [
                "pids.05",
                "pids.0C",
                "pids.0x05",
                "pids.42",
                "pids.ZZ",
                "dtcs[1]"
            ]
        );
        assert!(
            problems[0]
                .message
                .contains("`G` is not a hexadecimal digit")
        );
        assert_eq!(
            problems[1].message,
            "PID 0C (engine speed) carries 2 data bytes, got 1"
        );
        assert!(problems[2].message.contains("given twice"));
    }
}
