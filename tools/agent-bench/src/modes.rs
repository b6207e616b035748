//! The truth of a fault in the agent's vocabulary.

use agent::domain::modes::FailureMode;
use fleetsim::degradation::FailureMode as SimMode;

/// The agent's failure mode for fleetsim's mode named `sim` (`None`: not a fleetsim
/// mode).
pub fn agent_mode(sim: &str) -> Option<FailureMode> {
    let m = SimMode::ALL.into_iter().find(|m| m.as_str() == sim)?;
    Some(match m {
        SimMode::DpfClogging => FailureMode::DpfClogging,
        SimMode::ScrEfficiencyLoss => FailureMode::ScrCatalystAgeing,
        SimMode::DefDilution => FailureMode::DefDilution,
        SimMode::OilLeak => FailureMode::OilLeak,
        SimMode::CoolantOverheat => FailureMode::CoolantOverheat,
        SimMode::ThermostatStuckOpen => FailureMode::ThermostatStuckOpen,
        SimMode::BrakeWear => FailureMode::AbnormalBrakeWear,
        SimMode::BatteryAgeing => FailureMode::BatterySulphation,
        SimMode::TransmissionOverheat => FailureMode::TransmissionOverheat,
        SimMode::TireSlowLeak => FailureMode::TireSlowLeak,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_simulator_mode_has_an_agent_mode_on_the_same_component() {
        for m in SimMode::ALL {
            let a = agent_mode(m.as_str()).expect("mapped");
            assert_eq!(a.component(), Some(m.component()), "{}", m.as_str());
        }
        assert_eq!(agent_mode("no_such_mode"), None);
    }
}
