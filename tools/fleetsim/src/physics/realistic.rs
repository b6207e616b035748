//! The physics of the realistic profile: several faults at once, repairs and services
//! that reset components, and the baseline heat of models and hot-running trucks.

use super::{OnsetSnapshot, Physics, REGEN_TRIGGER_PCT};
use crate::degradation::{Component, Effects, FailureMode};
use crate::realism::{
    Maintenance, RUNS_HOT_COOLANT_CAP_C, RUNS_HOT_TRANS_CAP_C, RealState, Realism,
};

/// Pads thinner than this are replaced at a routine service, mm.
const SERVICE_PAD_MM: f64 = 6.0;
/// Oil level after a change or an oil-leak repair, %.
const OIL_FULL_PCT: f64 = 95.0;
/// Rested voltage of a new battery, V.
const NEW_BATTERY_V: f64 = 12.7;
/// Soot left in a cleaned or replaced DPF, %.
const CLEAN_SOOT_PCT: f64 = 5.0;

impl Physics {
    /// Effects of the realistic faults at `t`, after the repairs and services due.
    pub(super) fn real_effects(&mut self, t: i64) -> Effects {
        let Some(mut real) = self.real.take() else {
            return Effects::default();
        };
        let m = real.maintain(t);
        self.apply_maintenance(t, &m, &mut real);
        let mut started = Vec::new();
        let e = real.effects(t, &mut started);
        for (mode, wheel) in started {
            self.snapshot_for(mode, wheel, t);
        }
        self.real = Some(real);
        e
    }

    /// Records where the healthy trajectory was when a fault of `mode` starts.
    fn snapshot_for(&mut self, mode: FailureMode, wheel: usize, t: i64) {
        let tire = self.tire_cold_kpa(wheel, t);
        let snap = self.snapshot.get_or_insert(OnsetSnapshot {
            pad_mm: self.pad_mm,
            oil_level: self.oil_level,
            tire_set_kpa: tire,
        });
        match mode {
            FailureMode::BrakeWear => snap.pad_mm = self.pad_mm,
            FailureMode::OilLeak => snap.oil_level = self.oil_level,
            FailureMode::TireSlowLeak => snap.tire_set_kpa = tire,
            _ => {}
        }
    }

    fn apply_maintenance(&mut self, t: i64, m: &Maintenance, real: &mut RealState) {
        for mode in &m.repaired {
            self.reset(mode.component(), t);
        }
        if m.service {
            self.reset(Component::EngineOil, t);
            real.log_service(t, Component::EngineOil);
            if self.pad_mm < SERVICE_PAD_MM {
                self.reset(Component::Brakes, t);
                real.log_service(t, Component::Brakes);
            }
        }
    }

    /// A component as the workshop leaves it.
    fn reset(&mut self, component: Component, t: i64) {
        match component {
            Component::Brakes => self.pad_mm = self.p.pad_new_mm,
            Component::EngineOil => self.oil_level = OIL_FULL_PCT,
            Component::Dpf => {
                self.soot = CLEAN_SOOT_PCT;
                self.failed_regens = 0.0;
                self.regen = None;
                self.next_regen_at = REGEN_TRIGGER_PCT;
            }
            Component::Tires => {
                let temp = self.climate(t);
                self.tire_set_kpa = self.p.tire_nominal_kpa;
                self.tire_set_temp = [temp; 4];
                self.tire_set_at = [t; 4];
            }
            Component::Battery => self.p.battery_rest_v = NEW_BATTERY_V,
            // Cooling, transmission and SCR/DEF recover with the fault's severity.
            _ => {}
        }
    }
}

/// Healthy coolant and transmission temperatures shifted by the vehicle's model and,
/// for a hot-running truck, by load (capped below the failure limits: it is healthy).
pub(super) fn baseline_heat(r: &Realism, load: f64, coolant: f64, trans: f64) -> (f64, f64) {
    let mut trans = trans + r.variant.map_or(0.0, |v| v.trans_offset_c);
    let mut coolant = coolant;
    if let Some(h) = r.runs_hot {
        let share = 0.5 + 0.5 * load / 100.0;
        coolant = (coolant + h.coolant_c * share).min(coolant.max(RUNS_HOT_COOLANT_CAP_C));
        trans = (trans + h.trans_c * share).min(trans.max(RUNS_HOT_TRANS_CAP_C));
    }
    (coolant, trans)
}
