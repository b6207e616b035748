//! What each component's assessment needs: the signals that show a vehicle has the
//! component, and the operating states its indicators must be read in. A component
//! whose signals a vehicle reports but whose indicators never met their conditions is
//! *unknown*, not healthy: a passenger car's gateway that reports the battery voltage
//! only while the key is on never shows a rested battery, and a coolant temperature
//! without an oil temperature or a run time never shows a warm engine.

use shared_schemas::events::Component;
use shared_schemas::signals::names;
use shared_schemas::telemetry::TelemetryReading;

/// The signals whose presence shows the vehicle has `c` (any one is enough).
pub fn signals(c: Component) -> &'static [&'static str] {
    match c {
        Component::EngineOil => &[names::OIL_PRESSURE_KPA],
        Component::Cooling => &[names::COOLANT_TEMP_C],
        Component::Dpf => &[names::DPF_DIFF_PRESSURE_KPA],
        Component::ScrDef => &[
            names::SCR_NOX_UPSTREAM_PPM,
            names::SCR_NOX_DOWNSTREAM_PPM,
            names::DEF_QUALITY_PCT,
        ],
        Component::Brakes => &[names::BRAKE_PAD_MM, names::BRAKE_PAD_WEAR_PCT],
        Component::Battery => &[names::BATTERY_VOLTAGE_V],
        Component::Transmission => &[names::TRANS_OIL_TEMP_C],
        Component::Tires => &[
            names::TIRE_PRESSURE_FL_KPA,
            names::TIRE_PRESSURE_FR_KPA,
            names::TIRE_PRESSURE_RL_KPA,
            names::TIRE_PRESSURE_RR_KPA,
        ],
    }
}

/// What `c`'s indicators need, in words (the reason an unknown component gives).
pub fn needs(c: Component) -> &'static str {
    match c {
        Component::EngineOil => "oil pressure at warm idle: an oil temperature of 85 °C or more",
        Component::Cooling => {
            "coolant temperature while driving with a warm engine: an oil temperature or the \
             run time since engine start (warm after 15 minutes)"
        }
        Component::Dpf => {
            "DPF pressure and soot load with enough exhaust flow, outside regeneration"
        }
        Component::ScrDef => "NOx up- and downstream of a warm catalyst, or the DEF quality",
        Component::Brakes => "the pad lining or its wear",
        Component::Battery => {
            "battery voltage with the engine stopped for 3 hours or more (not key-on or cranking)"
        }
        Component::Transmission => "transmission oil temperature while driving with a warm engine",
        Component::Tires => "tire pressures and the ambient temperature after 3 hours parked",
    }
}

/// The bit of `c` in a set of components.
pub fn bit(c: Component) -> u16 {
    let k = Component::ALL.iter().position(|x| *x == c).unwrap_or(0);
    1 << k
}

/// The components `reading` carries signals of, as a set of [`bit`]s, added to `known`
/// (components already known to be reported are not looked up again: this runs for
/// every reading).
pub fn reported(reading: &TelemetryReading, known: u16) -> u16 {
    Component::ALL
        .iter()
        .filter(|c| known & bit(**c) == 0)
        .filter(|c| {
            signals(**c)
                .iter()
                .any(|s| reading.signals.get(*s).is_some_and(|v| v.is_finite()))
        })
        .fold(known, |set, c| set | bit(*c))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::Utc;

    use super::*;

    #[test]
    fn a_petrol_car_reports_cooling_and_battery_only() {
        let reading = TelemetryReading {
            reading_id: None,
            vehicle_id: "CAR".to_owned(),
            vin: None,
            recorded_at: Utc::now(),
            odometer_km: None,
            engine_hours: None,
            location: None,
            signals: BTreeMap::from([
                (names::COOLANT_TEMP_C.to_owned(), 88.0),
                (names::BATTERY_VOLTAGE_V.to_owned(), 14.1),
                (names::ENGINE_RPM.to_owned(), 800.0),
            ]),
            dtcs: Vec::new(),
        };
        let set = reported(&reading, 0);
        assert_eq!(reported(&reading, set), set);
        assert_eq!(set, bit(Component::Cooling) | bit(Component::Battery));
        assert_ne!(bit(Component::Cooling), bit(Component::Battery));
    }
}
