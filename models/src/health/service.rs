//! Repairs: a serviced component starts again from a fresh baseline.
//!
//! The wear history of a replaced part is no longer the vehicle's. So when a component
//! is serviced, the indicators it reads are emptied on every day up to the day of the
//! service, its baselines forgotten (learned again from the days after), what was
//! reported for it reset (the recovery is announced at once), and readings taken
//! before the service that arrive afterwards are kept out of it. Until its baselines
//! are learned again the component is assessed as re-learning, quoting the service.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_schemas::events::Component;

use super::indicators::Indicator;
use super::state::{VehicleState, day_of};
use super::tracker::Transition;

/// A component's latest service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Serviced {
    /// The component.
    pub component: Component,
    /// When the work was finished, Unix seconds.
    pub at: i64,
    /// The appointment that did the work.
    pub appointment: String,
}

impl Serviced {
    /// When the work was finished.
    pub fn instant(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.at, 0).unwrap_or_default()
    }
}

/// The indicators that describe `c` itself (not the load and weather covariates other
/// components share): what a service of `c` resets.
pub fn indicators(c: Component) -> &'static [Indicator] {
    use Indicator as I;
    match c {
        Component::Dpf => &[I::DpfDpRef, I::DpfSoot, I::DpfFailedRegens],
        Component::ScrDef => &[I::ScrConversion, I::DefQuality],
        Component::EngineOil => &[I::OilPressureIdle, I::OilLevel],
        Component::Cooling => &[I::CoolantDriving],
        Component::Brakes => &[I::BrakePad, I::BrakeWear],
        Component::Battery => &[I::BatteryRest, I::ChargeVoltage],
        Component::Transmission => &[I::TransTemp],
        Component::Tires => &[I::TireFl, I::TireFr, I::TireRl, I::TireRr],
    }
}

/// The indicators (bit `i.index()`) a reading taken at `t` (Unix seconds) must not
/// feed: those of components serviced after it.
pub(crate) fn masked(serviced: &[Serviced], t: i64) -> u32 {
    serviced
        .iter()
        .filter(|s| t < s.at)
        .flat_map(|s| indicators(s.component))
        .fold(0, |mask, i| mask | (1 << i.index()))
}

impl VehicleState {
    /// The latest service of `c`, if one is recorded.
    pub fn serviced(&self, c: Component) -> Option<&Serviced> {
        self.head.serviced.iter().find(|s| s.component == c)
    }

    /// Records that `c` was serviced at `at` by `appointment` and resets it (see the
    /// module). Returns `None`, changing nothing, when this service or a later one of
    /// `c` is already recorded (a redelivery, or events out of order); otherwise the
    /// transition that announces the recovery, if the component was reported worse
    /// than as new.
    pub fn service(
        &mut self,
        c: Component,
        at: DateTime<Utc>,
        appointment: &str,
    ) -> Option<Option<Transition>> {
        let t = at.timestamp();
        if let Some(known) = self.serviced(c)
            && (known.appointment == appointment || known.at >= t)
        {
            return None;
        }
        self.head.serviced.retain(|s| s.component != c);
        self.head.serviced.push(Serviced {
            component: c,
            at: t,
            appointment: appointment.to_owned(),
        });
        self.forget(indicators(c), day_of(t), c == Component::Dpf);
        Some(self.head.reported.reset(c))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use shared_schemas::signals::names;
    use shared_schemas::telemetry::TelemetryReading;

    use super::*;
    use crate::health::Engine;
    use crate::health::state::DAY_S;
    use shared_schemas::events::HealthBand;

    /// A warm-idle reading with oil pressure `pressure` and a rested-battery heartbeat
    /// value folded into the same instant's neighbour.
    fn readings(t: i64, pressure: f64) -> [TelemetryReading; 2] {
        let at = |t| Utc.timestamp_opt(t, 0).single().expect("instant");
        let reading = |t, signals: &[(&str, f64)]| TelemetryReading {
            reading_id: None,
            vehicle_id: "V1".to_owned(),
            vin: None,
            recorded_at: at(t),
            odometer_km: Some(10_000.0 + t as f64 / 864.0),
            engine_hours: None,
            location: None,
            signals: signals.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
            dtcs: Vec::new(),
        };
        [
            reading(
                t,
                &[
                    (names::ENGINE_RPM, 650.0),
                    (names::VEHICLE_SPEED_KPH, 0.0),
                    (names::OIL_TEMP_C, 95.0),
                    (names::OIL_PRESSURE_KPA, pressure),
                ],
            ),
            reading(
                t + 60,
                &[
                    (names::VEHICLE_SPEED_KPH, 0.0),
                    (names::AMBIENT_TEMP_C, 20.0),
                    (
                        names::BATTERY_VOLTAGE_V,
                        12.6 + if t % 2 == 0 { 0.01 } else { 0.0 },
                    ),
                ],
            ),
        ]
    }

    const T0: i64 = 1_750_032_000 - 1_750_032_000 % DAY_S;

    /// Oil pressure steady for 5 days, then falling to the limit by day 19.
    fn leaking(until_day: i64) -> VehicleState {
        let mut s = VehicleState::new();
        for k in 0..until_day * 48 {
            let day = k as f64 / 48.0;
            let p = if day < 5.0 {
                200.0
            } else {
                200.0 - 100.0 * (day - 5.0) / 15.0
            };
            for r in readings(T0 + k * 1800, p + if k % 2 == 0 { 2.0 } else { -2.0 }) {
                s.apply(&r);
            }
        }
        s
    }

    fn oil(engine: &Engine, s: &VehicleState) -> shared_schemas::events::ComponentHealth {
        let a = engine.assess(s).expect("assessed");
        a.component(Component::EngineOil).expect("oil").clone()
    }

    #[test]
    fn a_service_resets_the_component_and_only_it() {
        let engine = Engine::bundled().expect("model");
        let mut s = leaking(18);
        let before = engine.assess(&s).expect("assessed");
        let mut reported = s.head.reported.clone();
        before.transitions(&mut reported);
        s.head.reported = reported;
        assert!(oil(&engine, &s).band >= HealthBand::Poor, "degraded first");
        // The engine idles every half hour, so the battery never rests: unknown.
        assert!(before.component(Component::Battery).is_none());
        assert_eq!(before.unknown.len(), 1, "{:?}", before.unknown);
        assert_eq!(before.unknown[0].component, Component::Battery);

        let at = DateTime::from_timestamp(T0 + 18 * DAY_S, 0).expect("instant");
        let t = s.service(Component::EngineOil, at, "A-1").expect("applied");
        assert!(matches!(t, Some(Transition::Changed { .. })), "{t:?}");
        let after = oil(&engine, &s);
        assert_eq!(after.band, HealthBand::Excellent, "{after:?}");
        assert!(after.factors[0].detail.contains("A-1"), "{after:?}");
        let a = engine.assess(&s).expect("assessed");
        assert_eq!(a.unknown, before.unknown);

        // Redelivered, or an older service: nothing changes.
        assert!(s.service(Component::EngineOil, at, "A-1").is_none());
        let earlier = at - chrono::Duration::days(1);
        assert!(s.service(Component::EngineOil, earlier, "A-0").is_none());
        assert_eq!(
            s.serviced(Component::EngineOil).expect("kept").appointment,
            "A-1"
        );
    }

    #[test]
    fn late_readings_of_the_old_part_do_not_come_back() {
        let engine = Engine::bundled().expect("model");
        let mut s = leaking(18);
        let at = DateTime::from_timestamp(T0 + 18 * DAY_S, 0).expect("instant");
        s.service(Component::EngineOil, at, "A-1").expect("applied");
        // The old pump's low readings of the last hours, arriving late.
        for k in 1..6 {
            for r in readings(T0 + 18 * DAY_S - k * 1800, 101.0) {
                s.apply(&r);
            }
        }
        let masked: u32 = s
            .days()
            .map(|(_, d)| d.agg(Indicator::OilPressureIdle).n)
            .sum();
        assert_eq!(masked, 0, "old readings kept out");
        // New readings after the service: a healthy pump, learned afresh.
        for k in 0..8 * 48 {
            for r in readings(T0 + 18 * DAY_S + 60 + k * 1800, 210.0) {
                s.apply(&r);
            }
        }
        let after = oil(&engine, &s);
        assert!(after.band <= HealthBand::Good, "{after:?}");
        assert!(after.confidence > 0.1, "baseline learned again: {after:?}");
        let baseline = after.factors.iter().find_map(|f| f.baseline);
        assert!(baseline.is_some_and(|b| b > 205.0), "{after:?}");
    }

    #[test]
    fn a_state_round_trips_its_services() {
        let mut s = leaking(6);
        let at = DateTime::from_timestamp(T0 + 6 * DAY_S, 0).expect("instant");
        s.service(Component::Tires, at, "A-9").expect("applied");
        let restored = VehicleState::restore(&s.encode_head(), []).expect("decodes");
        assert_eq!(restored.head.serviced, s.head.serviced);
    }
}
