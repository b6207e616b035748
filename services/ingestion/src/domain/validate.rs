//! Validation of a canonical reading, whatever protocol it arrived in.
//!
//! [`validate`] checks every field and reports every problem at once. It also
//! normalizes in place what has one obvious fix: the VIN and OBD trouble codes are
//! uppercased, and signals with unknown names are dropped with a *warning* (a newer
//! device firmware sending a signal we do not know yet must not lose the whole
//! reading). Field paths point into the canonical form: `signals.coolant_temp_c`,
//! `dtcs[2].code`, `location.lat`.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use shared_schemas::events::telemetry::Problem;
use shared_schemas::signals::{self, SignalSpec};
use shared_schemas::telemetry::{Dtc, GeoPoint, TelemetryReading};

use super::vin::check_vin;

/// Most signals one reading may carry (counted as sent, unknown names included).
pub const MAX_SIGNALS: usize = 256;
/// Most trouble codes one reading may carry.
pub const MAX_DTCS: usize = 64;
const MAX_READING_ID_LEN: usize = 128;
const MAX_ODOMETER_KM: f64 = 5_000_000.0;
const MAX_ENGINE_HOURS: f64 = 1_000_000.0;
/// SPNs are 19-bit numbers.
const MAX_J1939_SPN: u32 = 524_287;
/// FMIs are 5-bit numbers.
const MAX_J1939_FMI: u8 = 31;

/// How far `recorded_at` may stray from the server clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted lead of `recorded_at` over now (device clocks drift).
    pub max_future: Duration,
    /// Oldest accepted reading (devices buffer while offline, but not forever).
    pub max_age: Duration,
}

impl Default for Limits {
    /// 5 minutes into the future, 30 days into the past.
    fn default() -> Self {
        Self {
            max_future: Duration::minutes(5),
            max_age: Duration::days(30),
        }
    }
}

/// The outcome of [`validate`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checked {
    /// Reasons to reject the reading; empty when it is acceptable.
    pub problems: Vec<Problem>,
    /// Things that were fixed or dropped without rejecting the reading.
    pub warnings: Vec<Problem>,
}

impl Checked {
    /// Whether the reading can be accepted.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The idempotency key of a reading whose sender gave none:
/// `{vehicle_id}@{recorded_at}` with `recorded_at` in RFC 3339, UTC, microsecond
/// precision, e.g. `TRUCK-042@2024-05-01T12:00:00.000000Z`.
///
/// It is stable (a retry of the same reading maps to the same key) and fits the
/// `reading_id` rules (at most 64 + 1 + 27 printable characters). Two readings of one
/// vehicle within the same microsecond are treated as the same reading.
pub fn derive_reading_id(vehicle_id: &str, recorded_at: DateTime<Utc>) -> String {
    format!(
        "{vehicle_id}@{}",
        recorded_at.to_rfc3339_opts(SecondsFormat::Micros, true)
    )
}

/// Checks `reading` against every rule and reports all problems; see the module doc for
/// what is normalized in place.
pub fn validate(reading: &mut TelemetryReading, now: DateTime<Utc>, limits: &Limits) -> Checked {
    let mut out = Checked::default();
    let problems = &mut out.problems;
    if let Some(id) = &reading.reading_id {
        push_err(problems, "reading_id", check_reading_id(id));
    }
    push_err(
        problems,
        "vehicle_id",
        shared_schemas::ids::check_vehicle_id(&reading.vehicle_id),
    );
    if let Some(vin) = &mut reading.vin {
        vin.make_ascii_uppercase();
        push_err(problems, "vin", check_vin(vin));
    }
    push_err(
        problems,
        "recorded_at",
        check_time(reading.recorded_at, now, limits),
    );
    if let Some(km) = reading.odometer_km {
        let check = check_range(km, 0.0, MAX_ODOMETER_KM, "km");
        push_err(problems, "odometer_km", check);
    }
    if let Some(hours) = reading.engine_hours {
        let check = check_range(hours, 0.0, MAX_ENGINE_HOURS, "h");
        push_err(problems, "engine_hours", check);
    }
    if let Some(location) = reading.location {
        check_location(location, problems);
    }
    check_signals(reading, &mut out);
    check_dtcs(&mut reading.dtcs, &mut out.problems);
    out
}

/// Whether `code` is an SAE J2012 code such as `P0420` (uppercase only).
pub(crate) fn is_obd_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 5
        && matches!(b[0], b'P' | b'C' | b'B' | b'U')
        && matches!(b[1], b'0'..=b'3')
        && b[2..]
            .iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b'A'..=b'F'))
}

fn push_err(problems: &mut Vec<Problem>, field: &str, result: Result<(), String>) {
    if let Err(message) = result {
        problems.push(Problem::new(field, message));
    }
}

fn check_reading_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("must not be empty; leave it out to let ingestion derive one".into());
    }
    if let Some((i, c)) = id.chars().enumerate().find(|(_, c)| !c.is_ascii_graphic()) {
        let what = match c {
            ' ' => "a space".to_owned(),
            c if c.is_control() => "a control character".to_owned(),
            c => format!("`{c}`"),
        };
        return Err(format!(
            "contains {what} at position {}; only visible ASCII characters without spaces \
             are allowed",
            i + 1
        ));
    }
    check_len(id.len(), MAX_READING_ID_LEN)
}

/// Length check for ASCII-only strings (byte length equals character count).
fn check_len(len: usize, max: usize) -> Result<(), String> {
    if len > max {
        return Err(format!(
            "is {len} characters long; at most {max} are allowed"
        ));
    }
    Ok(())
}

fn check_time(at: DateTime<Utc>, now: DateTime<Utc>, limits: &Limits) -> Result<(), String> {
    let lead = at.signed_duration_since(now);
    if lead > limits.max_future {
        return Err(format!(
            "is {} ahead of the server clock (at most {} is tolerated); check the device clock",
            human(lead),
            human(limits.max_future)
        ));
    }
    if -lead > limits.max_age {
        return Err(format!(
            "is {} old; readings older than {} are not accepted",
            human(-lead),
            human(limits.max_age)
        ));
    }
    Ok(())
}

/// A duration in the largest unit that keeps it readable, rounded down.
fn human(d: Duration) -> String {
    let s = d.num_seconds();
    if s < 120 {
        format!("{s} s")
    } else if s < 7_200 {
        format!("{} min", s / 60)
    } else if s < 172_800 {
        format!("{} h", s / 3_600)
    } else {
        format!("{} days", s / 86_400)
    }
}

fn check_range(value: f64, min: f64, max: f64, unit: &str) -> Result<(), String> {
    if !value.is_finite() {
        return Err("must be a finite number".into());
    }
    if !(min..=max).contains(&value) {
        let unit = match unit {
            "" | "count" | "flag" => String::new(),
            u => format!(" {u}"),
        };
        return Err(format!(
            "{value}{unit} is outside the plausible range {min} to {max}{unit}"
        ));
    }
    Ok(())
}

fn check_location(at: GeoPoint, problems: &mut Vec<Problem>) {
    for (field, value, limit) in [
        ("location.lat", at.lat, 90.0),
        ("location.lon", at.lon, 180.0),
    ] {
        if !value.is_finite() || !(-limit..=limit).contains(&value) {
            problems.push(Problem::new(
                field,
                format!("{value} must be between -{limit} and {limit} degrees"),
            ));
        }
    }
}

fn check_signals(reading: &mut TelemetryReading, out: &mut Checked) {
    let count = reading.signals.len();
    if count > MAX_SIGNALS {
        out.problems.push(Problem::new(
            "signals",
            format!("has {count} signals; at most {MAX_SIGNALS} are allowed per reading"),
        ));
    }
    // One pass, and field paths are only formatted for problems: this runs for every
    // signal of every reading.
    let (problems, warnings) = (&mut out.problems, &mut out.warnings);
    reading.signals.retain(|name, value| {
        let Some(spec) = signals::spec(name) else {
            if name.chars().any(char::is_control) {
                problems.push(Problem::new(
                    "signals",
                    "a signal name contains a control character",
                ));
                return false;
            }
            warnings.push(Problem::new(
                format!("signals.{name}"),
                "unknown signal name; the value was ignored (see the signal catalog)",
            ));
            return false;
        };
        if let Err(message) = check_signal(spec, *value) {
            problems.push(Problem::new(format!("signals.{name}"), message));
        }
        true
    });
}

fn check_signal(spec: &SignalSpec, value: f64) -> Result<(), String> {
    check_range(value, spec.min, spec.max, spec.unit)?;
    match spec.unit {
        "flag" if value != 0.0 && value != 1.0 => Err(format!("{value} must be 0 or 1")),
        "count" if value.fract() != 0.0 => Err(format!("{value} must be a whole number")),
        _ => Ok(()),
    }
}

fn check_dtcs(dtcs: &mut [Dtc], problems: &mut Vec<Problem>) {
    if dtcs.len() > MAX_DTCS {
        problems.push(Problem::new(
            "dtcs",
            format!(
                "has {} trouble codes; at most {MAX_DTCS} are allowed",
                dtcs.len()
            ),
        ));
    }
    for (i, dtc) in dtcs.iter_mut().enumerate() {
        match dtc {
            Dtc::Obd { code } => {
                code.make_ascii_uppercase();
                if !is_obd_code(code) {
                    problems.push(Problem::new(
                        format!("dtcs[{i}].code"),
                        format!(
                            "`{code}` is not an OBD-II trouble code; expected P, C, B or U, \
                             a digit 0-3 and three hex digits, e.g. P0420"
                        ),
                    ));
                }
            }
            Dtc::J1939 { spn, fmi, .. } => {
                if *spn > MAX_J1939_SPN {
                    problems.push(Problem::new(
                        format!("dtcs[{i}].spn"),
                        format!("{spn} is not a J1939 SPN; SPNs go from 0 to {MAX_J1939_SPN}"),
                    ));
                }
                if *fmi > MAX_J1939_FMI {
                    problems.push(Problem::new(
                        format!("dtcs[{i}].fmi"),
                        format!("{fmi} is not a J1939 FMI; FMIs go from 0 to {MAX_J1939_FMI}"),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use shared_schemas::signals::names;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap()
    }

    fn reading() -> TelemetryReading {
        TelemetryReading {
            reading_id: Some("r-1".into()),
            vehicle_id: "TRUCK-042".into(),
            vin: Some("1M8GDM9AXKP042788".into()),
            recorded_at: now(),
            odometer_km: Some(120_000.0),
            engine_hours: Some(4_000.0),
            location: Some(GeoPoint {
                lat: 48.1,
                lon: 11.5,
            }),
            signals: [(names::COOLANT_TEMP_C.to_owned(), 88.0)].into(),
            dtcs: vec![
                Dtc::Obd {
                    code: "P0420".into(),
                },
                Dtc::J1939 {
                    spn: 3251,
                    fmi: 0,
                    occurrences: Some(1),
                },
            ],
        }
    }

    fn check(r: &mut TelemetryReading) -> Checked {
        validate(r, now(), &Limits::default())
    }

    fn fields(c: &Checked) -> Vec<&str> {
        c.problems.iter().map(|p| p.field.as_str()).collect()
    }

    #[test]
    fn a_good_reading_passes_unchanged() {
        let mut r = reading();
        let c = check(&mut r);
        assert!(c.is_ok(), "{c:?}");
        assert!(c.warnings.is_empty());
        assert_eq!(r, reading());
    }

    #[test]
    fn reading_id_rules() {
        for (id, ok) in [
            ("abc-123_X@2024", true),
            ("", false),
            ("has space", false),
            ("tab\there", false),
            ("é", false),
        ] {
            let mut r = reading();
            r.reading_id = Some(id.into());
            assert_eq!(check(&mut r).is_ok(), ok, "{id:?}");
        }
        let mut r = reading();
        r.reading_id = Some("x".repeat(129));
        assert_eq!(fields(&check(&mut r)), ["reading_id"]);
        r.reading_id = Some("x".repeat(128));
        assert!(check(&mut r).is_ok());
        r.reading_id = None;
        assert!(check(&mut r).is_ok());
    }

    #[test]
    fn vehicle_id_rules() {
        for (id, ok) in [
            ("fleet:TRUCK-042.a_b", true),
            ("", false),
            ("TRUCK 42", false),
            ("TRUCK/42", false),
        ] {
            let mut r = reading();
            r.vehicle_id = id.into();
            assert_eq!(check(&mut r).is_ok(), ok, "{id:?}");
        }
        let mut r = reading();
        r.vehicle_id = "v".repeat(65);
        assert_eq!(fields(&check(&mut r)), ["vehicle_id"]);
    }

    #[test]
    fn vin_is_uppercased_then_checked() {
        let mut r = reading();
        r.vin = Some("1hgcm82633a004352".into());
        assert!(check(&mut r).is_ok());
        assert_eq!(r.vin.as_deref(), Some("1HGCM82633A004352"));
        r.vin = Some("1HGCM82643A004352".into());
        let c = check(&mut r);
        assert_eq!(fields(&c), ["vin"]);
        assert!(c.problems[0].message.contains("check digit"));
    }

    #[test]
    fn recorded_at_window() {
        let mut r = reading();
        r.recorded_at = now() + Duration::minutes(5);
        assert!(check(&mut r).is_ok());
        r.recorded_at = now() + Duration::minutes(6);
        let c = check(&mut r);
        assert_eq!(fields(&c), ["recorded_at"]);
        assert!(c.problems[0].message.contains("6 min ahead"), "{c:?}");
        r.recorded_at = now() - Duration::days(30);
        assert!(check(&mut r).is_ok());
        r.recorded_at = now() - Duration::days(31);
        let c = check(&mut r);
        assert!(c.problems[0].message.contains("31 days old"), "{c:?}");
    }

    #[test]
    fn odometer_and_engine_hours_ranges() {
        for (km, ok) in [
            (0.0, true),
            (5_000_000.0, true),
            (-1.0, false),
            (5e6 + 1.0, false),
        ] {
            let mut r = reading();
            r.odometer_km = Some(km);
            assert_eq!(check(&mut r).is_ok(), ok, "{km}");
        }
        let mut r = reading();
        r.odometer_km = Some(f64::NAN);
        r.engine_hours = Some(f64::INFINITY);
        assert_eq!(fields(&check(&mut r)), ["odometer_km", "engine_hours"]);
        r.odometer_km = None;
        r.engine_hours = Some(1_000_001.0);
        assert_eq!(fields(&check(&mut r)), ["engine_hours"]);
    }

    #[test]
    fn location_ranges() {
        let mut r = reading();
        r.location = Some(GeoPoint {
            lat: -90.0,
            lon: 180.0,
        });
        assert!(check(&mut r).is_ok());
        r.location = Some(GeoPoint {
            lat: 90.5,
            lon: f64::NAN,
        });
        assert_eq!(fields(&check(&mut r)), ["location.lat", "location.lon"]);
    }

    #[test]
    fn unknown_signals_are_dropped_with_a_warning() {
        let mut r = reading();
        r.signals.insert("fuel_level_pct".into(), 50.0);
        let c = check(&mut r);
        assert!(c.is_ok());
        assert_eq!(c.warnings.len(), 1);
        assert_eq!(c.warnings[0].field, "signals.fuel_level_pct");
        assert!(!r.signals.contains_key("fuel_level_pct"));
        assert!(r.signals.contains_key(names::COOLANT_TEMP_C));
    }

    #[test]
    fn signal_out_of_range_names_value_range_and_unit() {
        let mut r = reading();
        r.signals.insert(names::COOLANT_TEMP_C.into(), 180.0);
        let c = check(&mut r);
        assert_eq!(fields(&c), ["signals.coolant_temp_c"]);
        assert_eq!(
            c.problems[0].message,
            "180 °C is outside the plausible range -40 to 150 °C"
        );
        r.signals.insert(names::COOLANT_TEMP_C.into(), f64::NAN);
        assert_eq!(check(&mut r).problems[0].message, "must be a finite number");
    }

    #[test]
    fn flags_and_counts_must_be_whole() {
        let mut r = reading();
        r.signals.insert(names::DPF_REGEN_ACTIVE.into(), 0.5);
        r.signals.insert(names::DPF_FAILED_REGEN_COUNT.into(), 2.5);
        let c = check(&mut r);
        assert_eq!(
            fields(&c),
            ["signals.dpf_failed_regen_count", "signals.dpf_regen_active"]
        );
        r.signals.insert(names::DPF_REGEN_ACTIVE.into(), 1.0);
        r.signals.insert(names::DPF_FAILED_REGEN_COUNT.into(), 3.0);
        assert!(check(&mut r).is_ok());
    }

    #[test]
    fn too_many_signals_and_dtcs() {
        let mut r = reading();
        r.signals = (0..=MAX_SIGNALS).map(|i| (format!("x{i}"), 1.0)).collect();
        r.dtcs = vec![
            Dtc::Obd {
                code: "P0420".into()
            };
            MAX_DTCS + 1
        ];
        let c = check(&mut r);
        assert_eq!(fields(&c), ["signals", "dtcs"]);
        assert_eq!(c.warnings.len(), MAX_SIGNALS + 1);
    }

    #[test]
    fn dtc_rules() {
        let mut r = reading();
        r.dtcs = vec![
            Dtc::Obd {
                code: "p20ee".into(),
            },
            Dtc::Obd {
                code: "P4420".into(),
            },
            Dtc::Obd {
                code: "X0420".into(),
            },
            Dtc::Obd {
                code: "P042".into(),
            },
            Dtc::J1939 {
                spn: 524_288,
                fmi: 32,
                occurrences: None,
            },
            Dtc::J1939 {
                spn: 524_287,
                fmi: 31,
                occurrences: None,
            },
        ];
        let c = check(&mut r);
        assert_eq!(
            fields(&c),
            [
                "dtcs[1].code",
                "dtcs[2].code",
                "dtcs[3].code",
                "dtcs[4].spn",
                "dtcs[4].fmi"
            ]
        );
        assert_eq!(
            r.dtcs[0],
            Dtc::Obd {
                code: "P20EE".into()
            }
        );
    }

    #[test]
    fn all_problems_are_reported_at_once() {
        let mut r = reading();
        r.reading_id = Some(String::new());
        r.vehicle_id = String::new();
        r.vin = Some("SHORT".into());
        r.recorded_at = now() + Duration::hours(3);
        r.odometer_km = Some(-5.0);
        r.engine_hours = Some(-1.0);
        r.location = Some(GeoPoint {
            lat: 100.0,
            lon: 200.0,
        });
        r.signals.insert(names::ENGINE_RPM.into(), 99_999.0);
        r.signals.insert("bogus".into(), 1.0);
        r.dtcs = vec![Dtc::Obd {
            code: "nope".into(),
        }];
        let c = check(&mut r);
        assert_eq!(
            fields(&c),
            [
                "reading_id",
                "vehicle_id",
                "vin",
                "recorded_at",
                "odometer_km",
                "engine_hours",
                "location.lat",
                "location.lon",
                "signals.engine_rpm",
                "dtcs[0].code",
            ]
        );
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn derived_reading_id_is_stable_and_valid() {
        let at =
            Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap() + Duration::microseconds(1_500);
        let id = derive_reading_id("TRUCK-042", at);
        assert_eq!(id, "TRUCK-042@2024-05-01T12:00:00.001500Z");
        assert_eq!(id, derive_reading_id("TRUCK-042", at));
        assert_eq!(
            check_reading_id(&derive_reading_id(&"v".repeat(64), at)),
            Ok(())
        );
    }
}
