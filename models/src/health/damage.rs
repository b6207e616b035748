//! Damage: how far a component has moved from its vehicle's healthy baseline towards
//! the physical limit at which it counts as failed, 0 (as at baseline) to 1 (at the
//! limit; above 1 past it).
//!
//! The limits are the usual workshop criteria, the same ones the simulator's ground
//! truth uses to define a failure (its `criterion`): DPF pressure drop of 25 kPa at
//! highway flow, SCR conversion under 60 %, DEF under 26 % urea, warm-idle oil pressure
//! under 100 kPa, coolant over 110 °C or never above 70 °C, pads under 3 mm, rested
//! battery under 12.0 V, transmission oil over 120 °C, a tire 25 % below its axle
//! partner.

use shared_schemas::events::Component;
use shared_schemas::parts::Part;

use super::baseline::Baselines;
use super::indicators::Indicator;
use super::rul::Normalization;
use super::state::Day;

/// DPF differential pressure limit at highway flow with a full filter, kPa.
pub const DPF_LIMIT_KPA: f64 = 25.0;
/// Soot load at which a regeneration is due, %: the DPF limit is read there.
const DPF_LIMIT_SOOT_PCT: f64 = 100.0;
/// Lowest acceptable SCR NOx conversion.
pub const SCR_LIMIT: f64 = 0.60;
/// Lowest acceptable DEF urea concentration, %.
pub const DEF_LIMIT_PCT: f64 = 26.0;
/// Lowest acceptable warm-idle oil pressure, kPa.
pub const OIL_PRESSURE_LIMIT_KPA: f64 = 100.0;
/// Overheating coolant, °C.
pub const COOLANT_HOT_LIMIT_C: f64 = 110.0;
/// Coolant that never warms past this while driving means a stuck-open thermostat, °C.
pub const COOLANT_COLD_LIMIT_C: f64 = 70.0;
/// Pad lining at which pads must be replaced, mm.
pub const PAD_LIMIT_MM: f64 = 3.0;
/// Rested battery voltage of a battery that will soon fail to crank, V.
pub const BATTERY_LIMIT_V: f64 = 12.0;
/// Overheating transmission oil, °C.
pub const TRANS_LIMIT_C: f64 = 120.0;
/// A tire this far below its axle partner is under-inflated (TPMS warning level).
pub const TIRE_LIMIT_RATIO: f64 = 0.75;

/// A way a component fails: one indicator moving towards one limit. Cooling has two
/// (overheating, and a thermostat stuck open), tires one per wheel, SCR/DEF conversion
/// and urea quality. Each part has its own signed damage series and trend, so noise
/// around a baseline is not mistaken for moving towards whichever limit is nearer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PartSpec {
    /// Stable name, e.g. `coolant_hot`.
    pub name: &'static str,
    /// The indicator it reads.
    pub indicator: Indicator,
    /// The failure limit, in the indicator's unit (for tires, a share of baseline).
    pub limit: f64,
    /// Whether the limit is relative to the baseline (a share of it).
    pub relative: bool,
    /// The name its growth law is learned under: parts that fail alike (the four
    /// tires) share one.
    pub law: &'static str,
}

const fn part(part: Part, indicator: Indicator, limit: f64) -> PartSpec {
    let name = part.name();
    PartSpec {
        name,
        indicator,
        limit,
        relative: false,
        law: name,
    }
}

const fn tire(part: Part, indicator: Indicator) -> PartSpec {
    PartSpec {
        name: part.name(),
        indicator,
        limit: TIRE_LIMIT_RATIO,
        relative: true,
        law: "tire_pressure",
    }
}

const DPF: &[PartSpec] = &[part(
    Part::DpfRestriction,
    Indicator::DpfDpRef,
    DPF_LIMIT_KPA,
)];
const SCR_DEF: &[PartSpec] = &[
    part(Part::ScrConversion, Indicator::ScrConversion, SCR_LIMIT),
    part(Part::DefQuality, Indicator::DefQuality, DEF_LIMIT_PCT),
];
const ENGINE_OIL: &[PartSpec] = &[part(
    Part::OilPressure,
    Indicator::OilPressureIdle,
    OIL_PRESSURE_LIMIT_KPA,
)];
const COOLING: &[PartSpec] = &[
    part(
        Part::CoolantHot,
        Indicator::CoolantDriving,
        COOLANT_HOT_LIMIT_C,
    ),
    part(
        Part::CoolantCold,
        Indicator::CoolantDriving,
        COOLANT_COLD_LIMIT_C,
    ),
];
const BRAKES: &[PartSpec] = &[part(Part::PadWear, Indicator::BrakeWear, 100.0)];
const BATTERY: &[PartSpec] = &[part(
    Part::BatteryRest,
    Indicator::BatteryRest,
    BATTERY_LIMIT_V,
)];
const TRANSMISSION: &[PartSpec] = &[part(Part::TransHot, Indicator::TransTemp, TRANS_LIMIT_C)];
const TIRES: &[PartSpec] = &[
    tire(Part::TireFl, Indicator::TireFl),
    tire(Part::TireFr, Indicator::TireFr),
    tire(Part::TireRl, Indicator::TireRl),
    tire(Part::TireRr, Indicator::TireRr),
];

/// The ways `c` fails.
pub fn parts(c: Component) -> &'static [PartSpec] {
    match c {
        Component::Dpf => DPF,
        Component::ScrDef => SCR_DEF,
        Component::EngineOil => ENGINE_OIL,
        Component::Cooling => COOLING,
        Component::Brakes => BRAKES,
        Component::Battery => BATTERY,
        Component::Transmission => TRANSMISSION,
        Component::Tires => TIRES,
    }
}

/// One part's damage on one day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PartDay {
    /// Its daily value.
    pub value: f64,
    /// Its baseline (or reference), in the same unit.
    pub baseline: f64,
    /// The limit, in the same unit.
    pub limit: f64,
    /// Signed damage: 0 at baseline, 1 at the limit, negative moving away from it.
    pub damage: f64,
    /// Readings behind the value.
    pub samples: u32,
}

/// Damage moving from `baseline` towards `limit` (either direction).
fn towards(value: f64, baseline: f64, limit: f64) -> f64 {
    let span = limit - baseline;
    if span.abs() < 1e-9 {
        return 0.0;
    }
    (value - baseline) / span
}

/// Whether the component wears out in normal use (its damage grows even when healthy,
/// and only its pace says whether something is wrong).
pub fn is_wear_item(c: Component) -> bool {
    c == Component::Brakes
}

/// Whether the vehicle reports anything about `c` on `day`.
pub fn observed(c: Component, day: &Day) -> bool {
    parts(c).iter().any(|p| day.agg(p.indicator).n > 0)
}

/// The damage of part `p` on `day`, or `None` when the day says nothing about it or
/// the baseline it needs is not learned yet. Engine temperatures are first brought to
/// the vehicle's baseline load and weather with `norm`.
pub fn of_day(p: &PartSpec, day: &Day, base: &Baselines, norm: &Normalization) -> Option<PartDay> {
    let samples = day.agg(p.indicator).n;
    let (value, baseline, limit) = match p.indicator {
        Indicator::DpfDpRef => {
            // The part of the pressure that soot does not explain is restriction (ash,
            // a plugged substrate); read it where the limit is defined.
            let fit = base.dpf()?;
            let pressure = day.value(Indicator::DpfDpRef)?;
            let soot = day.value(Indicator::DpfSoot)?;
            let baseline = fit.expected(DPF_LIMIT_SOOT_PCT);
            (pressure - fit.expected(soot) + baseline, baseline, p.limit)
        }
        // Wear is measured from new: no baseline.
        Indicator::BrakeWear => (day.value(p.indicator)?, 0.0, p.limit),
        i => {
            let baseline = base.get(i)?;
            let limit = if p.relative {
                p.limit * baseline
            } else {
                p.limit
            };
            let mut value = day.value(i)?;
            if let Some(cov) = norm.of(i) {
                let load = day
                    .value(Indicator::LoadWarm)
                    .zip(base.get(Indicator::LoadWarm));
                let ambient = day
                    .value(Indicator::AmbientWarm)
                    .zip(base.get(Indicator::AmbientWarm));
                if let Some((l, bl)) = load {
                    value -= cov.per_load_pct * (l - bl);
                }
                if let Some((a, ba)) = ambient {
                    value -= cov.per_ambient_c * (a - ba);
                }
                if let Some((h, bh)) = day
                    .value(Indicator::HeatWarm)
                    .zip(base.get(Indicator::HeatWarm))
                {
                    value -= cov.per_heat_c * (h - bh);
                }
            }
            (value, baseline, limit)
        }
    };
    Some(PartDay {
        value,
        baseline,
        limit,
        damage: towards(value, baseline, limit),
        samples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(values: &[(Indicator, f64)]) -> Day {
        let mut d = Day::default();
        for (i, v) in values {
            for _ in 0..10 {
                let a = &mut d.aggs[i.index()];
                a.n += 1;
                a.sum += v;
                a.min = a.min.min(*v);
                a.max = a.max.max(*v);
            }
        }
        d
    }

    fn baselines(values: &[(Indicator, f64)]) -> Baselines {
        let mut days = std::collections::BTreeMap::new();
        let n = crate::health::baseline::BASELINE_DAYS as i64;
        for k in 0..n {
            days.insert(k, day(values));
        }
        let mut b = Baselines::default();
        b.learn(&days, n);
        b
    }

    fn damage(c: Component, name: &str, d: &Day, b: &Baselines) -> Option<f64> {
        let spec = parts(c)
            .iter()
            .find(|p| p.name == name)
            .expect("part exists");
        of_day(spec, d, b, &Normalization::default()).map(|p| p.damage)
    }

    #[test]
    fn oil_pressure_damage_runs_from_baseline_to_limit() {
        let b = baselines(&[(Indicator::OilPressureIdle, 200.0)]);
        let d = |p| {
            damage(
                Component::EngineOil,
                "oil_pressure",
                &day(&[(Indicator::OilPressureIdle, p)]),
                &b,
            )
            .expect("damage")
        };
        assert!(d(200.0).abs() < 1e-9);
        assert!((d(150.0) - 0.5).abs() < 1e-9);
        assert!((d(100.0) - 1.0).abs() < 1e-9);
        assert!(
            (d(250.0) + 0.5).abs() < 1e-9,
            "healthier than baseline is negative"
        );
    }

    #[test]
    fn cooling_parts_are_signed_and_opposite() {
        let b = baselines(&[(Indicator::CoolantDriving, 90.0)]);
        let hot_day = day(&[(Indicator::CoolantDriving, 100.0)]);
        let hot = damage(Component::Cooling, "coolant_hot", &hot_day, &b).expect("damage");
        let cold = damage(Component::Cooling, "coolant_cold", &hot_day, &b).expect("damage");
        assert!((hot - 0.5).abs() < 1e-9);
        assert!((cold + 0.5).abs() < 1e-9);
    }

    #[test]
    fn temperatures_are_brought_to_baseline_load_and_weather() {
        let b = baselines(&[
            (Indicator::TransTemp, 80.0),
            (Indicator::LoadWarm, 40.0),
            (Indicator::AmbientWarm, 10.0),
        ]);
        // A heavy day in the heat: 20 % more load and 10 °C warmer explain 9 °C.
        let hot_heavy = day(&[
            (Indicator::TransTemp, 89.0),
            (Indicator::LoadWarm, 60.0),
            (Indicator::AmbientWarm, 20.0),
        ]);
        let norm = Normalization {
            transmission: crate::health::rul::Covariates {
                per_load_pct: 0.3,
                per_ambient_c: 0.3,
                per_heat_c: 0.0,
            },
            ..Normalization::default()
        };
        let spec = &parts(Component::Transmission)[0];
        let raw = of_day(spec, &hot_heavy, &b, &Normalization::default()).expect("damage");
        assert!((raw.damage - 9.0 / 40.0).abs() < 1e-9);
        let normalized = of_day(spec, &hot_heavy, &b, &norm).expect("damage");
        assert!(normalized.damage.abs() < 1e-9, "{normalized:?}");
    }

    #[test]
    fn tire_limit_is_relative_to_the_wheel_baseline() {
        let b = baselines(&[(Indicator::TireRl, 700.0)]);
        let low = damage(
            Component::Tires,
            "tire_rl",
            &day(&[(Indicator::TireRl, 612.5)]),
            &b,
        )
        .expect("damage");
        assert!((low - 0.5).abs() < 1e-9, "12.5 % low is half way to 25 %");
    }

    #[test]
    fn nothing_without_a_baseline_or_data() {
        let none = Baselines::default();
        let rest = day(&[(Indicator::BatteryRest, 12.4)]);
        assert!(damage(Component::Battery, "battery_rest", &rest, &none).is_none());
        let b = baselines(&[(Indicator::BatteryRest, 12.6)]);
        assert!(damage(Component::Battery, "battery_rest", &Day::default(), &b).is_none());
        // Brake wear needs no baseline.
        let pads = day(&[(Indicator::BrakeWear, 40.0)]);
        let d = damage(Component::Brakes, "pad_wear", &pads, &none).expect("damage");
        assert!((d - 0.4).abs() < 1e-9);
    }
}
