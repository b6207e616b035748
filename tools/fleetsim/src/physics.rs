//! Signal models: one vehicle's physical state and how it evolves per step.
//!
//! The models are deliberately simple (first-order lags towards steady states,
//! algebraic engine maps) but keep the correlations a detector relies on: speed,
//! rpm, load and fuel rate move together; temperatures warm up over a trip, cool down
//! while parked and follow the ambient; soot builds with fuel burned and drops on
//! regeneration; odometer and engine hours only go up. Degradations enter as
//! severities ([`Effects`]) that shift the affected steady states.

use std::f64::consts::TAU;

use rand::Rng;
use rand::rngs::SmallRng;
use rand_distr::StandardNormal;

use crate::degradation::{Degradation, Effects};
use crate::profile::{DutyProfile, Pattern, Segment, VehicleKind};
use crate::realism::{RealState, Realism, UseStep};

mod realistic;
use self::realistic::baseline_heat;
use crate::sample::{Sample, Sig, TIRES};
use crate::vehicle::{HomeBase, Vehicle, VehicleParams};

/// Absolute zero offset, K.
const KELVIN: f64 = 273.15;
/// Atmospheric pressure, kPa.
const ATM_KPA: f64 = 101.325;
/// Typical engine load across the fleet, %: the failure targets of the temperature
/// modes are set for it.
const REFERENCE_LOAD: f64 = 30.0;
/// Inflation temperature assumed before the first reading, °C.
const REFERENCE_AMBIENT: f64 = 20.0;
/// A slow leak reaches the TPMS level in a tire this much colder than when it was
/// inflated (a cool night), °C: drivers see the warning first on cold mornings.
const TIRE_REFERENCE_COOLING_C: f64 = 6.0;
/// How far below 60 % conversion a failing SCR sits at severity 1 (measurement noise
/// would otherwise make the crossing at `failure_at` a coin toss).
const SCR_OVERSHOOT: f64 = 0.02;
/// How far below 100 kPa warm-idle oil pressure sits at severity 1, kPa.
const OIL_OVERSHOOT_KPA: f64 = 3.0;
/// Reference DPF flow factor of the DPF threshold (highway cruise).
const REFERENCE_DPF_FLOW: f64 = 0.65;
/// How far past a temperature threshold a failure target lies, °C.
const OVERSHOOT_C: f64 = 4.0;
/// Soot load that triggers an active regeneration, %.
const REGEN_TRIGGER_PCT: f64 = 100.0;
/// Exhaust temperature above which soot burns during a regeneration, °C.
const REGEN_BURN_C: f64 = 500.0;

/// A normal draw with standard deviation `sd`.
fn noise(rng: &mut SmallRng, sd: f64) -> f64 {
    let z: f64 = rng.sample(StandardNormal);
    z * sd
}

/// First-order lag factor for a step of `dt` with time constant `tau`.
fn lag(dt: f64, tau: f64) -> f64 {
    -(-dt / tau).exp_m1()
}

/// DPF exhaust flow factor (0.1–1): exhaust volume flow relative to rated, from
/// engine speed and load. The DPF failure threshold is defined at highway flow.
pub fn dpf_flow(rpm: f64, load_pct: f64, rated_rpm: f64) -> f64 {
    (rpm / rated_rpm * (0.35 + 0.65 * load_pct / 100.0)).clamp(0.1, 1.0)
}

/// An active DPF regeneration.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Regen {
    /// Decided at start: a clogging filter cannot be cleaned.
    failing: bool,
    /// Seconds of engine running since it started.
    elapsed_s: f64,
}

/// State captured when a degradation starts, so the degraded trajectory departs
/// from where the healthy one was.
#[derive(Debug, Clone, Copy, PartialEq)]
struct OnsetSnapshot {
    pad_mm: f64,
    oil_level: f64,
    tire_set_kpa: f64,
}

/// The given conditions of one running step.
#[derive(Debug, Clone, Copy)]
struct Step {
    /// Seconds.
    dt: f64,
    /// Ambient temperature, °C.
    amb: f64,
    pattern: Pattern,
    e: Effects,
}

/// How the vehicle moved over one running step.
#[derive(Debug, Clone, Copy)]
struct Motion {
    /// Speed at the start, km/h.
    v_prev: f64,
    /// Speed at the end, km/h.
    v: f64,
    /// km/h per second.
    accel: f64,
    /// Distance, km.
    dist: f64,
}

/// The engine's operating point over one running step.
#[derive(Debug, Clone, Copy)]
struct OperatingPoint {
    /// Engine load, %.
    load: f64,
    /// Engine speed, rpm.
    rpm: f64,
    /// Fuel rate, L/h.
    fuel: f64,
}

/// One vehicle's physical state.
#[derive(Debug, Clone)]
pub struct Physics {
    index: u32,
    kind: VehicleKind,
    profile: DutyProfile,
    home: &'static HomeBase,
    p: VehicleParams,
    deg: Option<Degradation>,
    /// Odometer, km.
    pub odometer_km: f64,
    /// Engine hours, h.
    pub engine_hours: f64,
    x_km: f64,
    y_km: f64,
    heading: f64,
    speed: f64,
    grade: f64,
    coolant: f64,
    oil_temp: f64,
    trans_temp: f64,
    exhaust: f64,
    tire_heat: f64,
    soot: f64,
    next_regen_at: f64,
    failed_regens: f64,
    regen: Option<Regen>,
    pad_mm: f64,
    abs_count: f64,
    oil_level: f64,
    tire_set_kpa: [f64; 4],
    tire_set_temp: [f64; 4],
    tire_set_at: [i64; 4],
    weather: f64,
    weather_t: i64,
    off_at: i64,
    run_s: f64,
    snapshot: Option<OnsetSnapshot>,
    /// The realistic profile's extras (none on the default profile).
    realism: Option<Box<Realism>>,
    /// Its faults, services and repairs while they run.
    real: Option<Box<RealState>>,
    /// Values the models produced outside the catalog range (clamped on output).
    pub clamped: u64,
}

impl Physics {
    /// A vehicle parked and cold at `t0`.
    pub fn new(v: &Vehicle, t0: i64, rng: &mut SmallRng) -> Self {
        let p = v.params;
        let mut s = Self {
            index: v.index,
            kind: v.kind,
            profile: v.profile,
            home: v.home,
            deg: v.degradation,
            odometer_km: p.odometer_start_km,
            engine_hours: p.engine_hours_start,
            x_km: noise(rng, 3.0),
            y_km: noise(rng, 3.0),
            heading: rng.random_range(0.0..TAU),
            speed: 0.0,
            grade: 0.0,
            coolant: 0.0,
            oil_temp: 0.0,
            trans_temp: 0.0,
            exhaust: 0.0,
            tire_heat: 0.0,
            soot: p.soot_start_pct,
            next_regen_at: REGEN_TRIGGER_PCT,
            failed_regens: p.failed_regens_start,
            regen: None,
            pad_mm: p.pad_start_mm,
            abs_count: p.abs_start,
            oil_level: p.oil_level_start_pct,
            tire_set_kpa: p.tire_nominal_kpa,
            tire_set_temp: [REFERENCE_AMBIENT; 4],
            tire_set_at: [t0; 4],
            weather: noise(rng, 3.0),
            weather_t: t0,
            off_at: t0 - 86_400,
            run_s: 0.0,
            snapshot: None,
            realism: v.realism.clone(),
            real: v
                .realism
                .as_ref()
                .filter(|r| r.repairs || !r.faults.is_empty())
                .map(|r| Box::new(RealState::new(r, v.profile, t0))),
            clamped: 0,
            p,
        };
        let amb = s.ambient(t0, rng);
        s.coolant = amb;
        s.oil_temp = amb;
        s.trans_temp = amb;
        s.exhaust = amb;
        // Tires were last inflated at the temperature of the season.
        s.tire_set_temp = [amb; 4];
        s
    }

    /// Seasonal and daily climate of the home base at `t` (no weather).
    fn climate(&self, t: i64) -> f64 {
        let h = self.home;
        let season_amp_c = self
            .realism
            .as_ref()
            .and_then(|r| r.climate)
            .map_or(h.season_amp_c, |c| h.season_amp_c * c.season_scale);
        let day_of_year = (t as f64 / 86_400.0).rem_euclid(365.2425);
        // Coldest around 20 January, warmest around 21 July.
        let seasonal = h.mean_temp_c - season_amp_c * (TAU * (day_of_year - 20.0) / 365.2425).cos();
        let local_h = (t + i64::from(h.utc_offset_h) * 3600).rem_euclid(86_400) as f64 / 3600.0;
        // Warmest mid-afternoon.
        seasonal + h.day_amp_c * (TAU * (local_h - 15.0) / 24.0).cos()
    }

    /// Ambient temperature at `t`: climate plus weather, an AR(1) process with a
    /// two-day memory, advanced exactly over any gap.
    fn ambient(&mut self, t: i64, rng: &mut SmallRng) -> f64 {
        const TAU_S: f64 = 2.0 * 86_400.0;
        const SD: f64 = 3.0;
        let dt = (t - self.weather_t).max(0) as f64;
        if dt > 0.0 {
            let a = (-dt / TAU_S).exp();
            self.weather = self.weather * a + noise(rng, SD * (1.0 - a * a).sqrt());
            self.weather_t = t;
        }
        let ambient = self.climate(t) + self.weather;
        match self.realism.as_ref().and_then(|r| r.climate) {
            Some(c) => ambient + c.ambient_offset_c(t, self.odometer_km),
            None => ambient,
        }
    }

    /// The realistic state, when the vehicle has one.
    pub fn real_state(&self) -> Option<&RealState> {
        self.real.as_deref()
    }

    /// The wheel of an active slow leak.
    fn leak_wheel(&self) -> Option<usize> {
        match &self.real {
            Some(r) => r.leak_wheel(),
            None => self.deg.map(|d| d.wheel),
        }
    }

    fn effects(&mut self, t: i64) -> Effects {
        if self.real.is_some() {
            return self.real_effects(t);
        }
        let e = Effects::at(self.deg.as_ref(), t);
        if self.snapshot.is_none() && self.deg.is_some_and(|d| t > d.onset) {
            let wheel = self.deg.map_or(0, |d| d.wheel);
            self.snapshot = Some(OnsetSnapshot {
                pad_mm: self.pad_mm,
                oil_level: self.oil_level,
                tire_set_kpa: self.tire_cold_kpa(wheel, t),
            });
        }
        e
    }

    /// Tire `w`'s cold pressure at the inflation temperature, after natural loss.
    fn tire_cold_kpa(&self, w: usize, t: i64) -> f64 {
        let days = (t - self.tire_set_at[w]).max(0) as f64 / 86_400.0;
        self.tire_set_kpa[w] * (1.0 - self.p.tire_leak_per_day[w] * days).max(0.5)
    }

    /// Gauge pressure of tire `w` at tire temperature `temp`, less any slow leak.
    fn tire_kpa(&self, w: usize, t: i64, temp: f64, e: &Effects) -> f64 {
        let mut cold = self.tire_cold_kpa(w, t);
        let set_k = self.tire_set_temp[w] + KELVIN;
        if let (Some(leaking), Some(snap)) = (self.leak_wheel(), self.snapshot)
            && leaking == w
            && e.tire_leak > 0.0
        {
            // At severity 1 the tire, cooled by the reference amount below its
            // inflation temperature, is 25 % below placard: the TPMS warning.
            let cooled = (set_k - TIRE_REFERENCE_COOLING_C) / set_k;
            let at_failure = (0.75 * self.p.tire_nominal_kpa[w] + ATM_KPA) / cooled - ATM_KPA;
            let max_loss = (1.0 - at_failure / snap.tire_set_kpa).max(0.0);
            cold *= 1.0 - max_loss * e.tire_leak;
        }
        (cold + ATM_KPA) * (temp + KELVIN) / set_k - ATM_KPA
    }

    /// The engine starts at `t`: temperatures have relaxed towards ambient since it
    /// stopped; drivers top up oil and re-inflate soft tires now and then.
    pub fn engine_start(&mut self, t: i64, rng: &mut SmallRng) {
        let amb = self.ambient(t, rng);
        let off = (t - self.off_at).max(0) as f64;
        let cool = |temp: f64, tau: f64| amb + (temp - amb) * (-off / tau).exp();
        let truck = self.kind.is_diesel();
        self.coolant = cool(self.coolant, if truck { 7200.0 } else { 5400.0 });
        self.oil_temp = cool(self.oil_temp, if truck { 8000.0 } else { 6000.0 });
        self.trans_temp = cool(self.trans_temp, 7000.0);
        self.exhaust = cool(self.exhaust, 900.0);
        self.tire_heat *= (-off / 1800.0).exp();
        self.speed = 0.0;
        self.run_s = 0.0;
        let e = self.effects(t);
        let leaking = self.leak_wheel().filter(|_| e.tire_leak > 0.0);
        for w in 0..4 {
            let now = self.tire_kpa(w, t, amb + self.tire_heat, &e);
            if leaking != Some(w) && now < 0.9 * self.p.tire_nominal_kpa[w] && rng.random_bool(0.3)
            {
                self.tire_set_kpa[w] = self.p.tire_nominal_kpa[w];
                self.tire_set_temp[w] = amb + self.tire_heat;
                self.tire_set_at[w] = t;
            }
        }
        if e.oil_leak == 0.0 && self.oil_level < 78.0 && rng.random_bool(0.5) {
            self.oil_level = rng.random_range(92.0..97.0);
        }
    }

    /// The engine stops at `t`.
    pub fn engine_stop(&mut self, t: i64) {
        self.off_at = t;
        self.speed = 0.0;
    }

    /// Advances `dt` seconds of running towards driver `target` speed and returns the
    /// reading at the end of the step.
    pub fn running(
        &mut self,
        t: i64,
        dt: f64,
        (target, braking): (f64, bool),
        seg: &Segment,
        rng: &mut SmallRng,
    ) -> Sample {
        let amb = self.ambient(t, rng);
        let step = Step {
            dt,
            amb,
            pattern: seg.pattern,
            e: self.effects(t),
        };
        let m = self.advance(&step, target, rng);
        let op = self.operating_point(&m, seg.payload, rng);
        if let Some(real) = &mut self.real {
            let used = UseStep {
                dt_s: dt,
                km: m.dist,
                load: op.load,
                idle: m.v < 1.0,
                amb,
            };
            real.accrue(t, Some(used), amb);
        }
        self.warm_up(&step, &op, m.v, rng);
        let oil_pressure = self.oil(&step, op.rpm, rng);
        let brake_pressure = self.brakes(&step, &m, braking, rng);
        let (p, e) = (self.p, step.e);
        let mut s = self.base_sample(t, true, amb, &e, rng);
        let mut ok = true;
        ok &= s.set(Sig::Speed, m.v);
        ok &= s.set(Sig::EngineRpm, op.rpm);
        ok &= s.set(Sig::EngineLoad, op.load);
        ok &= s.set(Sig::FuelRate, op.fuel);
        ok &= s.set(Sig::Coolant, self.coolant);
        ok &= s.set(Sig::OilTemp, self.oil_temp);
        ok &= s.set(Sig::OilPressure, oil_pressure.max(0.0));
        ok &= s.set(Sig::TransTemp, self.trans_temp);
        ok &= s.set(Sig::BrakePressure, brake_pressure);
        let charge = p.charge_v + (0.012 * (20.0 - amb)).clamp(-0.15, 0.25) - 0.35 * e.battery;
        ok &= s.set(Sig::Battery, charge + noise(rng, 0.04));
        if self.kind.is_diesel() {
            ok &= self.aftertreatment(&mut s, &step, &op, rng);
            let boost = 2.4 * op.load * (op.rpm / 1500.0).sqrt() + noise(rng, 3.0);
            ok &= s.set(Sig::Boost, boost.max(0.0));
        }
        if !ok {
            self.clamped += 1;
        }
        s
    }

    /// Motion: the vehicle follows the driver's target with inertia; the odometer,
    /// engine hours and position move on.
    fn advance(&mut self, step: &Step, target: f64, rng: &mut SmallRng) -> Motion {
        let (truck, dt) = (self.kind.is_diesel(), step.dt);
        let v_prev = self.speed;
        let tau_v = if truck { 25.0 } else { 12.0 };
        let mut v = v_prev + (target - v_prev) * lag(dt, tau_v);
        if target > 0.0 {
            v += noise(rng, 1.5);
        } else if v < 4.0 {
            v = 0.0;
        }
        v = v.clamp(0.0, if truck { 108.0 } else { 150.0 });
        self.speed = v;
        let accel = (v - v_prev) / dt;
        let dist = 0.5 * (v + v_prev) * dt / 3600.0;
        self.odometer_km += dist;
        self.engine_hours += dt / 3600.0;
        self.run_s += dt;
        self.travel(dist, step.pattern, rng);
        Motion {
            v_prev,
            v,
            accel,
            dist,
        }
    }

    /// Engine operating point of motion `m` with `payload` aboard.
    fn operating_point(&mut self, m: &Motion, payload: f64, rng: &mut SmallRng) -> OperatingPoint {
        let (truck, p, v, accel) = (self.kind.is_diesel(), self.p, m.v, m.accel);
        self.grade = 0.7 * self.grade + noise(rng, 3.0);
        let regen_active = self.regen.is_some();
        let load = if v < 1.0 {
            10.0 + noise(rng, 1.0) + if regen_active { 8.0 } else { 0.0 }
        } else if truck {
            12.0 + 0.3 * payload * v
                + 0.0029 * v * v
                + 25.0 * accel.max(0.0) * payload
                + self.grade * payload
        } else {
            12.0 + 0.06 * v + 0.0016 * v * v + 12.0 * accel.max(0.0) + 0.5 * self.grade
        };
        let load = if accel < -0.3 {
            (load * 0.3).max(3.0)
        } else {
            load
        }
        .clamp(2.0, 100.0);
        let cold_idle = if self.coolant < 40.0 { 120.0 } else { 0.0 };
        let rpm = if v < 1.0 {
            if regen_active && truck {
                1050.0 + noise(rng, 10.0)
            } else {
                p.idle_rpm + cold_idle + noise(rng, 8.0)
            }
        } else if truck {
            (1000.0 + 3.5 * v + 2.0 * load + noise(rng, 30.0)).clamp(p.idle_rpm, 2100.0)
        } else {
            (900.0 + 13.0 * v + 6.0 * load + noise(rng, 60.0)).clamp(p.idle_rpm, 4500.0)
        };
        let fuel = if truck {
            1.2 + 0.33 * load * rpm / 1000.0 + if regen_active { 3.0 } else { 0.0 }
        } else {
            0.4 + 0.075 * load * rpm / 1000.0
        } * (1.0 + noise(rng, 0.03));
        OperatingPoint { load, rpm, fuel }
    }

    /// Temperatures: first-order lags towards load- and ambient-dependent steady
    /// states; the thermostat holds the coolant near its setpoint. A degradation
    /// blends the steady state towards a failure target that depends only mildly on
    /// load, so the failure shows at whatever load the vehicle usually runs; the
    /// targets lie a little past the thresholds because the engine rarely sits at
    /// steady state, which puts the first observed crossing near `failure_at`.
    fn warm_up(&mut self, step: &Step, op: &OperatingPoint, v: f64, rng: &mut SmallRng) {
        let (truck, p, dt, amb, load, e) = (
            self.kind.is_diesel(),
            self.p,
            step.dt,
            step.amb,
            op.load,
            &step.e,
        );
        let urban = if step.pattern == Pattern::Urban {
            5.0
        } else {
            0.0
        };
        let mut healthy_coolant = p.thermostat_c + 0.08 * load + 0.35 * (amb - 30.0).max(0.0);
        let mut healthy_trans =
            0.25 * amb + 62.0 + 0.28 * load + 0.2 * (amb - 25.0).max(0.0) + urban;
        if let Some(r) = &self.realism {
            (healthy_coolant, healthy_trans) =
                baseline_heat(r, load, healthy_coolant, healthy_trans);
        }
        let hot_target = 110.0 + OVERSHOOT_C + 0.04 * (load - REFERENCE_LOAD);
        let cold_target =
            70.0 - 2.0 + 0.04 * (load - REFERENCE_LOAD) - 0.08 * (15.0 - amb).max(0.0);
        let coolant_ss = healthy_coolant
            + (hot_target - healthy_coolant) * e.coolant_hot
            + (cold_target - healthy_coolant) * e.coolant_cold;
        let tau_c = if truck { 600.0 } else { 360.0 };
        self.coolant += (coolant_ss - self.coolant) * lag(dt, tau_c) + noise(rng, 0.3);
        let oil_ss = coolant_ss + 5.0 + 0.12 * load;
        self.oil_temp += (oil_ss - self.oil_temp) * lag(dt, 1.5 * tau_c) + noise(rng, 0.3);
        let trans_target = 120.0 + OVERSHOOT_C + 0.1 * (load - REFERENCE_LOAD);
        let trans_ss = healthy_trans + (trans_target - healthy_trans) * e.trans_hot;
        // Slipping clutch packs make heat fast: a failing transmission also warms up
        // quicker, so it overheats on short trips too.
        let tau_t = 900.0 * (1.0 - 0.6 * e.trans_hot.min(1.0));
        self.trans_temp += (trans_ss - self.trans_temp) * lag(dt, tau_t) + noise(rng, 0.3);
        let tire_heat_ss = 8.0 + if truck { 0.22 } else { 0.18 } * v;
        self.tire_heat += (tire_heat_ss - self.tire_heat) * lag(dt, 900.0);
    }

    /// Oil: viscosity raises pressure when cold; a leak lowers level and pressure
    /// (severity 1 puts warm idle pressure just below the 100 kPa threshold). Returns
    /// the pressure at `rpm`.
    fn oil(&mut self, step: &Step, rpm: f64, rng: &mut SmallRng) -> f64 {
        let (p, e) = (self.p, &step.e);
        let visc = 1.0 + 0.8 * ((90.0 - self.oil_temp) / 100.0).clamp(0.0, 1.2);
        let leak_factor =
            1.0 - (1.0 - (100.0 - OIL_OVERSHOOT_KPA) / p.oil_idle_hot_kpa) * e.oil_leak;
        let oil_pressure =
            p.oil_idle_hot_kpa * (1.0 + 0.9 * (rpm - p.idle_rpm) / 1000.0) * visc * leak_factor
                + noise(rng, 3.0);
        self.oil_level -= p.oil_use_pct_per_h * step.dt / 3600.0;
        if let Some(snap) = self.snapshot.filter(|_| e.oil_leak > 0.0) {
            self.oil_level = self
                .oil_level
                .min(snap.oil_level - (snap.oil_level - 35.0) * e.oil_leak);
        }
        oil_pressure
    }

    /// Brakes: pad wear with distance, ABS events on slippery roads. Returns the brake
    /// pressure of the step.
    fn brakes(&mut self, step: &Step, m: &Motion, braking: bool, rng: &mut SmallRng) -> f64 {
        let (v, e) = (m.v, &step.e);
        let drop = (m.v_prev - v).max(0.0);
        let braking_now = braking
            || m.accel < -0.4
            || (v > 0.0 && step.pattern == Pattern::Urban && rng.random_bool(0.15));
        let brake_pressure = if braking_now {
            (120.0 + 15.0 * drop + noise(rng, 20.0)).clamp(60.0, 900.0)
        } else {
            0.0
        };
        let wear = self.profile.pad_wear_mm_per_1000km() * m.dist / 1000.0;
        self.pad_mm -= wear;
        if let Some(snap) = self.snapshot.filter(|_| e.brake_wear > 0.0) {
            self.pad_mm = self
                .pad_mm
                .min(3.0 + (snap.pad_mm - 3.0) * (1.0 - e.brake_wear));
        }
        self.pad_mm = self.pad_mm.max(0.5);
        if braking_now && rng.random_bool(if step.amb < 0.0 { 0.06 } else { 0.01 }) {
            self.abs_count += 1.0;
        }
        brake_pressure
    }

    /// DPF and SCR/DEF signals of a running diesel.
    fn aftertreatment(
        &mut self,
        s: &mut Sample,
        step: &Step,
        op: &OperatingPoint,
        rng: &mut SmallRng,
    ) -> bool {
        let (p, amb, e) = (self.p, step.amb, &step.e);
        let flow = dpf_flow(op.rpm, op.load, p.rated_rpm);
        self.regenerate(step, op, rng);
        let regen = self.regen.is_some();

        // Differential pressure scales with flow and restriction; clogging adds a
        // restriction that puts highway-flow dp on 25 kPa at severity 1.
        let clog = 25.0 / REFERENCE_DPF_FLOW - 1.2 - 0.12 * REGEN_TRIGGER_PCT;
        let dp = flow * (1.2 + 0.12 * self.soot + clog * e.dpf_clog) + noise(rng, 0.1);
        let dp = dp.max(0.05);
        let back_pressure = 1.0 + 6.0 * flow + 0.8 * dp + noise(rng, 0.2);
        let dpf_in = self.exhaust + noise(rng, 3.0);
        // Pipes lose heat in proportion to the excess over ambient; the soot burn is
        // exothermic, so in a regen the DPF outlet runs hotter than its inlet.
        let dpf_out = if regen {
            dpf_in + 40.0
        } else {
            dpf_in - 0.03 * (dpf_in - amb)
        } + noise(rng, 3.0);
        let scr_in = dpf_out - 0.04 * (dpf_out - amb) + noise(rng, 2.0);
        let scr_out = scr_in - 0.02 * (scr_in - amb) + noise(rng, 2.0);
        let mut ok = true;
        ok &= s.set(Sig::DpfDiff, dp);
        ok &= s.set(Sig::BackPressure, back_pressure.max(0.0));
        ok &= s.set(Sig::DpfSoot, self.soot);
        ok &= s.set(Sig::DpfFailedRegens, self.failed_regens);
        ok &= s.set(Sig::DpfInlet, dpf_in);
        ok &= s.set(Sig::DpfOutlet, dpf_out);
        ok &= s.set(Sig::DpfRegen, if regen { 1.0 } else { 0.0 });
        ok &= s.set(Sig::ScrInlet, scr_in);
        ok &= s.set(Sig::ScrOutlet, scr_out);
        ok &= self.scr(s, (scr_in, flow), op, e, rng);
        ok
    }

    /// Exhaust temperature, soot load and active regeneration over one step.
    fn regenerate(&mut self, step: &Step, op: &OperatingPoint, rng: &mut SmallRng) {
        let (dt, e) = (step.dt, &step.e);
        let exhaust_ss = if self.regen.is_some() {
            600.0
        } else {
            step.amb + 130.0 + 4.0 * op.load
        };
        self.exhaust += (exhaust_ss - self.exhaust) * lag(dt, 100.0);

        // Soot builds with fuel burned (more when the exhaust is cold) and oxidises
        // passively on hot highway runs.
        let hours = dt / 3600.0;
        let production = 0.35 * op.fuel * hours * if self.exhaust < 250.0 { 1.6 } else { 1.0 };
        let passive = 0.02 * (self.exhaust - 330.0).max(0.0) * hours;
        self.soot = (self.soot + production - passive).clamp(0.0, 200.0);

        // Active regeneration. A clogging filter increasingly fails to regenerate:
        // the regen runs its course but burns little, and the count goes up.
        if self.regen.is_none() && self.soot >= self.next_regen_at {
            let fail_probability = ((e.dpf_clog - 0.3) / 0.6).clamp(0.0, 0.9);
            self.regen = Some(Regen {
                failing: rng.random_bool(fail_probability),
                elapsed_s: 0.0,
            });
        }
        if let Some(mut r) = self.regen {
            r.elapsed_s += dt;
            if self.exhaust > REGEN_BURN_C {
                let rate = if r.failing {
                    0.6 * (1.0 - e.dpf_clog).max(0.0)
                } else {
                    4.0
                };
                self.soot = (self.soot - rate * dt / 60.0).max(0.0);
            }
            let residual = 6.0 + 55.0 * e.dpf_clog.min(1.0);
            self.regen = if r.failing && r.elapsed_s >= 1200.0 {
                self.failed_regens += 1.0;
                self.next_regen_at = self.soot + 12.0;
                None
            } else if !r.failing && (self.soot <= residual || r.elapsed_s >= 3600.0) {
                self.next_regen_at = REGEN_TRIGGER_PCT;
                None
            } else {
                Some(r)
            };
        }
    }

    /// SCR: conversion needs a warm catalyst and good DEF; ageing pulls it just below
    /// 60 % (the failure threshold) at severity 1. Sets the NOx and DEF signals.
    fn scr(
        &self,
        s: &mut Sample,
        (scr_in, flow): (f64, f64),
        op: &OperatingPoint,
        e: &Effects,
        rng: &mut SmallRng,
    ) -> bool {
        let (p, load, rpm) = (self.p, op.load, op.rpm);
        let cold_start = if self.coolant < 50.0 { 1.2 } else { 1.0 };
        let nox_up = ((150.0 + 12.0 * load * rpm / 1500.0) * cold_start * (1.0 + noise(rng, 0.04)))
            .max(20.0);
        let def_quality =
            p.def_quality_pct - (p.def_quality_pct - 26.0) * e.def_dilution + noise(rng, 0.08);
        let warm = ((scr_in - 180.0) / 80.0).clamp(0.0, 1.0);
        let healthy_eff = p.scr_efficiency + noise(rng, 0.008);
        let eff = (healthy_eff * (def_quality / p.def_quality_pct).min(1.0).powi(2)
            - (p.scr_efficiency - 0.6 + SCR_OVERSHOOT) * e.scr_loss)
            .clamp(0.0, 1.0)
            * warm;
        let nox_down = (nox_up * (1.0 - eff) + noise(rng, 1.5)).max(0.0);
        let dosing = scr_in >= 200.0;
        let duty = if dosing {
            (nox_up * eff * flow * 0.035 * p.def_quality_pct / def_quality + noise(rng, 0.3))
                .clamp(0.0, 100.0)
        } else {
            0.0
        };
        let mut ok = true;
        ok &= s.set(Sig::NoxUp, nox_up);
        ok &= s.set(Sig::NoxDown, nox_down);
        ok &= s.set(Sig::DefQuality, def_quality);
        ok &= s.set(Sig::DefDuty, duty);
        ok &= s.set(Sig::DefPumpPressure, 900.0 + noise(rng, 8.0));
        ok &= s.set(Sig::DefPumpCurrent, 1.6 + 0.015 * duty + noise(rng, 0.03));
        ok
    }

    /// A parked heartbeat at `t`: engine off, temperatures relaxing, the battery at
    /// rest.
    pub fn parked(&mut self, t: i64, rng: &mut SmallRng) -> Sample {
        let amb = self.ambient(t, rng);
        let e = self.effects(t);
        if let Some(real) = &mut self.real {
            real.accrue(t, None, amb);
        }
        let off = (t - self.off_at).max(0) as f64;
        let truck = self.kind.is_diesel();
        let tau = if truck { 7200.0 } else { 5400.0 };
        let coolant = amb + (self.coolant - amb) * (-off / tau).exp();
        let p = self.p;
        // Rested voltage drops in the cold and with days of standing; ageing pulls it
        // to just below 12.0 V at severity 1.
        let standing = (0.01 * off / 86_400.0).min(0.1);
        let healthy = p.battery_rest_v - 0.004 * (20.0 - amb).max(0.0) - standing;
        let rest = healthy + (12.0 - 0.03 - healthy) * e.battery;
        let mut s = self.base_sample(t, false, amb, &e, rng);
        let mut ok = true;
        ok &= s.set(Sig::Battery, rest + noise(rng, 0.015));
        ok &= s.set(Sig::Coolant, coolant);
        ok &= s.set(Sig::Speed, 0.0);
        ok &= s.set(Sig::EngineRpm, 0.0);
        if truck {
            ok &= s.set(Sig::DpfSoot, self.soot);
            ok &= s.set(Sig::DpfFailedRegens, self.failed_regens);
            let def_quality = p.def_quality_pct - (p.def_quality_pct - 26.0) * e.def_dilution;
            ok &= s.set(Sig::DefQuality, def_quality + noise(rng, 0.08));
        }
        if !ok {
            self.clamped += 1;
        }
        s
    }

    /// Signals common to running and parked readings.
    fn base_sample(
        &mut self,
        t: i64,
        running: bool,
        amb: f64,
        e: &Effects,
        rng: &mut SmallRng,
    ) -> Sample {
        let mut s = Sample::new(self.index, t, running);
        s.odometer_km = (self.odometer_km * 100.0).round() / 100.0;
        s.engine_hours = (self.engine_hours * 1000.0).round() / 1000.0;
        let (lat, lon) = self.position();
        s.lat = lat;
        s.lon = lon;
        if let Some(real) = &self.real {
            s.dtcs = real.dtc_mask(self.kind);
        } else if let Some(d) = &self.deg {
            s.dtcs = d.dtc_mask(t, self.kind);
        }
        let tire_temp = amb + if running { self.tire_heat } else { 0.0 };
        let mut ok = true;
        ok &= s.set(Sig::Ambient, amb + noise(rng, 0.3));
        for (w, sig) in TIRES.into_iter().enumerate() {
            let kpa = self.tire_kpa(w, t, tire_temp, e) + noise(rng, 1.5);
            ok &= s.set(sig, kpa);
        }
        ok &= s.set(Sig::OilLevel, self.oil_level + noise(rng, 0.3));
        ok &= s.set(Sig::BrakePad, self.pad_mm);
        let worn = (self.p.pad_new_mm - self.pad_mm) / (self.p.pad_new_mm - 3.0) * 100.0;
        ok &= s.set(Sig::BrakeWear, worn.clamp(0.0, 100.0));
        ok &= s.set(Sig::AbsEvents, self.abs_count);
        let spike = if rng.random_bool(0.005) {
            rng.random_range(1.0..3.0)
        } else {
            0.0
        };
        let drop = self.p.can_drop_pct * noise(rng, 0.4).exp() + spike;
        ok &= s.set(Sig::CanDrop, drop);
        if !ok {
            self.clamped += 1;
        }
        s
    }

    /// Moves `km` along a wandering heading, turning back home when too far out.
    fn travel(&mut self, km: f64, pattern: Pattern, rng: &mut SmallRng) {
        if km <= 0.0 {
            return;
        }
        let wander = if pattern == Pattern::Urban { 0.6 } else { 0.15 };
        self.heading += noise(rng, wander);
        if self.x_km.hypot(self.y_km) > self.profile.roam_radius_km() {
            self.heading = (-self.y_km).atan2(-self.x_km) + noise(rng, 0.3);
        }
        self.x_km += km * self.heading.cos();
        self.y_km += km * self.heading.sin();
    }

    fn position(&self) -> (f64, f64) {
        const KM_PER_DEG: f64 = 111.32;
        let lat = (self.home.lat + self.y_km / KM_PER_DEG).clamp(-89.0, 89.0);
        let lon = self.home.lon + self.x_km / (KM_PER_DEG * self.home.lat.to_radians().cos());
        (lat, (lon + 180.0).rem_euclid(360.0) - 180.0)
    }
}
