//! Standard labour times and the parts that belong to each component's warranty repair.
//!
//! A claim's labour is compared with the standard time for the job (a flat-rate manual's
//! figure: the time a trained technician needs), and its parts with the parts that job
//! uses. Part names are the scheduling catalog's where they exist, plus the parts a
//! warranty repair of the component commonly adds (gaskets, sensors, fluids).

use shared_schemas::events::Component;

/// The standard warranty repair of one component.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StandardJob {
    /// The component.
    pub component: Component,
    /// What the job is.
    pub title: &'static str,
    /// Standard labour, hours.
    pub labour_hours: f64,
    /// The parts that belong to the job.
    pub parts: &'static [&'static str],
}

/// One job per component, in catalog order.
const JOBS: [StandardJob; 8] = [
    job(
        Component::EngineOil,
        "Lubrication system repair",
        4.0,
        &[
            "oil_filter",
            "oil_pump",
            "oil_pan_gasket",
            "oil_pressure_sensor",
            "engine_oil_5l",
        ],
    ),
    job(
        Component::Cooling,
        "Water pump replacement",
        4.0,
        &[
            "water_pump",
            "coolant_5l",
            "thermostat",
            "radiator",
            "coolant_hose",
        ],
    ),
    job(
        Component::Dpf,
        "DPF replacement",
        4.5,
        &[
            "dpf_filter",
            "dpf_gasket",
            "dpf_pressure_sensor",
            "egt_sensor",
        ],
    ),
    job(
        Component::ScrDef,
        "DEF pump and NOx sensor replacement",
        4.0,
        &[
            "def_pump",
            "nox_sensor",
            "def_injector",
            "def_fluid_10l",
            "scr_catalyst",
        ],
    ),
    job(
        Component::Brakes,
        "Brake pad replacement",
        4.0,
        &[
            "brake_pad_set",
            "brake_rotor",
            "brake_caliper",
            "brake_fluid_1l",
        ],
    ),
    job(
        Component::Battery,
        "Battery replacement",
        3.0,
        &["battery_12v", "battery_cable", "alternator"],
    ),
    job(
        Component::Transmission,
        "Transmission repair",
        5.0,
        &[
            "transmission_filter",
            "shift_solenoid",
            "transmission_fluid_5l",
            "trans_cooler",
            "clutch_pack",
        ],
    ),
    job(
        Component::Tires,
        "Tire replacement",
        3.0,
        &[
            "tire_295_75r22_5",
            "tire_225_45r17",
            "valve_stem",
            "tpms_sensor",
        ],
    ),
];

const fn job(
    component: Component,
    title: &'static str,
    labour_hours: f64,
    parts: &'static [&'static str],
) -> StandardJob {
    StandardJob {
        component,
        title,
        labour_hours,
        parts,
    }
}

/// The standard job for `component`.
pub fn standard_job(component: Component) -> &'static StandardJob {
    JOBS.iter()
        .find(|j| j.component == component)
        .unwrap_or(&JOBS[0])
}

/// Whether `part` belongs to a repair of `component` (a part number suffix such as
/// `dpf_filter-2` counts as the part).
pub fn part_belongs(component: Component, part: &str) -> bool {
    let base = part.split('-').next().unwrap_or(part);
    standard_job(component).parts.contains(&base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_component_has_its_own_job() {
        for c in Component::ALL {
            let j = standard_job(c);
            assert_eq!(j.component, c);
            assert!(j.labour_hours > 0.0 && !j.parts.is_empty());
        }
    }

    #[test]
    fn parts_belong_to_their_component_only() {
        assert!(part_belongs(Component::Dpf, "dpf_filter"));
        assert!(part_belongs(Component::Dpf, "dpf_filter-2"));
        assert!(!part_belongs(Component::Brakes, "dpf_filter"));
        assert!(!part_belongs(Component::Cooling, "turbocharger"));
    }
}
