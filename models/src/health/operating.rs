//! Operating states recognised from the telemetry: whether the engine is stopped,
//! cranking or running, whether it has warmed up, and when a stopped engine has
//! rested long enough for a battery or tire reading to mean what it says.
//!
//! Each state rests on an engineering reference (ADR 0019), not on the simulator:
//!
//! - **Cranking**: a starter turns a petrol or diesel engine at roughly 100–300 rpm,
//!   well below any idle (600–900 rpm); the battery then sags to 9–10.5 V (the BCI
//!   load test passes a battery holding 9.6 V under half its cold-cranking amps, and
//!   SAE J537 rates cold cranking down to 7.2 V). Such readings say nothing about the
//!   battery's rest voltage or the charging system.
//! - **Running**: above [`RUNNING_RPM`] the engine turns on its own and the
//!   alternator charges.
//! - **Warm**: with an oil temperature, oil at least 3 °C above the coolant (oil lags
//!   while an engine warms and runs above the coolant once warm); without one, the
//!   engine's own run time since start (OBD-II PID 1F) of at least [`WARM_UP_S`]. A
//!   thermostat opens at 82–95 °C, which a healthy engine's coolant reaches within a
//!   few minutes of driving in mild weather and in up to about 15 minutes idling in
//!   the cold. Neither signal: the engine's warmth is unknown, and its readings do not
//!   count as warm (coolant while warming up is not a stuck-open thermostat).
//! - **At rest** (see [`super::rest`]): the engine stopped for at least [`REST_S`],
//!   and not about to start. A lead-acid battery's voltage right after charging
//!   carries a surface charge that decays over hours; open-circuit state-of-charge
//!   practice (Battery University BU-903, BCI) asks for 4 to 24 hours of rest for an
//!   absolute state of charge. Tire makers define cold inflation pressure after at
//!   least 3 hours parked. The engine compares a battery with its own baseline read
//!   under the same rule, so a consistent rest matters more than full equilibrium: 3
//!   hours serves both (4 hours left too few rested readings a day on the detection
//!   benchmark, and one healthy battery alarmed on the noise). Key-on-engine-off and
//!   cranking samples in the minutes before a start are loaded, not rested.

use shared_schemas::signals::names;
use shared_schemas::telemetry::TelemetryReading;

/// Engine speed from which the engine is turning (cranking or running), rpm: a stopped
/// engine reads 0, a starter turns it at 100–300.
pub const TURNING_RPM: f64 = 50.0;
/// Engine speed above which the engine runs on its own, rpm: above cranking speed,
/// below any idle.
pub const RUNNING_RPM: f64 = 400.0;
/// Run time since start after which an engine without an oil temperature counts as
/// warm, s.
pub const WARM_UP_S: f64 = 900.0;
/// How far oil must run above the coolant for the engine to count as warm, °C.
pub const OIL_OVER_COOLANT_C: f64 = 3.0;
/// How long the engine must have been stopped for a reading to be at rest, s.
pub const REST_S: i64 = 3 * 3600;
/// A stopped-engine reading this close before the engine turns is a key-on or
/// pre-crank sample, not a rest, s.
pub const BEFORE_START_S: i64 = 600;
/// Speed under which the vehicle stands, km/h.
pub const STANDING_KPH: f64 = 0.5;

/// What the engine is doing in one reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Engine speed reported as (nearly) zero.
    Stopped,
    /// Turned by the starter, or stalling: between [`TURNING_RPM`] and
    /// [`RUNNING_RPM`].
    Cranking,
    /// Running on its own.
    Running,
    /// No engine speed in the reading.
    Unreported,
}

impl Engine {
    /// The engine state of an engine speed, when reported.
    pub fn of(rpm: Option<f64>) -> Self {
        match rpm {
            None => Self::Unreported,
            Some(r) if r >= RUNNING_RPM => Self::Running,
            Some(r) if r >= TURNING_RPM => Self::Cranking,
            Some(_) => Self::Stopped,
        }
    }

    /// Whether the engine turns (cranking or running): what ends a rest.
    pub fn turning(self) -> bool {
        matches!(self, Self::Cranking | Self::Running)
    }
}

/// Whether an engine has warmed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warmth {
    /// At thermal equilibrium (or past the warm-up time).
    Warm,
    /// Still warming up.
    WarmingUp,
    /// Neither an oil temperature nor a run time to tell.
    Unknown,
}

impl Warmth {
    /// The warmth of an engine from its oil and coolant temperatures or, without an
    /// oil temperature, its run time since start.
    pub fn of(oil_c: Option<f64>, coolant_c: Option<f64>, run_time_s: Option<f64>) -> Self {
        let warm = match (oil_c, coolant_c, run_time_s) {
            (Some(oil), Some(coolant), _) => oil >= coolant + OIL_OVER_COOLANT_C,
            (_, _, Some(run)) => run >= WARM_UP_S,
            _ => return Self::Unknown,
        };
        if warm { Self::Warm } else { Self::WarmingUp }
    }
}

/// The operating state of one reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct State {
    /// The engine.
    pub engine: Engine,
    /// Vehicle speed, km/h, when reported.
    pub speed: Option<f64>,
    /// Whether the engine has warmed up.
    pub warmth: Warmth,
}

impl State {
    /// The operating state of `reading`.
    pub fn of(reading: &TelemetryReading) -> Self {
        let get = |name: &str| reading.signals.get(name).copied().filter(|v| v.is_finite());
        Self {
            engine: Engine::of(get(names::ENGINE_RPM)),
            speed: get(names::VEHICLE_SPEED_KPH),
            warmth: Warmth::of(
                get(names::OIL_TEMP_C),
                get(names::COOLANT_TEMP_C),
                get(names::ENGINE_RUN_TIME_S),
            ),
        }
    }

    /// Engine running on its own.
    pub fn running(&self) -> bool {
        self.engine == Engine::Running
    }

    /// Engine stopped (or not reported) and the vehicle standing: a candidate for a
    /// rest reading, which [`super::rest`] confirms from the hours around it.
    pub fn stopped_standing(&self) -> bool {
        matches!(self.engine, Engine::Stopped | Engine::Unreported)
            && self.speed.is_none_or(|v| v < STANDING_KPH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cranking_is_neither_stopped_nor_running() {
        assert_eq!(Engine::of(Some(0.0)), Engine::Stopped);
        assert_eq!(Engine::of(Some(220.0)), Engine::Cranking);
        assert_eq!(Engine::of(Some(650.0)), Engine::Running);
        assert_eq!(Engine::of(None), Engine::Unreported);
        assert!(Engine::Cranking.turning() && Engine::Running.turning());
        assert!(!Engine::Stopped.turning() && !Engine::Unreported.turning());
    }

    #[test]
    fn warmth_from_oil_else_run_time_else_unknown() {
        assert_eq!(Warmth::of(Some(92.0), Some(88.0), None), Warmth::Warm);
        assert_eq!(
            Warmth::of(Some(60.0), Some(75.0), Some(3000.0)),
            Warmth::WarmingUp
        );
        assert_eq!(Warmth::of(None, Some(60.0), Some(300.0)), Warmth::WarmingUp);
        assert_eq!(Warmth::of(None, Some(60.0), Some(900.0)), Warmth::Warm);
        assert_eq!(Warmth::of(None, Some(85.0), None), Warmth::Unknown);
    }
}
