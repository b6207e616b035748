//! Synthetic claims for the index's tests: stories per component with random details,
//! shops, amounts and orgs from a seeded generator, and reworded copies (sentences
//! reordered, synonyms swapped, filler added) that keep the shop and the amounts.

use chrono::{NaiveDate, TimeZone, Utc};
use shared_schemas::events::Component;
use uuid::Uuid;

use crate::domain::model::{Claim, ClaimCost, ClaimPart, RepairShop};

/// A small deterministic generator (splitmix64).
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) const fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) const fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    #[allow(clippy::cast_possible_truncation)]
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    #[allow(clippy::cast_precision_loss)]
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1_u64 << 53) as f64
    }

    pub(crate) fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Story templates per component: `{code}`, `{n}` and `{part}` are filled at random.
fn stories(c: Component) -> &'static [&'static str] {
    match c {
        Component::Dpf => &[
            "DPF clogged, regeneration failed {n} times and the engine derated. Code {code} stored. Replaced the {part}.",
            "Soot load warning on the dash, forced regen aborted. Differential pressure high, fault {code}. Installed new {part}.",
        ],
        Component::ScrDef => &[
            "DEF quality warning, NOx sensor reading out of range, code {code}. Replaced the {part} after {n} hour test.",
            "Urea doser blocked with crystals, SCR efficiency low. Fault {code} active. Fitted a new {part}.",
        ],
        Component::EngineOil => &[
            "Low oil pressure alarm on highway, engine knocking. Code {code}. Oil pump and {part} replaced, {n} litres refilled.",
            "Oil leaking from the rear main seal, puddle under truck overnight. Replaced {part}, fault {code} cleared.",
        ],
        Component::Cooling => &[
            "Engine overheating climbing a grade, coolant boiled over. Water pump seized, code {code}. New {part} fitted.",
            "Coolant loss, radiator cracked at the tank seam. Temperature gauge high for {n} km. Replaced {part}.",
        ],
        Component::Brakes => &[
            "Brake pedal soft, air pressure dropping, code {code}. Replaced the {part} on axle {n}.",
            "Grinding noise when stopping, rotor scored down to the rivets. Fitted new {part}, fault {code}.",
        ],
        Component::Battery => &[
            "No crank in the morning, batteries drained to {n} volts. Alternator not charging, code {code}. Replaced {part}.",
            "Battery swollen and hot, charging system overvoltage fault {code}. New {part} installed.",
        ],
        Component::Transmission => &[
            "Transmission slipping out of gear under load, harsh shift into {n}th. Code {code}. Clutch pack and {part} replaced.",
            "Gearbox stuck in neutral, shift solenoid fault {code}. Fluid burnt. Installed new {part}.",
        ],
        Component::Tires => &[
            "Steer tire blowout at speed, sidewall separation. TPMS alarm {code}. Mounted new {part}.",
            "Uneven tread wear on drive axle, tire lost pressure {n} times. Replaced the {part}, fault {code}.",
        ],
    }
}

fn parts(c: Component) -> &'static [&'static str] {
    match c {
        Component::Dpf => &["dpf filter", "pressure sensor", "dpf gasket kit"],
        Component::ScrDef => &["nox sensor", "def doser", "def pump"],
        Component::EngineOil => &["oil cooler", "rear main seal", "oil pressure sensor"],
        Component::Cooling => &["water pump", "radiator", "thermostat"],
        Component::Brakes => &["brake chamber", "rotor and pads", "air compressor"],
        Component::Battery => &["battery pair", "alternator", "starter relay"],
        Component::Transmission => &["shift solenoid", "valve body", "clutch kit"],
        Component::Tires => &["steer tire", "drive tire pair", "valve stems"],
    }
}

const SHOP_WORDS: [&str; 12] = [
    "Lakeside",
    "Prairie",
    "Redline",
    "Summit",
    "Harbor",
    "Ironworks",
    "Eagle",
    "Valley",
    "Northgate",
    "Riverbend",
    "Pinecrest",
    "Granite",
];
const SHOP_KINDS: [&str; 5] = [
    "Truck Repair",
    "Diesel Service",
    "Fleet Care",
    "Motors",
    "Garage",
];
const REGIONS: [&str; 6] = ["US-IL", "US-TX", "US-CA", "DE-BY", "FR-IDF", "US-OH"];

/// Claims over three orgs (`org-0`..`org-2`), 40 shops, every component.
pub(crate) struct Corpus {
    pub(crate) claims: Vec<Claim>,
}

impl Corpus {
    pub(crate) fn new(seed: u64, n: usize) -> Self {
        let mut rng = Rng::new(seed);
        let claims = (0..n).map(|_| claim(&mut rng, None)).collect();
        Self { claims }
    }
}

/// One random claim; `org` forces the organization.
pub(crate) fn claim(rng: &mut Rng, org: Option<&str>) -> Claim {
    let component = *rng.pick(&Component::ALL);
    let part = *rng.pick(parts(component));
    let shop_no = rng.below(40);
    let description = rng
        .pick(stories(component))
        .replace("{code}", &format!("P{:04X}", rng.below(0xFFFF)))
        .replace("{n}", &(2 + rng.below(9)).to_string())
        .replace("{part}", part);
    let labour_hours = rng.unit().mul_add(14.0, 1.0).round();
    let cost = ClaimCost {
        parts: vec![ClaimPart {
            part: part.replace(' ', "_"),
            quantity: 1 + u32::from(rng.below(3) == 0),
            unit_price: rng.unit().powi(2).mul_add(6_000.0, 50.0).round(),
        }],
        labour_hours,
        labour_rate: 95.0 + (rng.below(6) * 15) as f64,
        currency: "USD".to_owned(),
    };
    Claim {
        id: Uuid::from_u128(u128::from(rng.next()) << 64 | u128::from(rng.next())),
        org_id: org.map_or_else(|| format!("org-{}", rng.below(3)), str::to_owned),
        vehicle_id: format!("veh-{}", rng.below(1_000_000)),
        vin: vin(rng),
        component,
        failure_date: NaiveDate::from_ymd_opt(
            2026,
            1 + rng.below(12) as u32,
            1 + rng.below(28) as u32,
        )
        .unwrap_or_default(),
        odometer_km: (rng.unit() * 600_000.0).round(),
        description,
        shop: RepairShop {
            id: format!("shop-{shop_no}"),
            name: format!("{} {}", SHOP_WORDS[shop_no % 12], SHOP_KINDS[shop_no % 5]),
            region: REGIONS[shop_no % REGIONS.len()].to_owned(),
        },
        cost,
        submitted_by: "claimant".to_owned(),
        submitted_at: Utc
            .timestamp_opt(1_780_000_000, 0)
            .single()
            .unwrap_or_default(),
    }
}

/// A random 17-character VIN.
pub(crate) fn vin(rng: &mut Rng) -> String {
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ0123456789";
    (0..17)
        .map(|_| char::from(CHARS[rng.below(CHARS.len())]))
        .collect()
}

const SYNONYMS: [(&str, &str); 16] = [
    ("replaced", "swapped out"),
    ("Replaced", "Swapped out"),
    ("new", "brand new"),
    ("fault", "error"),
    ("code", "DTC"),
    ("Code", "DTC"),
    ("engine", "motor"),
    ("warning", "alert"),
    ("installed", "put in"),
    ("Installed", "Put in"),
    ("fitted", "installed"),
    ("Fitted", "Installed"),
    ("truck", "unit"),
    ("times", "occasions"),
    ("high", "elevated"),
    ("after", "following"),
];

const FILLERS: [&str; 4] = [
    "Driver reported:",
    "Per technician,",
    "Customer states",
    "Inspection done.",
];

/// The same claim told again on another vehicle: new id, VIN and vehicle, sentences in
/// reverse order, a few synonyms swapped, a filler phrase; same org, shop and amounts.
pub(crate) fn reword(c: &Claim, seed: u64) -> Claim {
    let mut rng = Rng::new(seed ^ 0x5eed);
    let mut sentences: Vec<&str> = c.description.split(". ").collect();
    sentences.reverse();
    let mut text = sentences.join(". ");
    for (i, (from, to)) in SYNONYMS.iter().enumerate() {
        if (seed + i as u64).is_multiple_of(2) {
            text = text.replace(from, to);
        }
    }
    let mut copy = c.clone();
    copy.description = format!("{} {text}", rng.pick(&FILLERS));
    copy.id = Uuid::from_u128(u128::from(rng.next()) << 64 | u128::from(rng.next()));
    copy.vin = vin(&mut rng);
    copy.vehicle_id = format!("veh-{}", rng.below(1_000_000));
    copy
}
