//! J1939 adapter: raw CAN frames decoded with the SAE J1939-71 scalings and J1939-73
//! DM1 for active faults.
//!
//! Decoded parameters (bytes numbered from 1, multi-byte values little-endian):
//!
//! | PGN | acronym | SPN | bytes | becomes | scaling |
//! |-----|---------|-----|-------|---------|---------|
//! | 61443 | EEC2 | 92 | 3 | `engine_load_pct` | 1 %/bit |
//! | 61444 | EEC1 | 190 | 4-5 | `engine_rpm` | 0.125 rpm/bit |
//! | 61454 | AT1IG1 | 3216 | 1-2 | `scr_nox_upstream_ppm` | 0.05 ppm/bit, −200 |
//! | 61455 | AT1OG1 | 3226 | 1-2 | `scr_nox_downstream_ppm` | 0.05 ppm/bit, −200 |
//! | 64891 | AT1S | 3719 | 1 | `dpf_soot_load_pct` | 1 %/bit |
//! | 64892 | DPFC1 | 3700 | 2, bits 3-4 | `dpf_regen_active` | 1 = active; 0, 2 = not |
//! | 64908 | AT1GP | 3609 | 1-2 | `exhaust_back_pressure_kpa` | 0.1 kPa/bit |
//! | 64946 | AT1IMG | 3251 | 5-6 | `dpf_diff_pressure_kpa` | 0.1 kPa/bit |
//! | 65217 | VDHR | 917 | 1-4 | `odometer_km` | 5 m/bit |
//! | 65248 | VD | 245 | 5-8 | `odometer_km` (when no VDHR) | 0.125 km/bit |
//! | 65253 | HOURS | 247 | 1-4 | `engine_hours` | 0.05 h/bit |
//! | 65262 | ET1 | 110 | 1 | `coolant_temp_c` | 1 °C/bit, −40 |
//! | 65262 | ET1 | 175 | 3-4 | `oil_temp_c` | 0.03125 °C/bit, −273 |
//! | 65263 | EFL/P1 | 98 | 3 | `oil_level_pct` | 0.4 %/bit |
//! | 65263 | EFL/P1 | 100 | 4 | `oil_pressure_kpa` | 4 kPa/bit |
//! | 65265 | CCVS | 84 | 2-3 | `vehicle_speed_kph` | 1/256 km/h per bit |
//! | 65266 | LFE | 183 | 1-2 | `fuel_rate_lph` | 0.05 L/h per bit |
//! | 65269 | AMB | 171 | 4-5 | `ambient_temp_c` | 0.03125 °C/bit, −273 |
//! | 65270 | IC1 | 81 | 1 | `exhaust_back_pressure_kpa` | 0.5 kPa/bit (DPF inlet pressure) |
//! | 65270 | IC1 | 102 | 2 | `boost_pressure_kpa` | 2 kPa/bit (gauge) |
//! | 65271 | VEP1 | 168 | 5-6 | `battery_voltage_v` | 0.05 V/bit |
//! | 65272 | TRF1 | 177 | 5-6 | `trans_oil_temp_c` | 0.03125 °C/bit, −273 |
//! | 65226 | DM1 | | 3.. | `dtcs` | SPN/FMI/OC, conversion method 4 |
//!
//! Behaviour:
//! - The PGN comes from bits 8-25 of the 29-bit id; for PDU1 ids (PF < 240) the PS
//!   byte is a destination address and is not part of the PGN.
//! - Values in the "error" or "not available" ranges (above 0xFA, 0xFAFF, 0xFAFFFFFF
//!   for 1, 2 and 4 bytes) are skipped, so an ECU that does not measure a parameter
//!   simply leaves the signal out.
//! - NOx down to −10 ppm (the sensors' accuracy near zero, made visible by the −200 ppm
//!   offset) reads 0.
//! - Frames apply in order: a later value of the same signal replaces an earlier one.
//! - Frames of unknown PGNs are skipped. Frames of a decoded PGN (DM1 aside) must carry
//!   8 bytes.
//! - Multi-packet DM1 (more than one active fault) arrives over the transport protocol:
//!   broadcast (BAM) transfers, TP.CM 60416 + TP.DT 60160, are reassembled per source
//!   address. Destination-specific RTS/CTS transfers are skipped; an incomplete or
//!   out-of-order BAM of a decoded PGN is a problem.
//! - DM1 entries with SPN 0 / FMI 0 are the "no active fault" placeholder and are
//!   skipped; a DTC reported by several ECUs is kept once. The old SPN conversion
//!   methods (CM bit set) are refused rather than misread.
//! - `odometer_km` / `engine_hours` in the request win over VDHR/VD/HOURS.
//!
//! Problems name the request field: `frames[3].id`, `frames[3].data`.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_schemas::events::telemetry::Problem;
use shared_schemas::signals::names;
use shared_schemas::telemetry::{Dtc, GeoPoint, TelemetryReading};
use utoipa::ToSchema;

use super::{parse_hex_bytes, strip_hex_prefix};

/// A reading as raw J1939 CAN frames.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct J1939Request {
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
    /// When the frames were captured on the vehicle (RFC 3339).
    #[schema(example = "2024-05-01T12:00:00Z")]
    pub recorded_at: DateTime<Utc>,
    /// Odometer, km; takes precedence over VDHR / VD frames.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub odometer_km: Option<f64>,
    /// Engine hours, h; takes precedence over HOURS frames.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_hours: Option<f64>,
    /// GPS position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<GeoPoint>,
    /// Captured frames, in bus order.
    #[serde(default)]
    pub frames: Vec<CanFrame>,
}

/// One extended (29-bit) CAN frame.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CanFrame {
    /// 29-bit CAN identifier in hex, with or without `0x`.
    #[schema(example = "0CF00400")]
    pub id: String,
    /// Up to 8 data bytes in hex; spaces allowed.
    #[schema(example = "FF FF FF 68 13 FF FF FF")]
    pub data: String,
}

/// Where a decoded parameter goes.
#[derive(Debug, Clone, Copy)]
enum Target {
    Signal(&'static str),
    EngineHours,
    /// VDHR, preferred.
    OdometerHighRes,
    /// VD, used when no VDHR frame came.
    OdometerLowRes,
}

/// One fixed-position parameter of a PGN.
#[derive(Debug)]
struct Param {
    target: Target,
    /// First byte, numbered from 1 as in J1939-71.
    byte: usize,
    /// 1, 2 or 4 bytes.
    len: usize,
    scale: f64,
    offset: f64,
    /// Negative values down to `-noise` read 0.
    noise: f64,
}

const fn param(target: Target, byte: usize, len: usize, scale: f64, offset: f64) -> Param {
    Param {
        target,
        byte,
        len,
        scale,
        offset,
        noise: 0.0,
    }
}

const fn signal(name: &'static str, byte: usize, len: usize, scale: f64, offset: f64) -> Param {
    param(Target::Signal(name), byte, len, scale, offset)
}

const NOX_NOISE_PPM: f64 = 10.0;
const PGN_DM1: u32 = 65_226;
const PGN_DPFC1: u32 = 64_892;
const PGN_TP_CM: u32 = 60_416;
const PGN_TP_DT: u32 = 60_160;
const TP_CM_BAM: u8 = 32;

/// Fixed-position parameters by PGN, with the acronym used in messages.
#[rustfmt::skip]
const PGNS: &[(u32, &str, &[Param])] = &[
    (61_443, "EEC2", &[signal(names::ENGINE_LOAD_PCT, 3, 1, 1.0, 0.0)]),
    (61_444, "EEC1", &[signal(names::ENGINE_RPM, 4, 2, 0.125, 0.0)]),
    (61_454, "AT1IG1", &[Param { noise: NOX_NOISE_PPM, ..signal(names::SCR_NOX_UPSTREAM_PPM, 1, 2, 0.05, -200.0) }]),
    (61_455, "AT1OG1", &[Param { noise: NOX_NOISE_PPM, ..signal(names::SCR_NOX_DOWNSTREAM_PPM, 1, 2, 0.05, -200.0) }]),
    (64_891, "AT1S", &[signal(names::DPF_SOOT_LOAD_PCT, 1, 1, 1.0, 0.0)]),
    (PGN_DPFC1, "DPFC1", &[]), // a bit field, decoded in `apply`
    (64_908, "AT1GP", &[signal(names::EXHAUST_BACK_PRESSURE_KPA, 1, 2, 0.1, 0.0)]),
    (64_946, "AT1IMG", &[signal(names::DPF_DIFF_PRESSURE_KPA, 5, 2, 0.1, 0.0)]),
    (65_217, "VDHR", &[param(Target::OdometerHighRes, 1, 4, 0.005, 0.0)]),
    (65_248, "VD", &[param(Target::OdometerLowRes, 5, 4, 0.125, 0.0)]),
    (65_253, "HOURS", &[param(Target::EngineHours, 1, 4, 0.05, 0.0)]),
    (65_262, "ET1", &[
        signal(names::COOLANT_TEMP_C, 1, 1, 1.0, -40.0),
        signal(names::OIL_TEMP_C, 3, 2, 0.031_25, -273.0),
    ]),
    (65_263, "EFL/P1", &[
        signal(names::OIL_LEVEL_PCT, 3, 1, 0.4, 0.0),
        signal(names::OIL_PRESSURE_KPA, 4, 1, 4.0, 0.0),
    ]),
    (65_265, "CCVS", &[signal(names::VEHICLE_SPEED_KPH, 2, 2, 1.0 / 256.0, 0.0)]),
    (65_266, "LFE", &[signal(names::FUEL_RATE_LPH, 1, 2, 0.05, 0.0)]),
    (65_269, "AMB", &[signal(names::AMBIENT_TEMP_C, 4, 2, 0.031_25, -273.0)]),
    (65_270, "IC1", &[
        signal(names::EXHAUST_BACK_PRESSURE_KPA, 1, 1, 0.5, 0.0),
        signal(names::BOOST_PRESSURE_KPA, 2, 1, 2.0, 0.0),
    ]),
    (65_271, "VEP1", &[signal(names::BATTERY_VOLTAGE_V, 5, 2, 0.05, 0.0)]),
    (65_272, "TRF1", &[signal(names::TRANS_OIL_TEMP_C, 5, 2, 0.031_25, -273.0)]),
];

/// What the frames said so far.
#[derive(Debug, Default)]
struct Decoded {
    signals: BTreeMap<String, f64>,
    engine_hours: Option<f64>,
    odometer_high_res: Option<f64>,
    odometer_low_res: Option<f64>,
    dtcs: Vec<Dtc>,
}

/// A broadcast (BAM) multi-packet transfer being reassembled.
#[derive(Debug)]
struct Bam {
    /// Index of the TP.CM frame, for problem paths.
    frame: usize,
    pgn: u32,
    size: usize,
    packets: u8,
    data: Vec<u8>,
    received: u8,
}

/// Decodes a J1939 request into a canonical reading, or reports every frame that
/// cannot be decoded. Ranges are left to [`validate`](super::validate()).
pub fn decode(req: J1939Request) -> Result<TelemetryReading, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut decoded = Decoded::default();
    let mut transfers: HashMap<u8, Bam> = HashMap::new();
    for (i, frame) in req.frames.iter().enumerate() {
        let Some((id, data)) = parse_frame(i, frame, &mut problems) else {
            continue;
        };
        let source = (id & 0xFF) as u8;
        match pgn_of(id) {
            PGN_TP_CM => {
                // A new announcement from the same sender abandons its previous one.
                if let Some(bam) = start_bam(i, &data, &mut problems)
                    && let Some(old) = transfers.insert(source, bam)
                {
                    report_incomplete(&old, &mut problems);
                }
            }
            PGN_TP_DT => {
                if let Some(done) = continue_bam(i, source, &data, &mut transfers, &mut problems) {
                    apply(
                        done.frame,
                        done.pgn,
                        &done.data,
                        &mut decoded,
                        &mut problems,
                    );
                }
            }
            pgn => apply(i, pgn, &data, &mut decoded, &mut problems),
        }
    }
    for bam in transfers.values() {
        report_incomplete(bam, &mut problems);
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| frame_index(&p.field));
        return Err(problems);
    }
    Ok(TelemetryReading {
        reading_id: req.reading_id,
        vehicle_id: req.vehicle_id,
        vin: req.vin,
        recorded_at: req.recorded_at,
        odometer_km: req
            .odometer_km
            .or(decoded.odometer_high_res)
            .or(decoded.odometer_low_res),
        engine_hours: req.engine_hours.or(decoded.engine_hours),
        location: req.location,
        signals: decoded.signals,
        dtcs: decoded.dtcs,
    })
}

/// The PGN of a 29-bit identifier.
fn pgn_of(id: u32) -> u32 {
    let pgn = (id >> 8) & 0x3_FFFF;
    let pdu_format = (pgn >> 8) & 0xFF;
    if pdu_format < 240 {
        pgn & 0x3_FF00
    } else {
        pgn
    }
}

fn parse_frame(i: usize, frame: &CanFrame, problems: &mut Vec<Problem>) -> Option<(u32, Vec<u8>)> {
    let digits: String = frame.id.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = strip_hex_prefix(&digits);
    let id = (1..=8)
        .contains(&digits.len())
        .then(|| u32::from_str_radix(digits, 16).ok())
        .flatten()
        .filter(|id| *id <= 0x1FFF_FFFF);
    if id.is_none() {
        problems.push(Problem::new(
            format!("frames[{i}].id"),
            format!(
                "`{}` is not a 29-bit CAN identifier in hex, e.g. 0CF00400",
                frame.id
            ),
        ));
    }
    let data = match parse_hex_bytes(&frame.data) {
        Ok(data) if data.len() <= 8 => Some(data),
        Ok(data) => {
            let message = format!("has {} bytes; a CAN frame carries at most 8", data.len());
            problems.push(Problem::new(format!("frames[{i}].data"), message));
            None
        }
        Err(why) => {
            problems.push(Problem::new(format!("frames[{i}].data"), why));
            None
        }
    };
    Some((id?, data?))
}

/// Decodes one complete message (a frame, or a reassembled transfer).
fn apply(frame: usize, pgn: u32, data: &[u8], out: &mut Decoded, problems: &mut Vec<Problem>) {
    if pgn == PGN_DM1 {
        apply_dm1(frame, data, out, problems);
        return;
    }
    let Some(&(_, acronym, params)) = PGNS.iter().find(|(p, ..)| *p == pgn) else {
        return;
    };
    if data.len() < 8 {
        problems.push(Problem::new(
            format!("frames[{frame}].data"),
            format!(
                "{acronym} (PGN {pgn}) frames carry 8 data bytes, got {}",
                data.len()
            ),
        ));
        return;
    }
    if pgn == PGN_DPFC1 {
        // SPN 3700, byte 2 bits 3-4: 0 not active, 1 active, 2 needed (not active yet).
        match (data[1] >> 2) & 0b11 {
            3 => {}
            status => {
                let active = if status == 1 { 1.0 } else { 0.0 };
                out.signals
                    .insert(names::DPF_REGEN_ACTIVE.to_owned(), active);
            }
        }
    }
    for p in params {
        let Some(value) = read(data, p) else { continue };
        match p.target {
            Target::Signal(name) => {
                out.signals.insert(name.to_owned(), value);
            }
            Target::EngineHours => out.engine_hours = Some(value),
            Target::OdometerHighRes => out.odometer_high_res = Some(value),
            Target::OdometerLowRes => out.odometer_low_res = Some(value),
        }
    }
}

/// The scaled value of a parameter, `None` in the error / not-available ranges.
fn read(data: &[u8], p: &Param) -> Option<f64> {
    let bytes = &data[p.byte - 1..p.byte - 1 + p.len];
    let raw = bytes
        .iter()
        .rev()
        .fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
    let max_valid = match p.len {
        1 => 0xFA,
        2 => 0xFAFF,
        _ => 0xFAFF_FFFF,
    };
    if raw > max_valid {
        return None;
    }
    let value = f64::from(raw).mul_add(p.scale, p.offset);
    Some(if (-p.noise..0.0).contains(&value) {
        0.0
    } else {
        value
    })
}

fn apply_dm1(frame: usize, data: &[u8], out: &mut Decoded, problems: &mut Vec<Problem>) {
    // Bytes 1-2 are lamp states; then 4-byte DTCs.
    for chunk in data.get(2..).unwrap_or_default().chunks_exact(4) {
        let spn =
            u32::from(chunk[0]) | (u32::from(chunk[1]) << 8) | (u32::from(chunk[2] >> 5) << 16);
        let fmi = chunk[2] & 0x1F;
        if (spn == 0 && fmi == 0) || (spn == 0x7_FFFF && fmi == 0x1F) {
            continue; // "no active fault" placeholder, or padding
        }
        if chunk[3] & 0x80 != 0 {
            problems.push(Problem::new(
                format!("frames[{frame}].data"),
                "a DM1 fault uses an old SPN conversion method (CM bit set), so its SPN cannot \
                 be read reliably; only conversion method 4 is supported",
            ));
            continue;
        }
        let occurrences = Some(chunk[3] & 0x7F).filter(|oc| *oc != 0x7F);
        let duplicate = out
            .dtcs
            .iter()
            .any(|d| matches!(d, Dtc::J1939 { spn: s, fmi: f, .. } if *s == spn && *f == fmi));
        if !duplicate {
            out.dtcs.push(Dtc::J1939 {
                spn,
                fmi,
                occurrences,
            });
        }
    }
}

fn start_bam(frame: usize, data: &[u8], problems: &mut Vec<Problem>) -> Option<Bam> {
    if data.first() != Some(&TP_CM_BAM) {
        return None; // RTS/CTS and friends: destination-specific, skipped
    }
    let bad = |message: String| Problem::new(format!("frames[{frame}].data"), message);
    if data.len() < 8 {
        problems.push(bad(format!(
            "TP.CM BAM frames carry 8 data bytes, got {}",
            data.len()
        )));
        return None;
    }
    let size = usize::from(u16::from_le_bytes([data[1], data[2]]));
    let packets = data[3];
    let pgn = u32::from_le_bytes([data[5], data[6], data[7], 0]);
    if !(9..=1785).contains(&size) || usize::from(packets) != size.div_ceil(7) {
        problems.push(bad(format!(
            "TP.CM BAM announces {size} bytes in {packets} packets, which do not match"
        )));
        return None;
    }
    Some(Bam {
        frame,
        pgn,
        size,
        packets,
        data: Vec::with_capacity(size + 7),
        received: 0,
    })
}

/// Adds a TP.DT packet to its transfer; the transfer once complete.
fn continue_bam(
    frame: usize,
    source: u8,
    data: &[u8],
    transfers: &mut HashMap<u8, Bam>,
    problems: &mut Vec<Problem>,
) -> Option<Bam> {
    // Packets without an announced transfer: capture started mid-transfer, or RTS/CTS.
    let bam = transfers.get_mut(&source)?;
    let sequence = data.first().copied().unwrap_or(0);
    if sequence != bam.received + 1 || data.len() < 2 {
        let message = format!(
            "TP.DT packet {sequence} of the transfer announced by frames[{}] is out of order \
             or empty; expected packet {}",
            bam.frame,
            bam.received + 1
        );
        if let Some(broken) = transfers.remove(&source)
            && is_decoded(broken.pgn)
        {
            problems.push(Problem::new(format!("frames[{frame}].data"), message));
        }
        return None;
    }
    bam.data.extend_from_slice(&data[1..]);
    bam.received += 1;
    if bam.received < bam.packets {
        return None;
    }
    let mut done = transfers.remove(&source)?;
    done.data.truncate(done.size);
    Some(done)
}

fn report_incomplete(bam: &Bam, problems: &mut Vec<Problem>) {
    if is_decoded(bam.pgn) {
        problems.push(Problem::new(
            format!("frames[{}].data", bam.frame),
            format!(
                "multi-packet transfer of PGN {} is incomplete: {} of {} packets arrived",
                bam.pgn, bam.received, bam.packets
            ),
        ));
    }
}

/// Whether this adapter decodes `pgn` (broken transfers of other PGNs do not matter).
fn is_decoded(pgn: u32) -> bool {
    pgn == PGN_DM1 || PGNS.iter().any(|(p, ..)| *p == pgn)
}

/// The frame index of a `frames[i]…` path, so problems come out in frame order.
fn frame_index(field: &str) -> usize {
    field
        .strip_prefix("frames[")
        .and_then(|rest| rest.split(']').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn request(frames: &[(&str, &str)]) -> J1939Request {
        J1939Request {
            reading_id: None,
            vehicle_id: "TRUCK-042".into(),
            vin: None,
            recorded_at: Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap(),
            odometer_km: None,
            engine_hours: None,
            location: None,
            frames: frames
                .iter()
                .map(|(id, data)| CanFrame {
                    id: (*id).into(),
                    data: (*data).into(),
                })
                .collect(),
        }
    }

    fn decode_ok(frames: &[(&str, &str)]) -> TelemetryReading {
        decode(request(frames)).unwrap()
    }

    fn signal(id: &str, data: &str, name: &str) -> Option<f64> {
        decode_ok(&[(id, data)]).signals.get(name).copied()
    }

    fn assert_close(actual: Option<f64>, expected: f64) {
        let actual = actual.expect("signal missing");
        assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
    }

    fn fields(problems: &[Problem]) -> Vec<&str> {
        problems.iter().map(|p| p.field.as_str()).collect()
    }

    #[test]
    fn pgn_extraction_handles_pdu1_and_pdu2() {
        assert_eq!(pgn_of(0x0CF0_0400), 61_444);
        assert_eq!(pgn_of(0x18FE_EE00), 65_262);
        assert_eq!(pgn_of(0x18EA_FF00), 59_904);
        assert_eq!(pgn_of(0x18EA_0017), 59_904);
        assert_eq!(pgn_of(0x1CEC_FF00), PGN_TP_CM);
    }

    #[test]
    fn decodes_engine_and_vehicle_parameters() {
        let rpm = signal("0CF00400", "FF FF FF 68 13 FF FF FF", names::ENGINE_RPM);
        assert_close(rpm, 621.0);
        assert_close(
            signal(
                "0x0CF00300",
                "FF FF 4B FF FF FF FF FF",
                names::ENGINE_LOAD_PCT,
            ),
            75.0,
        );
        assert_close(
            signal("18FEEE00", "7B FF A0 2E FF FF FF FF", names::COOLANT_TEMP_C),
            83.0,
        );
        assert_close(
            signal("18FEEE00", "7B FF A0 2E FF FF FF FF", names::OIL_TEMP_C),
            100.0,
        );
        assert_close(
            signal("18FEEF00", "FF FF C8 64 FF FF FF FF", names::OIL_LEVEL_PCT),
            80.0,
        );
        assert_close(
            signal(
                "18FEEF00",
                "FF FF C8 64 FF FF FF FF",
                names::OIL_PRESSURE_KPA,
            ),
            400.0,
        );
        assert_close(
            signal(
                "18FEF100",
                "FF 00 3C FF FF FF FF FF",
                names::VEHICLE_SPEED_KPH,
            ),
            60.0,
        );
        assert_close(
            signal("18FEF200", "F4 01 FF FF FF FF FF FF", names::FUEL_RATE_LPH),
            25.0,
        );
        assert_close(
            signal("18FEF500", "FF FF FF 40 25 FF FF FF", names::AMBIENT_TEMP_C),
            25.0,
        );
        assert_close(
            signal(
                "18FEF600",
                "14 32 FF FF FF FF FF FF",
                names::BOOST_PRESSURE_KPA,
            ),
            100.0,
        );
        assert_close(
            signal(
                "18FEF600",
                "14 32 FF FF FF FF FF FF",
                names::EXHAUST_BACK_PRESSURE_KPA,
            ),
            10.0,
        );
        assert_close(
            signal(
                "18FEF700",
                "FF FF FF FF 16 01 FF FF",
                names::BATTERY_VOLTAGE_V,
            ),
            13.9,
        );
        assert_close(
            signal(
                "18FEF800",
                "FF FF FF FF A0 2E FF FF",
                names::TRANS_OIL_TEMP_C,
            ),
            100.0,
        );
    }

    #[test]
    fn decodes_aftertreatment_parameters() {
        assert_close(
            signal(
                "18FD7B00",
                "50 FF FF FF FF FF FF FF",
                names::DPF_SOOT_LOAD_PCT,
            ),
            80.0,
        );
        assert_close(
            signal(
                "18FDB200",
                "FF FF FF FF 64 00 FF FF",
                names::DPF_DIFF_PRESSURE_KPA,
            ),
            10.0,
        );
        assert_close(
            signal(
                "18FD8C00",
                "2C 01 FF FF FF FF FF FF",
                names::EXHAUST_BACK_PRESSURE_KPA,
            ),
            30.0,
        );
        assert_close(
            signal(
                "18F00E00",
                "58 1B FF FF FF FF FF FF",
                names::SCR_NOX_UPSTREAM_PPM,
            ),
            150.0,
        );
        // 3900 * 0.05 - 200 = -5 ppm: sensor noise around zero.
        assert_close(
            signal(
                "18F00F00",
                "3C 0F FF FF FF FF FF FF",
                names::SCR_NOX_DOWNSTREAM_PPM,
            ),
            0.0,
        );
        let regen = |byte2: &str| {
            signal(
                "18FD7C00",
                &format!("FF {byte2} FF FF FF FF FF FF"),
                names::DPF_REGEN_ACTIVE,
            )
        };
        assert_eq!(regen("F4"), Some(1.0));
        assert_eq!(regen("F0"), Some(0.0));
        assert_eq!(regen("F8"), Some(0.0));
        assert_eq!(regen("FF"), None);
    }

    #[test]
    fn not_available_values_are_skipped() {
        assert_eq!(
            signal("0CF00400", "FF FF FF FF FF FF FF FF", names::ENGINE_RPM),
            None
        );
        assert_eq!(
            signal("0CF00400", "FF FF FF 00 FE FF FF FF", names::ENGINE_RPM),
            None
        );
        let r = decode_ok(&[("18FEEE00", "FF FF A0 2E FF FF FF FF")]);
        assert!(!r.signals.contains_key(names::COOLANT_TEMP_C));
        assert!(r.signals.contains_key(names::OIL_TEMP_C));
    }

    #[test]
    fn hours_and_distance_fill_missing_fields_only() {
        let frames = [
            ("18FEE500", "98 3A 00 00 FF FF FF FF"),
            ("18FEE000", "FF FF FF FF 00 00 01 00"),
        ];
        let r = decode_ok(&frames);
        assert_eq!(r.engine_hours, Some(750.0));
        assert_eq!(r.odometer_km, Some(8_192.0));
        let mut with_vdhr = frames.to_vec();
        with_vdhr.push(("18FEC100", "80 84 1E 00 FF FF FF FF"));
        assert_eq!(decode_ok(&with_vdhr).odometer_km, Some(10_000.0));
        let mut req = request(&with_vdhr);
        req.odometer_km = Some(1.0);
        req.engine_hours = Some(2.0);
        let r = decode(req).unwrap();
        assert_eq!((r.odometer_km, r.engine_hours), (Some(1.0), Some(2.0)));
    }

    #[test]
    fn later_frames_win_and_unknown_pgns_are_skipped() {
        let r = decode_ok(&[
            ("0CF00400", "FF FF FF 68 13 FF FF FF"),
            ("18FF1234", "01 02"),
            ("0CF00401", "FF FF FF 00 19 FF FF FF"),
        ]);
        assert_eq!(r.signals[names::ENGINE_RPM], 800.0);
        assert_eq!(r.signals.len(), 1);
    }

    #[test]
    fn dm1_single_frame() {
        let r = decode_ok(&[("18FECA00", "44 FF B3 0C 02 01 FF FF")]);
        assert_eq!(
            r.dtcs,
            [Dtc::J1939 {
                spn: 3251,
                fmi: 2,
                occurrences: Some(1)
            }]
        );
        // High SPN bits in byte 5; occurrence count not available.
        let r = decode_ok(&[("18FECA00", "04 FF 10 27 E3 7F FF FF")]);
        assert_eq!(
            r.dtcs,
            [Dtc::J1939 {
                spn: 10_000 | 7 << 16,
                fmi: 3,
                occurrences: None
            }]
        );
        assert!(
            decode_ok(&[("18FECA00", "00 FF 00 00 00 00 FF FF")])
                .dtcs
                .is_empty()
        );
    }

    #[test]
    fn dm1_duplicates_across_ecus_are_kept_once() {
        let r = decode_ok(&[
            ("18FECA00", "44 FF B3 0C 02 01 FF FF"),
            ("18FECA3D", "44 FF B3 0C 02 05 FF FF"),
        ]);
        assert_eq!(r.dtcs.len(), 1);
    }

    #[test]
    fn dm1_old_conversion_method_is_refused() {
        let problems = decode(request(&[("18FECA00", "44 FF B3 0C 02 81 FF FF")])).unwrap_err();
        assert_eq!(fields(&problems), ["frames[0].data"]);
        assert!(problems[0].message.contains("conversion method"));
    }

    #[test]
    fn dm1_over_bam_is_reassembled() {
        // 14 bytes = lamps + 3 DTCs, in 2 packets, from source address 0x00.
        let r = decode_ok(&[
            ("1CECFF00", "20 0E 00 02 FF CA FE 00"),
            ("1CEBFF00", "01 44 FF 6E 00 03 01 B3"),
            ("18FEEE00", "7B FF FF FF FF FF FF FF"),
            ("1CEBFF00", "02 0C 02 01 64 00 12 7F"),
        ]);
        assert_eq!(
            r.dtcs,
            [
                Dtc::J1939 {
                    spn: 110,
                    fmi: 3,
                    occurrences: Some(1)
                },
                Dtc::J1939 {
                    spn: 3251,
                    fmi: 2,
                    occurrences: Some(1)
                },
                Dtc::J1939 {
                    spn: 100,
                    fmi: 18,
                    occurrences: None
                },
            ]
        );
        assert_eq!(r.signals[names::COOLANT_TEMP_C], 83.0);
    }

    #[test]
    fn broken_bam_transfers_are_problems() {
        let incomplete = decode(request(&[
            ("1CECFF00", "20 0E 00 02 FF CA FE 00"),
            ("1CEBFF00", "01 44 FF 6E 00 03 01 B3"),
        ]))
        .unwrap_err();
        assert_eq!(fields(&incomplete), ["frames[0].data"]);
        assert!(incomplete[0].message.contains("1 of 2 packets"));
        let out_of_order = decode(request(&[
            ("1CECFF00", "20 0E 00 02 FF CA FE 00"),
            ("1CEBFF00", "02 0C 02 01 64 00 12 7F"),
        ]))
        .unwrap_err();
        assert_eq!(fields(&out_of_order), ["frames[1].data"]);
        // A transfer of a PGN we do not decode is nobody's business.
        assert!(decode(request(&[("1CECFF00", "20 0E 00 02 FF 00 FF 00")])).is_ok());
        let unknown_out_of_order = request(&[
            ("1CECFF00", "20 0E 00 02 FF 00 FF 00"),
            ("1CEBFF00", "02 0C 02 01 64 00 12 7F"),
        ]);
        assert!(decode(unknown_out_of_order).is_ok());
        // Packets without an announcement are skipped.
        assert!(decode(request(&[("1CEBFF00", "01 44 FF 6E 00 03 01 B3")])).is_ok());
    }

    #[test]
    fn every_frame_problem_is_reported() {
        let problems = decode(request(&[
            ("0CF00400", "FF FF FF 68 13 FF FF FF"),
            ("XYZ", "00"),
            ("20000000", "00"),
            ("0CF00400", "FF FF"),
            ("0CF00400", "FF FF FF 68 13 FF FF FF 00"),
            ("0CF00400", "1"),
            ("nope", "zz"),
        ]))
        .unwrap_err();
        assert_eq!(
            fields(&problems),
            [
                "frames[1].id",
                "frames[2].id",
                "frames[3].data",
                "frames[4].data",
                "frames[5].data",
                "frames[6].id",
                "frames[6].data",
            ]
        );
        assert_eq!(
            problems[2].message,
            "EEC1 (PGN 61444) frames carry 8 data bytes, got 2"
        );
    }
}
