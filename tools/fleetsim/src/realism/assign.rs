//! Giving a built fleet its realistic extras, feature by feature.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::fault::Fault;
use super::options::RealismOptions;
use super::params::{Range, RealismParams};
use super::sensor::SensorFault;
use super::vehicle::{CAR_VARIANTS, Climate, Realism, RunsHot, TRUCK_VARIANTS, WeatherEvent};
use crate::degradation::{Degradation, FailureMode};
use crate::profile::DutyProfile;
use crate::simulate::SimConfig;
use crate::vehicle::{Vehicle, mix};

/// The realism of a run: which features, with which distributions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RealismConfig {
    /// The switches.
    pub options: RealismOptions,
    /// The distributions.
    pub params: RealismParams,
}

/// Purpose tags of the per-feature random streams.
const TAG_LAWS: u64 = 0x7265_616c_6c61;
const TAG_CONCURRENT: u64 = 0x7265_616c_636f;
const TAG_PRE: u64 = 0x7265_616c_7072;
const TAG_REPAIRS: u64 = 0x7265_616c_7270;
const TAG_SENSOR: u64 = 0x7265_616c_736e;
const TAG_HOT: u64 = 0x7265_616c_686f;
const TAG_CLIMATE: u64 = 0x7265_616c_636c;
const TAG_VARIANT: u64 = 0x7265_616c_7661;

fn uniform(rng: &mut SmallRng, [lo, hi]: Range) -> f64 {
    rng.random_range(lo..hi)
}

/// Gives every vehicle of `fleet` the extras `config` turns on. With every switch
/// off the fleet is left exactly as it was.
pub fn assign_realism(fleet: &mut [Vehicle], cfg: &SimConfig, config: &RealismConfig) {
    let o = config.options;
    if !o.any() {
        return;
    }
    for v in fleet.iter_mut() {
        let stream = |tag| SmallRng::seed_from_u64(mix(cfg.seed, tag, u64::from(v.index)));
        let mut r = Realism::empty();
        let p = &config.params;
        if o.realistic_faults() {
            r.faults = faults_of(v, cfg, config, &stream);
            r.usage = o.usage;
            v.degradation = None;
        }
        if o.repairs {
            schedule_services(&mut r, v, cfg, p, &mut stream(TAG_REPAIRS));
        }
        if o.sensor_faults {
            let mut rng = stream(TAG_SENSOR);
            if rng.random_bool(p.sensor_fault_fraction) {
                let f = SensorFault::draw(&mut rng, v.kind.is_diesel(), p, (cfg.start, cfg.end));
                r.sensor_faults.push(f);
            }
        }
        if o.runs_hot {
            let mut rng = stream(TAG_HOT);
            let heavy = matches!(v.profile, DutyProfile::LongHaul | DutyProfile::Regional);
            if heavy && rng.random_bool(p.runs_hot_fraction) {
                r.runs_hot = Some(RunsHot {
                    coolant_c: uniform(&mut rng, p.runs_hot_coolant_c),
                    trans_c: uniform(&mut rng, p.runs_hot_trans_c),
                });
            }
        }
        if o.climate {
            r.climate = Some(draw_climate(&mut stream(TAG_CLIMATE), cfg, p));
        }
        if o.variants {
            apply_variant(&mut r, v, &mut stream(TAG_VARIANT));
        }
        v.realism = Some(Box::new(r));
    }
}

/// The vehicle's faults: its default-profile degradation made realistic, plus any
/// concurrent ones.
fn faults_of(
    v: &Vehicle,
    cfg: &SimConfig,
    config: &RealismConfig,
    stream: &dyn Fn(u64) -> SmallRng,
) -> Vec<Fault> {
    let (o, p) = (config.options, &config.params);
    let Some(d) = v.degradation else {
        return Vec::new();
    };
    let span = (cfg.start, cfg.end);
    let mut laws = stream(TAG_LAWS);
    let realistic = |rng: &mut SmallRng, d: &Degradation| {
        if o.laws {
            Fault {
                wheel: d.wheel,
                ..Fault::draw(rng, d.mode, p, span)
            }
        } else {
            Fault::from_degradation(d)
        }
    };
    let mut faults = vec![realistic(&mut laws, &d)];
    if o.concurrent {
        let mut rng = stream(TAG_CONCURRENT);
        while faults.len() < 3 && rng.random_bool(p.concurrent_probability) {
            let Some(extra) = other_degradation(&mut rng, v, cfg, &faults) else {
                break;
            };
            faults.push(realistic(&mut laws, &extra));
        }
    }
    if o.pre_degraded {
        let mut rng = stream(TAG_PRE);
        for f in &mut faults {
            if rng.random_bool(p.pre_degraded_fraction) {
                let wear = uniform(&mut rng, p.pre_degraded_wear);
                f.pre_degrade(cfg.start, wear);
            }
        }
    }
    if o.repairs {
        let mut rng = stream(TAG_REPAIRS ^ 1);
        for f in &mut faults {
            f.repair_delay_days = uniform(&mut rng, p.repair_delay_days);
        }
    }
    faults
}

/// A default-profile degradation of a component the vehicle has no fault of yet.
fn other_degradation(
    rng: &mut SmallRng,
    v: &Vehicle,
    cfg: &SimConfig,
    faults: &[Fault],
) -> Option<Degradation> {
    let taken = |m: FailureMode| faults.iter().any(|f| f.mode.component() == m.component());
    (0..30)
        .map(|_| Degradation::draw(rng, v.kind, cfg.start, cfg.end))
        .find(|d| !taken(d.mode))
}

/// Routine services every interval (trucks more often than cars) from a random
/// phase, and the seed of what the mechanics find.
fn schedule_services(
    r: &mut Realism,
    v: &Vehicle,
    cfg: &SimConfig,
    p: &RealismParams,
    rng: &mut SmallRng,
) {
    let days = if v.kind.is_diesel() {
        p.truck_service_days
    } else {
        p.car_service_days
    };
    let every = (uniform(rng, days) * 86_400.0) as i64;
    let mut at = cfg.start + rng.random_range(0..every.max(1));
    while at < cfg.end {
        r.services.push(at);
        at += every;
    }
    r.repairs = true;
    r.inspection_wear = p.inspection_wear;
    r.inspection_find_probability = p.inspection_find_probability;
    r.service_seed = rng.random();
}

fn draw_climate(rng: &mut SmallRng, cfg: &SimConfig, p: &RealismParams) -> Climate {
    let season_scale = uniform(rng, p.season_scale);
    let altitude_peak_m = if rng.random_bool(p.altitude_fraction) {
        uniform(rng, p.altitude_m)
    } else {
        0.0
    };
    let event = rng.random_bool(p.weather_event_fraction).then(|| {
        let from = rng.random_range(cfg.start..cfg.end);
        let days = uniform(rng, p.weather_event_days);
        let sign = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
        WeatherEvent {
            from,
            to: from + (days * 86_400.0) as i64,
            offset_c: sign * uniform(rng, p.weather_event_c),
        }
    });
    Climate {
        season_scale,
        altitude_peak_m,
        event,
    }
}

/// Picks the vehicle's model and shifts its constants to the model's baseline.
fn apply_variant(r: &mut Realism, v: &mut Vehicle, rng: &mut SmallRng) {
    let table = if v.kind.is_diesel() {
        &TRUCK_VARIANTS
    } else {
        &CAR_VARIANTS
    };
    let variant = table[rng.random_range(0..table.len())];
    let params = &mut v.params;
    params.thermostat_c += variant.thermostat_offset_c;
    params.oil_idle_hot_kpa *= variant.oil_pressure_scale;
    params.idle_rpm += variant.idle_rpm_offset;
    params.battery_rest_v += variant.battery_offset_v;
    r.variant = Some(variant);
}
