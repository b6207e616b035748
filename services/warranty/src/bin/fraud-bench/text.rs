//! Claim descriptions as owners and shops write them, and a stand-in for the service's
//! vector index: cosine similarity of hashed character trigrams.

use rand::Rng;
use rand::rngs::SmallRng;
use shared_schemas::events::Component;

fn symptoms(c: Component) -> &'static [&'static str] {
    match c {
        Component::EngineOil => &[
            "Oil pressure warning on the dash",
            "Engine losing oil, low pressure at idle",
            "Oil leak under the engine, pressure light",
        ],
        Component::Cooling => &[
            "Engine overheated on the highway",
            "Coolant leaking from the water pump",
            "Temperature gauge in the red, steam from the bonnet",
        ],
        Component::Dpf => &[
            "DPF warning lamp, regeneration fails",
            "Loss of power, exhaust back-pressure high",
            "Particulate filter blocked, limp mode",
        ],
        Component::ScrDef => &[
            "DEF system fault, NOx warning",
            "Emissions lamp on, SCR efficiency low",
            "AdBlue warning and derate countdown",
        ],
        Component::Brakes => &[
            "Brakes grinding, pads worn to the backing",
            "Brake pedal soft, pulling to one side",
            "Brake wear indicator on, noise when stopping",
        ],
        Component::Battery => &[
            "Vehicle would not start, battery flat",
            "Battery warning light, slow cranking",
            "Charging fault, battery dead in the morning",
        ],
        Component::Transmission => &[
            "Transmission slipping between gears",
            "Gearbox overheating, harsh shifts",
            "Transmission warning, stuck in limp gear",
        ],
        Component::Tires => &[
            "Tire losing pressure, TPMS warning",
            "Tread separation on the rear tire",
            "Sidewall bulge, tire pressure dropping",
        ],
    }
}

const DETAILS: &[&str] = &[
    "Driver stopped at the next safe place",
    "Noticed during the morning route",
    "Happened with a full load on a hot day",
    "Reported by the driver after the shift",
    "Fault code read at the depot",
    "Vehicle towed to the workshop",
    "Workshop confirmed the failure on inspection",
];

/// A fresh description of a failure of `c`.
pub(crate) fn describe(
    rng: &mut SmallRng,
    c: Component,
    km: f64,
    day: chrono::NaiveDate,
) -> String {
    let s = symptoms(c);
    format!(
        "{}. {}. Odometer about {:.0} km, {}.",
        s[rng.random_range(0..s.len())],
        DETAILS[rng.random_range(0..DETAILS.len())],
        (km / 100.0).round() * 100.0,
        day.format("%A %e %B")
    )
}

/// A near copy of `text`: one word changed and the odometer restated.
pub(crate) fn near_copy(rng: &mut SmallRng, text: &str, km: f64) -> String {
    let mut words: Vec<String> = text.split(' ').map(str::to_owned).collect();
    if let Some(w) = words
        .iter_mut()
        .find(|w| w.chars().all(char::is_alphabetic))
    {
        w.push('s');
    }
    let i = rng.random_range(0..words.len());
    words.insert(i, "also".to_owned());
    format!("{} ({:.0} km)", words.join(" "), km)
}

const DIM: usize = 512;

/// The hashed trigram vector, L2-normalised.
pub(crate) fn embed(text: &str) -> Vec<f32> {
    let mut v = vec![0.0_f32; DIM];
    let chars: Vec<char> = text.to_lowercase().chars().collect();
    for w in chars.windows(3) {
        let h = w.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, c| {
            (h ^ u64::from(*c)).wrapping_mul(0x100_0000_01b3)
        });
        v[(h % DIM as u64) as usize] += 1.0;
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

/// Cosine similarity of two embeddings.
pub(crate) fn cosine(a: &[f32], b: &[f32]) -> f64 {
    f64::from(a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>())
}
