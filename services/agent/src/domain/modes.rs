//! The failure modes the agent names, what each means, which worker owns it and what to
//! do about it (action ids of [`super::actions`], most important first; the first
//! one that repairs the cause is the mode's key action).

use serde::{Deserialize, Serialize};
use shared_schemas::events::Component;
use utoipa::ToSchema;

/// A diagnosed way of failing.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FailureMode {
    /// Oil is being lost: warm-idle pressure falls with the level.
    OilLeak,
    /// Coolant runs hot: water pump, radiator, fan or low coolant.
    CoolantOverheat,
    /// The engine never reaches operating temperature: thermostat stuck open.
    ThermostatStuckOpen,
    /// The DPF is loading up faster than it regenerates (soot or ash).
    DpfClogging,
    /// The SCR catalyst converts less NOx with good DEF: ageing or poisoning.
    ScrCatalystAgeing,
    /// The DEF is diluted or contaminated: urea concentration low.
    DefDilution,
    /// Pads wear faster than this vehicle's normal pace (dragging caliper).
    AbnormalBrakeWear,
    /// Pads wear at this vehicle's normal pace: plan their replacement.
    RoutineBrakeWear,
    /// The battery's rested voltage falls: sulphation/ageing.
    BatterySulphation,
    /// The charging system does not keep the battery up.
    ChargingFault,
    /// Transmission oil runs hot: cooler, fluid or slipping clutches.
    TransmissionOverheat,
    /// One tire slowly loses pressure.
    TireSlowLeak,
    /// A sensor or its wiring, not the component, is at fault.
    SensorFault,
    /// Health improved or moved within normal range: nothing to repair.
    Monitor,
    /// Not enough evidence to name a mode.
    Undetermined,
}

impl FailureMode {
    /// Every mode.
    pub const ALL: [Self; 15] = [
        Self::OilLeak,
        Self::CoolantOverheat,
        Self::ThermostatStuckOpen,
        Self::DpfClogging,
        Self::ScrCatalystAgeing,
        Self::DefDilution,
        Self::AbnormalBrakeWear,
        Self::RoutineBrakeWear,
        Self::BatterySulphation,
        Self::ChargingFault,
        Self::TransmissionOverheat,
        Self::TireSlowLeak,
        Self::SensorFault,
        Self::Monitor,
        Self::Undetermined,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OilLeak => "oil_leak",
            Self::CoolantOverheat => "coolant_overheat",
            Self::ThermostatStuckOpen => "thermostat_stuck_open",
            Self::DpfClogging => "dpf_clogging",
            Self::ScrCatalystAgeing => "scr_catalyst_ageing",
            Self::DefDilution => "def_dilution",
            Self::AbnormalBrakeWear => "abnormal_brake_wear",
            Self::RoutineBrakeWear => "routine_brake_wear",
            Self::BatterySulphation => "battery_sulphation",
            Self::ChargingFault => "charging_fault",
            Self::TransmissionOverheat => "transmission_overheat",
            Self::TireSlowLeak => "tire_slow_leak",
            Self::SensorFault => "sensor_fault",
            Self::Monitor => "monitor",
            Self::Undetermined => "undetermined",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The component the mode belongs to (`None`: any component).
    pub fn component(self) -> Option<Component> {
        Some(match self {
            Self::OilLeak => Component::EngineOil,
            Self::CoolantOverheat | Self::ThermostatStuckOpen => Component::Cooling,
            Self::DpfClogging => Component::Dpf,
            Self::ScrCatalystAgeing | Self::DefDilution => Component::ScrDef,
            Self::AbnormalBrakeWear | Self::RoutineBrakeWear => Component::Brakes,
            Self::BatterySulphation | Self::ChargingFault => Component::Battery,
            Self::TransmissionOverheat => Component::Transmission,
            Self::TireSlowLeak => Component::Tires,
            Self::SensorFault | Self::Monitor | Self::Undetermined => return None,
        })
    }

    /// The modes a model may name for `c`.
    pub fn for_component(c: Component) -> Vec<Self> {
        Self::ALL
            .into_iter()
            .filter(|m| m.component().is_none_or(|mc| mc == c))
            .collect()
    }

    /// What the mode means, for people and prompts.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::OilLeak => {
                "engine oil is being lost (leak or consumption); warm-idle oil pressure falls with the level"
            }
            Self::CoolantOverheat => {
                "the engine runs hot: failing water pump, clogged radiator, fan or low coolant"
            }
            Self::ThermostatStuckOpen => "the engine runs cold: thermostat stuck open",
            Self::DpfClogging => {
                "the particulate filter loads faster than it regenerates (failed regenerations, ash)"
            }
            Self::ScrCatalystAgeing => {
                "the SCR catalyst converts less NOx although the DEF is good: ageing or poisoning"
            }
            Self::DefDilution => {
                "the DEF is diluted or contaminated: urea concentration below specification"
            }
            Self::AbnormalBrakeWear => {
                "pads wear faster than this vehicle's normal pace: dragging caliper or sticking slide pins"
            }
            Self::RoutineBrakeWear => {
                "pads wear as brakes do in normal use: plan their replacement before the limit"
            }
            Self::BatterySulphation => {
                "the battery's rested voltage keeps falling: sulphation, end of life"
            }
            Self::ChargingFault => "the charging system does not keep the battery charged",
            Self::TransmissionOverheat => {
                "transmission oil runs hot: cooler, low or degraded fluid, slipping clutches"
            }
            Self::TireSlowLeak => "one tire slowly loses pressure: puncture, valve or bead leak",
            Self::SensorFault => "a sensor or its wiring is at fault rather than the component",
            Self::Monitor => "nothing to repair: keep monitoring",
            Self::Undetermined => "not enough evidence to name the failure mode",
        }
    }

    /// Recommended actions, most important first.
    pub fn actions(self) -> &'static [&'static str] {
        match self {
            Self::OilLeak => &["check_oil_level", "inspect_oil_leak", "oil_pressure_test"],
            Self::CoolantOverheat => &["cooling_pressure_test", "inspect_water_pump_radiator"],
            Self::ThermostatStuckOpen => &["replace_thermostat", "check_coolant_sensor"],
            Self::DpfClogging => &[
                "dpf_forced_regeneration",
                "inspect_regeneration_system",
                "dpf_clean_or_replace",
            ],
            Self::ScrCatalystAgeing => &["scr_system_test", "replace_scr_catalyst"],
            Self::DefDilution => &["drain_refill_def", "scr_system_test"],
            Self::AbnormalBrakeWear => &["replace_brake_pads", "inspect_brake_calipers"],
            Self::RoutineBrakeWear => &["replace_brake_pads"],
            Self::BatterySulphation => &["battery_load_test", "replace_battery"],
            Self::ChargingFault => &["inspect_charging_system", "battery_load_test"],
            Self::TransmissionOverheat => &[
                "transmission_fluid_service",
                "inspect_transmission_cooler",
                "transmission_diagnostic",
            ],
            Self::TireSlowLeak => &["repair_tire_leak", "check_tire_pressures"],
            Self::SensorFault | Self::Undetermined => &["diagnostic_inspection"],
            Self::Monitor => &["monitor"],
        }
    }

    /// The action that repairs the cause (what the benchmark's "key action" names).
    pub fn key_action(self) -> &'static str {
        match self {
            Self::OilLeak => "inspect_oil_leak",
            Self::CoolantOverheat => "inspect_water_pump_radiator",
            Self::ThermostatStuckOpen => "replace_thermostat",
            Self::DpfClogging => "dpf_clean_or_replace",
            Self::ScrCatalystAgeing => "replace_scr_catalyst",
            Self::DefDilution => "drain_refill_def",
            Self::AbnormalBrakeWear | Self::RoutineBrakeWear => "replace_brake_pads",
            Self::BatterySulphation => "replace_battery",
            Self::ChargingFault => "inspect_charging_system",
            Self::TransmissionOverheat => "transmission_fluid_service",
            Self::TireSlowLeak => "repair_tire_leak",
            Self::SensorFault | Self::Undetermined => "diagnostic_inspection",
            Self::Monitor => "monitor",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_exists_and_key_actions_are_recommended() {
        for m in FailureMode::ALL {
            for id in m.actions() {
                assert!(super::super::actions::get(id).is_some(), "{m:?} {id}");
            }
            assert!(m.actions().contains(&m.key_action()), "{m:?}");
            assert_eq!(FailureMode::parse(m.as_str()), Some(m));
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
    }
}
