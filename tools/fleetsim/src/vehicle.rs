//! The fleet: vehicle identities (ids, VINs with valid check digits), home bases and
//! the per-vehicle constants that make two trucks of the same profile differ.

use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::degradation::Degradation;
use crate::odometer::OdometerFault;
use crate::profile::{DutyProfile, VehicleKind};

/// A depot or home town, with its climate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HomeBase {
    /// City name.
    pub name: &'static str,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Annual mean temperature, °C.
    pub mean_temp_c: f64,
    /// Half the difference between the July and January means, °C.
    pub season_amp_c: f64,
    /// Half the typical day/night swing, °C.
    pub day_amp_c: f64,
    /// Standard-time UTC offset, hours (daylight saving is ignored).
    pub utc_offset_h: i32,
}

const fn base(
    name: &'static str,
    lat: f64,
    lon: f64,
    mean_temp_c: f64,
    season_amp_c: f64,
    day_amp_c: f64,
    utc_offset_h: i32,
) -> HomeBase {
    HomeBase {
        name,
        lat,
        lon,
        mean_temp_c,
        season_amp_c,
        day_amp_c,
        utc_offset_h,
    }
}

/// North-American depots (the VINs are North-American too).
pub static HOME_BASES: &[HomeBase] = &[
    base("Chicago", 41.88, -87.63, 10.5, 14.0, 5.0, -6),
    base("Dallas", 32.78, -96.80, 19.5, 10.5, 6.0, -6),
    base("Atlanta", 33.75, -84.39, 17.5, 9.5, 5.5, -5),
    base("Denver", 39.74, -104.99, 10.5, 11.5, 8.0, -7),
    base("Phoenix", 33.45, -112.07, 24.0, 10.5, 7.5, -7),
    base("Los Angeles", 34.05, -118.24, 18.5, 4.5, 5.0, -8),
    base("Seattle", 47.61, -122.33, 11.5, 7.0, 4.5, -8),
    base("Minneapolis", 44.98, -93.27, 8.0, 16.0, 5.5, -6),
    base("Toronto", 43.65, -79.38, 9.0, 13.0, 5.0, -5),
    base("Montreal", 45.50, -73.57, 7.0, 15.0, 5.0, -5),
    base("Edmonton", 53.55, -113.49, 4.0, 15.0, 6.0, -7),
    base("Memphis", 35.15, -90.05, 17.0, 11.0, 5.5, -6),
    base("Houston", 29.76, -95.37, 21.0, 8.0, 5.0, -6),
    base("Kansas City", 39.10, -94.58, 13.0, 14.0, 6.0, -6),
    base("Columbus", 39.96, -83.00, 12.0, 12.5, 5.5, -5),
    base("Salt Lake City", 40.76, -111.89, 11.5, 13.0, 7.0, -7),
    base("Monterrey", 25.69, -100.32, 22.5, 7.5, 6.0, -6),
    base("Winnipeg", 49.90, -97.14, 3.0, 19.0, 6.0, -6),
];

/// Constants of one vehicle, drawn once so vehicles of a profile differ.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VehicleParams {
    /// Warm idle speed, rpm.
    pub idle_rpm: f64,
    /// Rated engine speed, rpm.
    pub rated_rpm: f64,
    /// Thermostat regulating temperature, °C.
    pub thermostat_c: f64,
    /// Oil pressure at warm idle, kPa.
    pub oil_idle_hot_kpa: f64,
    /// Placard cold inflation pressure per wheel (FL, FR, RL, RR), kPa gauge.
    pub tire_nominal_kpa: [f64; 4],
    /// Natural air loss per wheel, fraction per day.
    pub tire_leak_per_day: [f64; 4],
    /// New pad lining thickness, mm.
    pub pad_new_mm: f64,
    /// Pad thickness at the start of the run, mm.
    pub pad_start_mm: f64,
    /// Odometer at the start of the run, km.
    pub odometer_start_km: f64,
    /// Engine hours at the start of the run, h.
    pub engine_hours_start: f64,
    /// Rested open-circuit battery voltage at 20 °C, V.
    pub battery_rest_v: f64,
    /// Alternator regulated voltage at 20 °C, V.
    pub charge_v: f64,
    /// DEF urea concentration in the tank, % (32.5 nominal).
    pub def_quality_pct: f64,
    /// SCR NOx conversion when warm and healthy.
    pub scr_efficiency: f64,
    /// Typical CAN message drop rate, %.
    pub can_drop_pct: f64,
    /// Failed regenerations counted before the run (diesels).
    pub failed_regens_start: f64,
    /// DPF soot load at the start, %.
    pub soot_start_pct: f64,
    /// Oil level at the start, %.
    pub oil_level_start_pct: f64,
    /// Normal oil consumption, % of level per engine hour.
    pub oil_use_pct_per_h: f64,
    /// ABS activations before the run.
    pub abs_start: f64,
    /// Offset of this vehicle's reporting clock, seconds, so a fleet does not report
    /// in lock-step.
    pub report_phase_s: i64,
}

/// One simulated vehicle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vehicle {
    /// Index in the fleet (also seeds the vehicle's own random stream).
    pub index: u32,
    /// Fleet id, `VH-000042`.
    pub id: String,
    /// 17-character North-American VIN with a correct check digit.
    pub vin: String,
    /// Manufacturer, from the VIN's WMI.
    pub make: &'static str,
    /// Model year (VIN position 10).
    pub model_year: i32,
    /// Truck or car.
    pub kind: VehicleKind,
    /// How it is used.
    pub profile: DutyProfile,
    /// Where it is based.
    pub home: &'static HomeBase,
    /// Its constants.
    pub params: VehicleParams,
    /// The injected fault, if any.
    pub degradation: Option<Degradation>,
    /// The injected odometer fault, if any (independent of `degradation`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub odometer_fault: Option<OdometerFault>,
    /// Off the road (broken down, in the workshop) from the first to the second
    /// instant, Unix seconds: no trips start, only parked heartbeats are sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub off_road: Option<(i64, i64)>,
    /// The realistic profile's extras (none on the default profile).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realism: Option<Box<crate::realism::Realism>>,
}

impl Vehicle {
    /// The fleet id of the vehicle with 0-based `index`.
    pub fn id_for(index: u32) -> String {
        format!("VH-{:06}", index + 1)
    }

    /// Builds vehicle `index` of a fleet, healthy; its identity and constants depend only
    /// on `seed`, `index` and `profile`. `days` sizes the brake pad budget so that a
    /// healthy vehicle never wears its pads out during the run.
    pub fn generate(seed: u64, index: u32, profile: DutyProfile, days: f64) -> Self {
        let mut rng = SmallRng::seed_from_u64(mix(seed, 0x0076_6568_6963_6c65, u64::from(index)));
        let kind = profile.kind();
        let (make, wmi) = pick(
            &mut rng,
            if kind.is_diesel() {
                TRUCK_WMIS
            } else {
                CAR_WMIS
            },
        );
        let model_year = if kind.is_diesel() {
            rng.random_range(2015..=2024)
        } else {
            rng.random_range(2012..=2024)
        };
        let vin = make_vin(&mut rng, wmi, model_year, index);
        let home = &HOME_BASES[rng.random_range(0..HOME_BASES.len())];
        let age_years = f64::from(2025 - model_year) + rng.random_range(0.1..0.9);
        let params = VehicleParams::draw(&mut rng, profile, age_years, days);
        Self {
            index,
            id: Self::id_for(index),
            vin,
            make,
            model_year,
            kind,
            profile,
            home,
            params,
            degradation: None,
            odometer_fault: None,
            off_road: None,
            realism: None,
        }
    }
}

impl VehicleParams {
    /// Draws the constants of a vehicle of `profile`, `age_years` old, for a run of
    /// `days`.
    fn draw(rng: &mut SmallRng, profile: DutyProfile, age_years: f64, days: f64) -> Self {
        let truck = profile.kind().is_diesel();
        // Utilisation drops as vehicles age (older trucks move to lighter duty), so
        // the odometer grows slower than the profile's current daily distance.
        let cap = if truck { 1_400_000.0 } else { 350_000.0 };
        let lifetime_km = age_years * profile.km_per_day() * 365.0 * rng.random_range(0.45..0.8);
        let odometer_start_km = lifetime_km.min(cap * rng.random_range(0.8..1.0));
        let avg_speed = match profile {
            DutyProfile::LongHaul => 70.0,
            DutyProfile::Regional => 50.0,
            DutyProfile::UrbanDelivery => 20.0,
            DutyProfile::CarCommuter => 38.0,
        };
        let pad_new_mm = if truck { 20.0 } else { 12.0 };
        // Pads are somewhere in their life, but with enough lining that normal wear
        // over the run (with a 1.5x margin) stays above 6 mm.
        let budget = profile.pad_wear_mm_per_1000km() * profile.km_per_day() * days / 1000.0 * 1.5;
        let pad_floor = (6.5 + budget).min(pad_new_mm - 0.5);
        let pad_start_mm = rng.random_range(pad_floor..pad_new_mm);
        let tire_nominal = if truck {
            [760.0, 760.0, 690.0, 690.0]
        } else {
            [240.0; 4]
        };
        let mut tire_leak = [0.0; 4];
        for l in &mut tire_leak {
            *l = rng.random_range(0.0002..0.0008);
        }
        Self {
            idle_rpm: if truck {
                rng.random_range(620.0..680.0)
            } else {
                rng.random_range(700.0..780.0)
            },
            rated_rpm: if truck { 1800.0 } else { 6000.0 },
            thermostat_c: rng.random_range(86.0..90.0),
            oil_idle_hot_kpa: if truck {
                rng.random_range(195.0..230.0)
            } else {
                rng.random_range(165.0..200.0)
            },
            tire_nominal_kpa: tire_nominal,
            tire_leak_per_day: tire_leak,
            pad_new_mm,
            pad_start_mm,
            odometer_start_km,
            engine_hours_start: odometer_start_km / avg_speed * rng.random_range(0.9..1.1),
            battery_rest_v: rng.random_range(12.58..12.74),
            charge_v: rng.random_range(13.95..14.25),
            def_quality_pct: rng.random_range(32.0..33.0),
            scr_efficiency: rng.random_range(0.94..0.97),
            can_drop_pct: rng.random_range(0.02..0.3),
            failed_regens_start: f64::from(rng.random_range(0..=2_u8)),
            soot_start_pct: rng.random_range(10.0..80.0),
            oil_level_start_pct: rng.random_range(85.0..97.0),
            oil_use_pct_per_h: if truck {
                rng.random_range(0.008..0.02)
            } else {
                rng.random_range(0.004..0.012)
            },
            abs_start: (age_years * rng.random_range(5.0..40.0)).round(),
            report_phase_s: rng.random_range(0..60),
        }
    }
}

/// Assigns profiles to `n` vehicles in the fleet shares (rounded, then shuffled), so a
/// small fleet still gets every profile.
pub fn profiles_for(n: u32, seed: u64) -> Vec<DutyProfile> {
    let mut out = Vec::with_capacity(n as usize);
    let mut carry = 0.0;
    for p in DutyProfile::ALL {
        let exact = f64::from(n) * p.fleet_share() + carry;
        let count = exact.round();
        carry = exact - count;
        out.extend(std::iter::repeat_n(p, count as usize));
    }
    out.resize(n as usize, DutyProfile::CarCommuter);
    let mut rng = SmallRng::seed_from_u64(mix(seed, 0x7072_6f66, 0));
    out.shuffle(&mut rng);
    out
}

/// Mixes a run seed with a purpose tag and an index into an independent stream seed
/// (SplitMix64 finalizer), so vehicle 7's stream does not depend on the fleet size.
pub fn mix(seed: u64, tag: u64, index: u64) -> u64 {
    let mut z =
        seed ^ tag.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<T: Copy>(rng: &mut SmallRng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

/// World manufacturer identifiers of North-American heavy-truck plants.
const TRUCK_WMIS: &[(&str, &str)] = &[
    ("Freightliner", "1FU"),
    ("Kenworth", "1XK"),
    ("Peterbilt", "1XP"),
    ("Volvo", "4V4"),
    ("Mack", "1M1"),
    ("International", "3HS"),
];

/// World manufacturer identifiers of North-American passenger-car plants.
const CAR_WMIS: &[(&str, &str)] = &[
    ("Ford", "1FA"),
    ("Chevrolet", "1G1"),
    ("Toyota", "2T1"),
    ("Honda", "1HG"),
    ("Nissan", "1N4"),
    ("Volkswagen", "3VW"),
];

/// Characters allowed in a VIN (no I, O, Q).
const VIN_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ0123456789";

/// Position weights of the North-American check digit (position 9 weighs 0).
const VIN_WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

/// The model-year code (VIN position 10) of years 2010–2030; the letters I, O, Q, U,
/// Z and the digit 0 are never used.
fn model_year_code(year: i32) -> u8 {
    const CODES: &[u8] = b"ABCDEFGHJKLMNPRSTVWXY";
    CODES[(year - 2010).clamp(0, CODES.len() as i32 - 1) as usize]
}

fn make_vin(rng: &mut SmallRng, wmi: &str, model_year: i32, index: u32) -> String {
    let mut vin = [b'0'; 17];
    vin[..3].copy_from_slice(wmi.as_bytes());
    for c in &mut vin[3..8] {
        *c = VIN_ALPHABET[rng.random_range(0..VIN_ALPHABET.len())];
    }
    vin[9] = model_year_code(model_year);
    vin[10] = VIN_ALPHABET[rng.random_range(0..VIN_ALPHABET.len())];
    // The serial embeds the fleet index, so VINs are unique within a fleet.
    let serial = format!("{:06}", (index + 1) % 1_000_000);
    vin[11..].copy_from_slice(serial.as_bytes());
    let text: String = vin.iter().map(|&b| char::from(b)).collect();
    let check = vin_check_digit(&text).expect("generated VIN uses the VIN alphabet");
    vin[8] = check as u8;
    vin.iter().map(|&b| char::from(b)).collect()
}

/// The value of a VIN character in the check-digit sum (ISO 3779 transliteration).
fn transliterate(c: u8) -> Option<u32> {
    Some(match c {
        b'0'..=b'9' => u32::from(c - b'0'),
        b'A' | b'J' => 1,
        b'B' | b'K' | b'S' => 2,
        b'C' | b'L' | b'T' => 3,
        b'D' | b'M' | b'U' => 4,
        b'E' | b'N' | b'V' => 5,
        b'F' | b'W' => 6,
        b'G' | b'P' | b'X' => 7,
        b'H' | b'Y' => 8,
        b'R' | b'Z' => 9,
        _ => return None,
    })
}

/// The North-American check digit (`0`–`9` or `X`) of a 17-character VIN, or `None`
/// when the VIN has the wrong length or a character outside the VIN alphabet.
pub fn vin_check_digit(vin: &str) -> Option<char> {
    let bytes = vin.as_bytes();
    if bytes.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (&c, w) in bytes.iter().zip(VIN_WEIGHTS) {
        sum += transliterate(c)? * w;
    }
    Some(match sum % 11 {
        10 => 'X',
        d => char::from_digit(d, 10)?,
    })
}

/// Whether `vin` is a well-formed VIN whose position 9 is its check digit.
pub fn is_valid_vin(vin: &str) -> bool {
    vin_check_digit(vin).is_some_and(|c| vin.as_bytes()[8] == c as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_matches_known_vins() {
        // The textbook example (check digit X) and a real-world one.
        assert_eq!(vin_check_digit("1M8GDM9AXKP042788"), Some('X'));
        assert!(is_valid_vin("1M8GDM9AXKP042788"));
        assert!(is_valid_vin("11111111111111111"));
        assert!(!is_valid_vin("1M8GDM9A1KP042788"));
        assert!(!is_valid_vin("1M8GDM9AXKP04278"));
        assert!(!is_valid_vin("1M8GDM9AXKP0427O8"));
    }

    #[test]
    fn generated_vins_are_valid_and_unique() {
        let profiles = profiles_for(500, 9);
        let mut seen = std::collections::HashSet::new();
        for (i, p) in profiles.iter().enumerate() {
            let v = Vehicle::generate(9, i as u32, *p, 90.0);
            assert!(is_valid_vin(&v.vin), "{} invalid", v.vin);
            assert!(
                matches!(v.vin.as_bytes()[0], b'1'..=b'5'),
                "not North-American"
            );
            assert!(!v.vin.contains(['I', 'O', 'Q']));
            assert!(seen.insert(v.vin.clone()), "duplicate {}", v.vin);
            assert_eq!(v.id, format!("VH-{:06}", i + 1));
        }
        assert_eq!(Vehicle::id_for(41), "VH-000042");
    }

    #[test]
    fn profiles_follow_shares_and_small_fleets_get_trucks_and_cars() {
        let p = profiles_for(100, 1);
        let count = |x| p.iter().filter(|&&y| y == x).count();
        assert_eq!(count(DutyProfile::LongHaul), 25);
        assert_eq!(count(DutyProfile::CarCommuter), 30);
        let small = profiles_for(5, 1);
        assert_eq!(small.len(), 5);
        assert!(small.iter().any(|p| p.kind() == VehicleKind::Car));
        assert!(small.iter().any(|p| p.kind() == VehicleKind::DieselTruck));
    }
}
