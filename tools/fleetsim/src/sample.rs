//! The compact in-memory form of one simulated reading and its JSON encoding.
//!
//! A simulation of 200 vehicles over 90 days produces millions of readings, so a
//! reading is kept as a fixed array of values indexed by [`Sig`] plus a presence mask
//! instead of a `BTreeMap<String, f64>`: no allocation per reading. It is encoded
//! straight to the canonical [`TelemetryReading`] JSON shape, and
//! [`Sample::to_reading`] gives the canonical type itself (tests check that both agree).

use std::fmt;

use chrono::{DateTime, Utc};
use shared_schemas::signals::{self, names};
use shared_schemas::telemetry::{Dtc, GeoPoint, TelemetryReading};

use crate::vehicle::Vehicle;

macro_rules! sigs {
    ($($var:ident = ($name:path, $decimals:literal);)*) => {
        /// A signal slot: one canonical catalog signal the simulator produces.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum Sig { $(#[doc = concat!("`", stringify!($var), "`")] $var,)* }

        impl Sig {
            /// Every slot, in index order.
            pub const ALL: &'static [Sig] = &[$(Sig::$var,)*];

            /// The canonical catalog name.
            pub const fn name(self) -> &'static str {
                match self { $(Sig::$var => $name,)* }
            }

            /// Decimal places kept on the wire: a sensor's resolution, and shorter JSON.
            const fn decimals(self) -> i32 {
                match self { $(Sig::$var => $decimals,)* }
            }
        }
    };
}

sigs! {
    EngineRpm = (names::ENGINE_RPM, 0);
    EngineLoad = (names::ENGINE_LOAD_PCT, 1);
    Coolant = (names::COOLANT_TEMP_C, 1);
    OilTemp = (names::OIL_TEMP_C, 1);
    OilPressure = (names::OIL_PRESSURE_KPA, 1);
    OilLevel = (names::OIL_LEVEL_PCT, 1);
    FuelRate = (names::FUEL_RATE_LPH, 2);
    Boost = (names::BOOST_PRESSURE_KPA, 1);
    BackPressure = (names::EXHAUST_BACK_PRESSURE_KPA, 2);
    Battery = (names::BATTERY_VOLTAGE_V, 2);
    Ambient = (names::AMBIENT_TEMP_C, 1);
    DpfDiff = (names::DPF_DIFF_PRESSURE_KPA, 2);
    DpfSoot = (names::DPF_SOOT_LOAD_PCT, 1);
    DpfFailedRegens = (names::DPF_FAILED_REGEN_COUNT, 0);
    DpfInlet = (names::DPF_INLET_TEMP_C, 1);
    DpfOutlet = (names::DPF_OUTLET_TEMP_C, 1);
    DpfRegen = (names::DPF_REGEN_ACTIVE, 0);
    NoxUp = (names::SCR_NOX_UPSTREAM_PPM, 0);
    NoxDown = (names::SCR_NOX_DOWNSTREAM_PPM, 1);
    ScrInlet = (names::SCR_INLET_TEMP_C, 1);
    ScrOutlet = (names::SCR_OUTLET_TEMP_C, 1);
    DefQuality = (names::DEF_QUALITY_PCT, 2);
    DefDuty = (names::DEF_INJECTOR_DUTY_PCT, 1);
    DefPumpPressure = (names::DEF_PUMP_PRESSURE_KPA, 0);
    DefPumpCurrent = (names::DEF_PUMP_CURRENT_A, 2);
    Speed = (names::VEHICLE_SPEED_KPH, 1);
    TransTemp = (names::TRANS_OIL_TEMP_C, 1);
    BrakePad = (names::BRAKE_PAD_MM, 2);
    BrakeWear = (names::BRAKE_PAD_WEAR_PCT, 1);
    BrakePressure = (names::BRAKE_PRESSURE_KPA, 0);
    AbsEvents = (names::ABS_EVENT_COUNT, 0);
    TireFl = (names::TIRE_PRESSURE_FL_KPA, 1);
    TireFr = (names::TIRE_PRESSURE_FR_KPA, 1);
    TireRl = (names::TIRE_PRESSURE_RL_KPA, 1);
    TireRr = (names::TIRE_PRESSURE_RR_KPA, 1);
    CanDrop = (names::CAN_DROP_RATE_PCT, 3);
}

/// Number of signal slots.
pub const N_SIG: usize = Sig::ALL.len();

/// The tire pressure slots in wheel order (FL, FR, RL, RR).
pub const TIRES: [Sig; 4] = [Sig::TireFl, Sig::TireFr, Sig::TireRl, Sig::TireRr];

/// Catalog bounds per slot, looked up once.
fn bounds() -> &'static [(f64, f64); N_SIG] {
    static BOUNDS: std::sync::OnceLock<[(f64, f64); N_SIG]> = std::sync::OnceLock::new();
    BOUNDS.get_or_init(|| {
        let mut b = [(0.0, 0.0); N_SIG];
        for (slot, s) in b.iter_mut().zip(Sig::ALL) {
            let spec = signals::spec(s.name()).expect("every slot is a catalog signal");
            *slot = (spec.min, spec.max);
        }
        b
    })
}

/// Scale factors `10^decimals`, so rounding is `(x * s).round() / s`, which yields the
/// double nearest the short decimal (dividing by a power of ten, not multiplying by
/// its inverse, keeps `87.3` from printing as `87.30000000000001`).
const fn scale(decimals: i32) -> f64 {
    match decimals {
        0 => 1.0,
        1 => 10.0,
        2 => 100.0,
        _ => 1000.0,
    }
}

/// A diagnostic trouble code the simulator can raise, as an index into [`DTC_TABLE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtcDef {
    /// An OBD-II (SAE J2012) code.
    Obd(&'static str),
    /// A J1939 DM1 entry.
    J1939 {
        /// Suspect parameter number.
        spn: u32,
        /// Failure mode identifier.
        fmi: u8,
    },
}

impl DtcDef {
    /// The canonical form.
    pub fn to_dtc(self) -> Dtc {
        match self {
            Self::Obd(code) => Dtc::Obd {
                code: code.to_owned(),
            },
            Self::J1939 { spn, fmi } => Dtc::J1939 {
                spn,
                fmi,
                occurrences: None,
            },
        }
    }
}

impl fmt::Display for DtcDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Obd(code) => f.write_str(code),
            Self::J1939 { spn, fmi } => write!(f, "SPN {spn} FMI {fmi}"),
        }
    }
}

/// Every code the simulator can raise; a sample's `dtcs` bit `i` means `DTC_TABLE[i]`.
pub const DTC_TABLE: &[DtcDef] = &[
    DtcDef::Obd("P2463"),                // 0: DPF soot accumulation
    DtcDef::Obd("P20EE"),                // 1: SCR NOx catalyst efficiency below threshold
    DtcDef::Obd("P207F"),                // 2: reductant (DEF) quality performance
    DtcDef::Obd("P0524"),                // 3: engine oil pressure too low
    DtcDef::Obd("P250F"),                // 4: engine oil level too low
    DtcDef::Obd("P0217"),                // 5: engine coolant over-temperature
    DtcDef::Obd("P0128"),                // 6: coolant below thermostat regulating temperature
    DtcDef::Obd("P0562"),                // 7: system voltage low
    DtcDef::Obd("P0218"),                // 8: transmission fluid over-temperature
    DtcDef::J1939 { spn: 1099, fmi: 1 }, // 9: brake lining remaining, front axle left, low
];

/// One reading of one vehicle, compact.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Index of the vehicle in its fleet.
    pub vehicle: u32,
    /// Unix time, seconds.
    pub t: i64,
    /// Whether the engine was running (false: a parked heartbeat).
    pub running: bool,
    /// Odometer, km.
    pub odometer_km: f64,
    /// Engine hours, h.
    pub engine_hours: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Signal values by [`Sig`] index; meaningful only where `present` has the bit.
    pub values: [f64; N_SIG],
    /// Presence bit per [`Sig`].
    pub present: u64,
    /// Active trouble codes, one bit per [`DTC_TABLE`] entry.
    pub dtcs: u16,
}

impl Sample {
    /// An empty sample (no signals) of `vehicle` at `t`.
    pub fn new(vehicle: u32, t: i64, running: bool) -> Self {
        Self {
            vehicle,
            t,
            running,
            odometer_km: 0.0,
            engine_hours: 0.0,
            lat: 0.0,
            lon: 0.0,
            values: [0.0; N_SIG],
            present: 0,
            dtcs: 0,
        }
    }

    /// Sets a signal, rounded to its resolution and clamped into the catalog range.
    /// Returns `false` when the value had to be clamped (or was not finite): the
    /// models are meant to stay in range on their own, and tests count these.
    pub fn set(&mut self, sig: Sig, value: f64) -> bool {
        let i = sig as usize;
        let (min, max) = bounds()[i];
        let s = scale(sig.decimals());
        let scaled = value * s;
        // Out-of-range values are clamped below, so the i64 conversion is only used
        // where it is exact.
        let rounded = if scaled.abs() < 1e15 {
            round_to_i64(scaled) as f64 / s
        } else {
            scaled
        };
        let (v, ok) = if !rounded.is_finite() || rounded < min {
            (min, false)
        } else if rounded > max {
            (max, false)
        } else {
            (rounded, true)
        };
        self.values[i] = v;
        self.present |= 1 << i;
        ok
    }

    /// The value of a signal, when present.
    pub fn get(&self, sig: Sig) -> Option<f64> {
        let i = sig as usize;
        (self.present & (1 << i) != 0).then(|| self.values[i])
    }

    /// Whether a signal is present.
    pub fn has(&self, sig: Sig) -> bool {
        self.present & (1 << sig as usize) != 0
    }

    /// The active trouble codes.
    pub fn dtc_defs(&self) -> impl Iterator<Item = DtcDef> + '_ {
        DTC_TABLE
            .iter()
            .enumerate()
            .filter(|(i, _)| self.dtcs & (1 << i) != 0)
            .map(|(_, d)| *d)
    }

    /// `recorded_at` as a timestamp.
    pub fn recorded_at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.t, 0).unwrap_or_default()
    }

    /// The canonical reading this sample encodes to.
    pub fn to_reading(&self, vehicle: &Vehicle, seed: u64) -> TelemetryReading {
        TelemetryReading {
            reading_id: Some(
                ReadingId {
                    seed,
                    vehicle_id: &vehicle.id,
                    t: self.t,
                }
                .to_string(),
            ),
            vehicle_id: vehicle.id.clone(),
            vin: Some(vehicle.vin.clone()),
            recorded_at: self.recorded_at(),
            odometer_km: Some(round_to(self.odometer_km, 2)),
            engine_hours: Some(round_to(self.engine_hours, 3)),
            location: Some(GeoPoint {
                lat: round_to(self.lat, 5),
                lon: round_to(self.lon, 5),
            }),
            signals: Sig::ALL
                .iter()
                .filter_map(|&s| self.get(s).map(|v| (s.name().to_owned(), v)))
                .collect(),
            dtcs: self.dtc_defs().map(DtcDef::to_dtc).collect(),
        }
    }

    /// Appends the canonical JSON of this sample to `buf`.
    ///
    /// Hand-written because it is the hot path of a large simulation: keys are
    /// static (nothing needs escaping: ids and VINs are generated ASCII), and values
    /// are printed as fixed-point decimals, which reproduces exactly the doubles that
    /// [`Sample::set`] rounded (tests parse the output back into the canonical type).
    pub fn write_json(&self, buf: &mut Vec<u8>, vehicle: &Vehicle, seed: u64) {
        buf.extend_from_slice(b"{\"reading_id\":\"sim-");
        write_u64(buf, seed);
        buf.push(b'-');
        buf.extend_from_slice(vehicle.id.as_bytes());
        buf.push(b'-');
        write_i64(buf, self.t);
        buf.extend_from_slice(b"\",\"vehicle_id\":\"");
        buf.extend_from_slice(vehicle.id.as_bytes());
        buf.extend_from_slice(b"\",\"vin\":\"");
        buf.extend_from_slice(vehicle.vin.as_bytes());
        buf.extend_from_slice(b"\",\"recorded_at\":\"");
        write_rfc3339(buf, self.t);
        buf.extend_from_slice(b"\",\"odometer_km\":");
        write_fixed(buf, self.odometer_km, 2);
        buf.extend_from_slice(b",\"engine_hours\":");
        write_fixed(buf, self.engine_hours, 3);
        buf.extend_from_slice(b",\"location\":{\"lat\":");
        write_fixed(buf, self.lat, 5);
        buf.extend_from_slice(b",\"lon\":");
        write_fixed(buf, self.lon, 5);
        buf.extend_from_slice(b"},\"signals\":{");
        let keys = key_fragments();
        let mut first = true;
        for &sig in Sig::ALL {
            if let Some(v) = self.get(sig) {
                let key = keys[sig as usize].as_slice();
                // The fragment starts with the separating comma.
                buf.extend_from_slice(if first { &key[1..] } else { key });
                first = false;
                write_fixed(buf, v, sig.decimals() as u32);
            }
        }
        buf.push(b'}');
        if self.dtcs != 0 {
            buf.extend_from_slice(b",\"dtcs\":[");
            for (k, d) in self.dtc_defs().enumerate() {
                if k > 0 {
                    buf.push(b',');
                }
                match d {
                    DtcDef::Obd(code) => {
                        buf.extend_from_slice(b"{\"kind\":\"obd\",\"code\":\"");
                        buf.extend_from_slice(code.as_bytes());
                        buf.extend_from_slice(b"\"}");
                    }
                    DtcDef::J1939 { spn, fmi } => {
                        buf.extend_from_slice(b"{\"kind\":\"j1939\",\"spn\":");
                        write_u64(buf, u64::from(spn));
                        buf.extend_from_slice(b",\"fmi\":");
                        write_u64(buf, u64::from(fmi));
                        buf.push(b'}');
                    }
                }
            }
            buf.push(b']');
        }
        buf.push(b'}');
    }
}

/// `v` rounded to `decimals` places, as the wire form carries it.
fn round_to(v: f64, decimals: u32) -> f64 {
    let s = 10_i64.pow(decimals) as f64;
    round_to_i64(v * s) as f64 / s
}

/// Rounds half away from zero without a libm call (`f64::round` is one unless the
/// target has SSE4.1); `x` must be finite and well inside the `i64` range.
fn round_to_i64(x: f64) -> i64 {
    if x >= 0.0 {
        (x + 0.5) as i64
    } else {
        (x - 0.5) as i64
    }
}

/// Writes an unsigned integer in decimal.
fn write_u64(buf: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[i..]);
}

fn write_i64(buf: &mut Vec<u8>, n: i64) {
    if n < 0 {
        buf.push(b'-');
    }
    write_u64(buf, n.unsigned_abs());
}

/// `,"name":` per slot, built once: one copy per key instead of four.
fn key_fragments() -> &'static [Vec<u8>; N_SIG] {
    static KEYS: std::sync::OnceLock<[Vec<u8>; N_SIG]> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        std::array::from_fn(|i| format!(",\"{}\":", Sig::ALL[i].name()).into_bytes())
    })
}

/// Writes `v` with at most `decimals` (≤ 6) decimals, trailing zeros dropped but one
/// decimal kept so the value reads as a float. Built in a stack buffer and copied
/// once: the encoder's cost is dominated by many tiny copies.
fn write_fixed(buf: &mut Vec<u8>, v: f64, decimals: u32) {
    let scale = 10_u64.pow(decimals);
    let n = round_to_i64(v * scale as f64);
    let negative = n < 0;
    let n = n.unsigned_abs();
    let mut out = [0u8; 32];
    // Fraction digits, right to left, then the point, then the integer part.
    let mut i = out.len();
    let mut frac = n % scale;
    let mut significant = false;
    for _ in 0..decimals {
        let d = (frac % 10) as u8;
        frac /= 10;
        if d != 0 || significant {
            significant = true;
            i -= 1;
            out[i] = b'0' + d;
        }
    }
    if !significant {
        i -= 1;
        out[i] = b'0';
    }
    i -= 1;
    out[i] = b'.';
    let mut int = n / scale;
    loop {
        i -= 1;
        out[i] = b'0' + (int % 10) as u8;
        int /= 10;
        if int == 0 {
            break;
        }
    }
    if negative {
        i -= 1;
        out[i] = b'-';
    }
    buf.extend_from_slice(&out[i..]);
}

/// Writes Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, H. Hinnant's
/// civil-from-days), without going through a formatter.
fn write_rfc3339(buf: &mut Vec<u8>, t: i64) {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let two = |buf: &mut Vec<u8>, n: i64| {
        buf.push(b'0' + (n / 10) as u8);
        buf.push(b'0' + (n % 10) as u8);
    };
    two(buf, year / 100);
    two(buf, year % 100);
    buf.push(b'-');
    two(buf, month);
    buf.push(b'-');
    two(buf, day);
    buf.push(b'T');
    two(buf, secs / 3600);
    buf.push(b':');
    two(buf, secs / 60 % 60);
    buf.push(b':');
    two(buf, secs % 60);
    buf.push(b'Z');
}

/// The idempotency key of a simulated reading: `sim-{seed}-{vehicle_id}-{unix_s}`.
///
/// It is a pure function of the run's seed, the vehicle and the instant, so re-running
/// the same simulation (same `--seed` and `--start`) re-sends the same keys and
/// ingestion treats them as duplicates instead of doubling the data.
#[derive(Debug, Clone, Copy)]
pub struct ReadingId<'a> {
    /// The run's seed.
    pub seed: u64,
    /// The vehicle id.
    pub vehicle_id: &'a str,
    /// Unix seconds.
    pub t: i64,
}

impl fmt::Display for ReadingId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sim-{}-{}-{}", self.seed, self.vehicle_id, self.t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slot_is_a_catalog_signal_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for s in Sig::ALL {
            assert!(
                signals::spec(s.name()).is_some(),
                "{} not in catalog",
                s.name()
            );
            assert!(seen.insert(s.name()));
        }
        const { assert!(N_SIG <= 64, "presence mask is a u64") };
        const { assert!(DTC_TABLE.len() <= 16, "dtc mask is a u16") };
    }

    #[test]
    fn fixed_point_and_timestamps_match_the_standard_formatters() {
        let fixed = |v: f64, d: u32| {
            let mut b = Vec::new();
            write_fixed(&mut b, v, d);
            String::from_utf8(b).expect("utf8")
        };
        assert_eq!(fixed(87.3, 1), "87.3");
        assert_eq!(fixed(14.3, 2), "14.3");
        assert_eq!(fixed(1450.0, 0), "1450.0");
        assert_eq!(fixed(-0.25, 2), "-0.25");
        assert_eq!(fixed(-96.97899, 5), "-96.97899");
        assert_eq!(fixed(0.007, 3), "0.007");
        for x in [0.1, 12.345, 999.99, 1e-3, 123_456.78, -40.0] {
            for d in 0..=5 {
                let s = 10_f64.powi(d as i32);
                let rounded = (x * s).round() / s;
                let parsed: f64 = fixed(rounded, d).parse().expect("number");
                assert_eq!(parsed, rounded, "{x} at {d} decimals");
            }
        }
        for t in [
            0_i64,
            951_782_400,
            1_704_672_000,
            1_735_689_599,
            4_102_444_800,
            -86_400,
        ] {
            let mut b = Vec::new();
            write_rfc3339(&mut b, t);
            let expected = DateTime::from_timestamp(t, 0)
                .expect("ts")
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            assert_eq!(String::from_utf8(b).expect("utf8"), expected);
        }
    }

    #[test]
    fn set_rounds_and_reports_clamping() {
        let mut s = Sample::new(0, 0, true);
        assert!(s.set(Sig::Coolant, 87.2999));
        assert_eq!(s.get(Sig::Coolant), Some(87.3));
        assert!(!s.set(Sig::EngineLoad, 140.0));
        assert_eq!(s.get(Sig::EngineLoad), Some(100.0));
        assert!(!s.set(Sig::OilPressure, f64::NAN));
        assert_eq!(s.get(Sig::OilPressure), Some(0.0));
        assert_eq!(s.get(Sig::Boost), None);
    }
}
