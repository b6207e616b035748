//! The work catalog: what an alert about a component at a severity books. Low severity
//! books routine service, medium and high the component repair, critical the
//! same repair as an emergency (emergency center, next slot). Durations follow DESIGN
//! (routine 1-2 h, diagnostic 2-3 h, repair 3-5 h); skills are the SPEC's; part names
//! are those of the SPEC samples' stock.

use std::collections::BTreeMap;

use shared_schemas::events::{AppointmentKind, Component, Severity};

use super::optimizer::instance::JobKind;

/// Work to book for one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkTemplate {
    pub kind: AppointmentKind,
    pub job_kind: JobKind,
    pub skill: &'static str,
    pub duration_minutes: i64,
    pub parts: &'static [(&'static str, u32)],
    pub title: &'static str,
}

impl WorkTemplate {
    /// The parts as the booking engine takes them.
    #[must_use]
    pub fn parts_map(&self) -> BTreeMap<String, u32> {
        self.parts
            .iter()
            .map(|(p, q)| ((*p).to_owned(), *q))
            .collect()
    }
}

/// The technicians' skills (SPEC section 2).
pub const SKILLS: [&str; 7] = [
    "engine",
    "electrical",
    "brakes",
    "transmission",
    "aftertreatment",
    "tires",
    "general",
];

/// The valid skill names, for the REST layer.
#[must_use]
pub fn skill_names() -> &'static [&'static str] {
    &SKILLS
}

/// Whether `name` is a skill.
#[must_use]
pub fn is_skill(name: &str) -> bool {
    SKILLS.contains(&name)
}

/// Every name a skill, or the first that is not, named.
///
/// # Errors
/// `unknown skill "x" (one of engine, electrical, ...)`.
pub fn validate_skills<S: AsRef<str>>(names: &[S]) -> Result<(), String> {
    match names.iter().find(|n| !is_skill(n.as_ref())) {
        None => Ok(()),
        Some(bad) => Err(format!(
            "unknown skill {:?} (one of {})",
            bad.as_ref(),
            SKILLS.join(", ")
        )),
    }
}

/// The optimizer's job kind of an appointment kind.
#[must_use]
pub const fn job_kind(kind: AppointmentKind) -> JobKind {
    match kind {
        AppointmentKind::Routine => JobKind::Routine,
        AppointmentKind::Diagnostic => JobKind::Diagnostic,
        AppointmentKind::ComponentRepair => JobKind::Repair,
        AppointmentKind::Emergency => JobKind::Emergency,
    }
}

/// DESIGN's duration range of a kind, minutes, inclusive (emergency work is a repair).
#[must_use]
pub const fn duration_range(kind: AppointmentKind) -> (i64, i64) {
    match kind {
        AppointmentKind::Routine => (60, 120),
        AppointmentKind::Diagnostic => (120, 180),
        AppointmentKind::ComponentRepair | AppointmentKind::Emergency => (180, 300),
    }
}

/// One stage of work: skill, minutes, parts, title.
type Work = (
    &'static str,
    i64,
    &'static [(&'static str, u32)],
    &'static str,
);

/// Routine service, diagnosis and repair of each component.
const TABLE: [(Component, [Work; 3]); 8] = [
    (
        Component::EngineOil,
        [
            ("general", 60, &[("oil_filter", 1)], "Oil and filter change"),
            ("engine", 150, &[], "Oil pressure diagnosis"),
            (
                "engine",
                240,
                &[("oil_filter", 1)],
                "Lubrication system repair",
            ),
        ],
    ),
    (
        Component::Cooling,
        [
            (
                "general",
                60,
                &[("coolant_5l", 1)],
                "Coolant check and top-up",
            ),
            ("engine", 150, &[], "Cooling system diagnosis"),
            (
                "engine",
                240,
                &[("water_pump", 1), ("coolant_5l", 2)],
                "Water pump replacement",
            ),
        ],
    ),
    (
        Component::Dpf,
        [
            ("aftertreatment", 120, &[], "DPF service regeneration"),
            ("aftertreatment", 150, &[], "DPF and exhaust diagnosis"),
            (
                "aftertreatment",
                270,
                &[("dpf_filter", 1)],
                "DPF replacement",
            ),
        ],
    ),
    (
        Component::ScrDef,
        [
            ("aftertreatment", 60, &[], "DEF system check and refill"),
            ("aftertreatment", 150, &[], "SCR and DEF diagnosis"),
            (
                "aftertreatment",
                240,
                &[("def_pump", 1), ("nox_sensor", 1)],
                "DEF pump and NOx sensor replacement",
            ),
        ],
    ),
    (
        Component::Brakes,
        [
            ("brakes", 90, &[], "Brake inspection and adjustment"),
            ("brakes", 120, &[], "Brake system diagnosis"),
            (
                "brakes",
                240,
                &[("brake_pad_set", 2)],
                "Brake pad replacement",
            ),
        ],
    ),
    (
        Component::Battery,
        [
            ("electrical", 60, &[], "Battery and charging test"),
            ("electrical", 120, &[], "Charging system diagnosis"),
            (
                "electrical",
                180,
                &[("battery_12v", 2)],
                "Battery replacement",
            ),
        ],
    ),
    (
        Component::Transmission,
        [
            (
                "transmission",
                120,
                &[("transmission_filter", 1)],
                "Transmission fluid and filter service",
            ),
            ("transmission", 150, &[], "Transmission diagnosis"),
            (
                "transmission",
                300,
                &[("transmission_filter", 1), ("shift_solenoid", 1)],
                "Transmission repair",
            ),
        ],
    ),
    (
        Component::Tires,
        [
            (
                "tires",
                60,
                &[("valve_stem", 2)],
                "Tire inspection and valve stems",
            ),
            ("tires", 120, &[], "Tire pressure loss diagnosis"),
            (
                "tires",
                180,
                &[("tire_295_75r22_5", 2), ("valve_stem", 2)],
                "Tire replacement",
            ),
        ],
    ),
];

/// The kind of work a decision of `severity` books: a wear found early is inspected at
/// the next routine visit; a part on its way to failure (medium, high: 3 to 14 days) is
/// repaired; a critical one is the same repair as an emergency.
#[must_use]
pub const fn kind_for(severity: Severity) -> AppointmentKind {
    match severity {
        Severity::Low => AppointmentKind::Routine,
        Severity::Medium | Severity::High => AppointmentKind::ComponentRepair,
        Severity::Critical => AppointmentKind::Emergency,
    }
}

/// The work to book for `component` at `severity`.
#[must_use]
pub fn work_for(component: Component, severity: Severity) -> WorkTemplate {
    work(component, kind_for(severity))
}

/// The work of `kind` on `component` (a person may ask for a diagnosis).
#[must_use]
pub fn work(component: Component, kind: AppointmentKind) -> WorkTemplate {
    let [routine, diagnostic, repair] = TABLE
        .iter()
        .find(|(c, _)| *c == component)
        .map_or(TABLE[0].1, |(_, stages)| *stages);
    let (skill, duration_minutes, parts, title) = match kind {
        AppointmentKind::Routine => routine,
        AppointmentKind::Diagnostic => diagnostic,
        AppointmentKind::ComponentRepair | AppointmentKind::Emergency => repair,
    };
    WorkTemplate {
        kind,
        job_kind: job_kind(kind),
        skill,
        duration_minutes,
        parts,
        title,
    }
}

#[cfg(test)]
#[path = "catalog_tests.rs"]
mod tests;
