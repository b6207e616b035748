//! Claim descriptions as owners and shops write them: a symptom, what happened, where,
//! and sometimes what the shop found, so two honest claims of the same fault rarely read
//! alike; and the near copy a fraudster makes of another vehicle's claim.

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
    "Came on after a long climb",
    "Started intermittently, then stayed on",
    "Driver heard a noise before the warning",
    "Found on the pre-trip inspection",
    "Customer delivery had to be rescheduled",
    "Second driver confirmed the symptom",
    "Limped back to the yard at low speed",
];

const PLACES: &[&str] = &[
    "on the ring road",
    "at a customer site",
    "leaving the depot",
    "on the motorway",
    "in city traffic",
    "at the loading bay",
    "on a rural route",
    "in the overnight parking",
];

const FINDINGS: &[&str] = &[
    "Shop replaced the failed parts and road tested",
    "Diagnosis took longer than expected",
    "Parts ordered, vehicle off the road meanwhile",
    "Shop found no external damage",
    "Related fault codes cleared after the repair",
    "Photos of the failed part attached",
];

fn pick<'a>(rng: &mut SmallRng, from: &[&'a str]) -> &'a str {
    from[rng.random_range(0..from.len())]
}

/// A fresh description of a failure of `c`.
pub(crate) fn describe(
    rng: &mut SmallRng,
    c: Component,
    km: f64,
    day: chrono::NaiveDate,
) -> String {
    let mut text = format!(
        "{} {}. {}.",
        pick(rng, symptoms(c)),
        pick(rng, PLACES),
        pick(rng, DETAILS)
    );
    if rng.random_bool(0.6) {
        text.push_str(&format!(" {}.", pick(rng, FINDINGS)));
    }
    if rng.random_bool(0.5) {
        text.push_str(&format!(
            " Odometer about {:.0} km, {}.",
            (km / 100.0).round() * 100.0,
            day.format("%A %e %B")
        ));
    } else {
        text.push_str(&format!(" Unit {}.", rng.random_range(100..999)));
    }
    text
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
