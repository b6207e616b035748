//! Training the health model ([`RulModel`]) on a simulated fleet with known failures.
//!
//! 1. Replay the training fleet and record, at a fixed cadence, the trend features of
//!    every failure part that shows any damage ([`record`]). Features do not depend on
//!    the calibration, so one replay serves every candidate.
//! 2. Per component, fit `ln RUL` on the features of truly degrading vehicles between
//!    onset and failure, by least squares (linfa).
//! 3. Per component, choose the trend thresholds (`min_damage`, `min_t`) that raise the
//!    fewest alarms on vehicles without that fault and, among those, warn of real
//!    failures earliest.
//! 4. Per failure part, choose the growth law whose fit to the faulty part's history
//!    puts its RUL in the right urgency band most often ([`growth`]).
//!
//! The benchmark (`detection-bench`) scores the result on a fleet of another seed.

use std::collections::BTreeMap;

use linfa::prelude::*;
use linfa_linear::LinearRegression;
use ndarray::{Array1, Array2};
use shared_schemas::events::Component;

use crate::fleet::{FleetSpec, truth_component, truth_part};
use fleetsim::vehicle::Vehicle;
use models::health::damage::{self, PartSpec};
use models::health::engine::{part_features, screen};
use models::health::indicators::Indicator;
use models::health::rul::{
    Calibration, Covariates, Features, Normalization, RUL_CAP_DAYS, RulModel,
};
use models::health::{VehicleState, score};

pub mod growth;

/// Parts with damage below this and no level concern cannot alarm: not recorded.
const RECORD_MIN_DAMAGE: f64 = 0.03;
/// The score under which a component is reported degraded (the poor band).
const ALARM_SCORE: f64 = 0.4;
/// Warnings earlier than this many days count no more than this.
const LEAD_CAP_DAYS: f64 = 30.0;
/// Candidate thresholds.
const MIN_DAMAGE_GRID: [f64; 10] = [0.05, 0.08, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5];
const MIN_T_GRID: [f64; 6] = [2.0, 3.0, 4.0, 5.0, 6.0, 8.0];
const MIN_PACE_RATIO_GRID: [f64; 6] = [1.3, 1.5, 2.0, 2.5, 3.0, 4.0];
const MIN_SLOPE_GRID: [f64; 6] = [0.0, 0.005, 0.01, 0.02, 0.03, 0.05];

/// One recorded observation of one part.
#[derive(Debug, Clone, Copy)]
pub struct Observation {
    /// Simulated instant, Unix seconds.
    pub t: i64,
    /// The component.
    pub component: Component,
    /// The failure part.
    pub part: &'static PartSpec,
    /// Its trend features.
    pub features: Features,
}

/// A training vehicle: its truth and what was recorded.
#[derive(Debug, Clone)]
pub struct Record {
    /// The injected fault: component, onset, failure (Unix seconds).
    pub truth: Option<(Component, i64, i64)>,
    /// Components the vehicle reports on.
    pub observed: Vec<Component>,
    /// Observations in time order.
    pub observations: Vec<Observation>,
    /// The faulty part's damage history between onset and failure, for the growth laws.
    pub histories: Vec<growth::History>,
}

/// Runs `f` over every vehicle of `spec` on `threads` threads; results in fleet order.
fn per_vehicle<T: Send>(
    spec: &FleetSpec,
    threads: usize,
    f: impl Fn(&Vehicle) -> T + Sync,
) -> Vec<T> {
    crate::parallel::map_in_order(&spec.fleet(), threads, f)
}

/// Replays `spec` on `threads` threads and records every vehicle, with temperatures
/// normalized by `norm`.
pub fn record(spec: &FleetSpec, threads: usize, norm: &Normalization) -> Vec<Record> {
    per_vehicle(spec, threads, |v| record_vehicle(v, spec, norm))
}

/// Days a temperature needs this many warm readings to enter the normalization fit.
const NORM_MIN_READINGS: u32 = 30;

/// Fits how engine temperatures follow load and weather, on the healthy vehicles of
/// `spec`: a least-squares fit (linfa) of each vehicle's daily mean temperature on its
/// daily mean load and ambient, all centred per vehicle so that vehicles' own levels
/// (thermostats differ) do not count.
pub fn fit_normalization(spec: &FleetSpec, threads: usize) -> Option<Normalization> {
    let days = per_vehicle(spec, threads, |v| {
        if v.degradation.is_some() {
            return Vec::new();
        }
        let mut state = VehicleState::new();
        for sample in fleetsim::simulate::VehicleSim::new(v.clone(), spec.sim_config()) {
            state.apply(&sample.to_reading(v, spec.seed));
        }
        let rows: Vec<[f64; 5]> = state
            .days()
            .filter(|(_, d)| d.agg(Indicator::CoolantDriving).n >= NORM_MIN_READINGS)
            .filter_map(|(_, d)| {
                Some([
                    d.value(Indicator::CoolantDriving)?,
                    d.value(Indicator::TransTemp)?,
                    d.value(Indicator::LoadWarm)?,
                    d.value(Indicator::AmbientWarm)?,
                    d.value(Indicator::HeatWarm)?,
                ])
            })
            .collect();
        centred(rows)
    });
    let rows: Vec<[f64; 5]> = days.into_iter().flatten().collect();
    let fit = |column: usize| -> Option<Covariates> {
        let x: Vec<f64> = rows.iter().flat_map(|r| [r[2], r[3], r[4]]).collect();
        let y: Vec<f64> = rows.iter().map(|r| r[column]).collect();
        let dataset = Dataset::new(
            Array2::from_shape_vec((rows.len(), 3), x).ok()?,
            Array1::from_vec(y),
        );
        let fitted = LinearRegression::new()
            .with_intercept(false)
            .fit(&dataset)
            .ok()?;
        Some(Covariates {
            per_load_pct: fitted.params()[0],
            per_ambient_c: fitted.params()[1],
            per_heat_c: fitted.params()[2],
        })
    };
    if rows.len() < 50 {
        return None;
    }
    Some(Normalization {
        coolant: fit(0)?,
        transmission: fit(1)?,
    })
}

/// Rows minus their column means.
fn centred<const N: usize>(mut rows: Vec<[f64; N]>) -> Vec<[f64; N]> {
    if rows.len() < 2 {
        return Vec::new();
    }
    let n = rows.len() as f64;
    for k in 0..N {
        let mean = rows.iter().map(|r| r[k]).sum::<f64>() / n;
        for r in &mut rows {
            r[k] -= mean;
        }
    }
    rows
}

fn record_vehicle(v: &Vehicle, spec: &FleetSpec, norm: &Normalization) -> Record {
    let mut state = VehicleState::new();
    let mut observations = Vec::new();
    let mut histories = Vec::new();
    let faulty = v.degradation.map(|d| (truth_part(&d), d.onset, d.failure));
    let mut next = i64::MIN;
    let mut next_history = i64::MIN;
    for sample in fleetsim::simulate::VehicleSim::new(v.clone(), spec.sim_config()) {
        state.apply(&sample.to_reading(v, spec.seed));
        if sample.t < next {
            continue;
        }
        next = sample.t + spec.assess_every_s;
        let Some(screened) = screen(&state) else {
            continue;
        };
        for c in Component::ALL {
            for p in damage::parts(c) {
                let Some(series) = part_features(&state, &screened, p, sample.t, norm) else {
                    continue;
                };
                let f = series.features;
                if let Some((part, onset, failure)) = faulty
                    && part == p.name
                    && (onset..failure).contains(&sample.t)
                    && sample.t >= next_history
                {
                    next_history = sample.t + growth::HISTORY_EVERY_S;
                    histories.push(growth::History {
                        t: sample.t,
                        component: c,
                        part: p.law,
                        ttf_days: (failure - sample.t) as f64 / 86_400.0,
                        points: series.points,
                        features: f,
                    });
                }
                if f.damage >= RECORD_MIN_DAMAGE || f.recent >= RECORD_MIN_DAMAGE {
                    observations.push(Observation {
                        t: sample.t,
                        component: c,
                        part: p,
                        features: f,
                    });
                }
            }
        }
    }
    let observed = Component::ALL
        .into_iter()
        .filter(|c| state.days().any(|(_, d)| damage::observed(*c, d)))
        .collect();
    Record {
        truth: v
            .degradation
            .map(|d| (truth_component(&d), d.onset, d.failure)),
        observed,
        observations,
        histories,
    }
}

/// How one calibration does on one component of the training fleet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// Vehicles without this fault that alarmed on it.
    pub false_alarms: usize,
    /// Vehicles failing within the run with this fault.
    pub failures: usize,
    /// Of those, warned between onset and failure.
    pub detected: usize,
    /// Mean of min(lead, 30 days) / 30 over failures (0 for a miss).
    pub lead_score: f64,
}

impl Outcome {
    /// The training objective: the lead score summed over failures (1 per failure
    /// warned 30 days ahead) minus `penalty` per false alarm.
    pub fn value(&self, penalty: f64) -> f64 {
        self.lead_score * self.failures as f64 - penalty * self.false_alarms as f64
    }
}

/// The first alarm time of `c` on a vehicle under `cal`.
fn first_alarm(rec: &Record, c: Component, cal: &Calibration) -> Option<i64> {
    let wear = damage::is_wear_item(c);
    rec.observations
        .iter()
        .filter(|o| o.component == c)
        .find(|o| {
            let v = cal.verdict(&o.features, wear);
            score::score(v.scored_rul(), o.features.recent, wear) < ALARM_SCORE
        })
        .map(|o| o.t)
}

/// Scores `cal` on component `c` of `records`, for a run ending at `end`.
pub fn evaluate(records: &[Record], c: Component, cal: &Calibration, end: i64) -> Outcome {
    let mut out = Outcome {
        false_alarms: 0,
        failures: 0,
        detected: 0,
        lead_score: 0.0,
    };
    let mut lead_sum = 0.0;
    for rec in records.iter().filter(|r| r.observed.contains(&c)) {
        let alarm = first_alarm(rec, c, cal);
        match rec.truth {
            Some((tc, onset, failure)) if tc == c => {
                if failure < end {
                    out.failures += 1;
                    if let Some(t) = alarm.filter(|t| *t >= onset && *t <= failure) {
                        out.detected += 1;
                        lead_sum +=
                            ((failure - t) as f64 / 86_400.0).min(LEAD_CAP_DAYS) / LEAD_CAP_DAYS;
                    }
                }
            }
            _ => out.false_alarms += usize::from(alarm.is_some()),
        }
    }
    out.lead_score = if out.failures == 0 {
        0.0
    } else {
        lead_sum / out.failures as f64
    };
    out
}

/// Fits `ln RUL` for component `c` on observations of truly degrading vehicles; `None`
/// with too few of them. Returns the calibration's regression part and the residual
/// standard deviation.
fn fit_rul(records: &[Record], c: Component) -> Option<(f64, f64, f64, f64, f64)> {
    let mut x = Vec::new();
    let mut y = Vec::new();
    for rec in records {
        let Some((tc, onset, failure)) = rec.truth.filter(|(tc, ..)| *tc == c) else {
            continue;
        };
        let _ = tc;
        for o in rec.observations.iter().filter(|o| o.component == c) {
            let f = &o.features;
            if o.t < onset || o.t >= failure || f.slope <= 0.0 || f.t_stat < 2.0 {
                continue;
            }
            if f.damage < 0.05 || f.days < 4 {
                continue;
            }
            let lin = f.rul_linear.max(0.1).ln();
            let exp = f.rul_exponential.unwrap_or(f.rul_linear).max(0.1).ln();
            x.extend([lin, exp, f.damage]);
            let rul = ((failure - o.t) as f64 / 86_400.0).clamp(0.25, RUL_CAP_DAYS);
            y.push(rul.ln());
        }
    }
    if y.len() < 30 {
        return None;
    }
    let records = Array2::from_shape_vec((y.len(), 3), x).ok()?;
    let targets = Array1::from_vec(y);
    let dataset = Dataset::new(records, targets);
    let fitted = LinearRegression::new().fit(&dataset).ok()?;
    let predicted = fitted.predict(dataset.records());
    let n = dataset.targets().len() as f64;
    let rss: f64 = predicted
        .iter()
        .zip(dataset.targets().iter())
        .map(|(p, t)| (p - t).powi(2))
        .sum();
    let p = fitted.params();
    Some((fitted.intercept(), p[0], p[1], p[2], (rss / n).sqrt()))
}

/// What training chose for one component, for the report.
#[derive(Debug, Clone, Copy)]
pub struct Choice {
    /// The calibration.
    pub calibration: Calibration,
    /// Its outcome on the training fleet.
    pub outcome: Outcome,
    /// Observations behind the RUL fit (0 = defaults kept).
    pub fitted: bool,
}

/// Trains one calibration per component on `records` of a run ending at `end`; each
/// false alarm costs `penalty` failures warned 30 days ahead.
pub fn train(records: &[Record], end: i64, penalty: f64) -> BTreeMap<Component, Choice> {
    let mut out = BTreeMap::new();
    for c in Component::ALL {
        let mut base = Calibration::default();
        let fit = fit_rul(records, c);
        if let Some((intercept, w_linear, w_exponential, w_damage, sd)) = fit {
            base.intercept = intercept;
            base.w_linear = w_linear;
            base.w_exponential = w_exponential;
            base.w_damage = w_damage;
            base.residual_sd = sd;
        }
        let mut best: Option<(Calibration, Outcome)> = None;
        let pace_grid: &[f64] = if damage::is_wear_item(c) {
            &MIN_PACE_RATIO_GRID
        } else {
            &[2.0]
        };
        let candidates = MIN_DAMAGE_GRID
            .into_iter()
            .flat_map(|d| MIN_T_GRID.into_iter().map(move |t| (d, t)))
            .flat_map(|(d, t)| MIN_SLOPE_GRID.into_iter().map(move |s| (d, t, s)))
            .flat_map(|(d, t, s)| pace_grid.iter().map(move |r| (d, t, s, *r)));
        for (min_damage, min_t, min_slope, min_pace_ratio) in candidates {
            let cal = Calibration {
                min_damage,
                min_t,
                min_slope,
                min_pace_ratio,
                ..base
            };
            let o = evaluate(records, c, &cal, end);
            // Warning earlier against alarming falsely; ties keep the more permissive
            // candidate found first.
            let better = best.is_none_or(|(_, b)| o.value(penalty) > b.value(penalty));
            if better {
                best = Some((cal, o));
            }
        }
        if let Some((calibration, outcome)) = best {
            out.insert(
                c,
                Choice {
                    calibration,
                    outcome,
                    fitted: fit.is_some(),
                },
            );
        }
    }
    out
}

/// The model artifact of `choices`, `laws` and `normalization`.
pub fn model(
    choices: &BTreeMap<Component, Choice>,
    laws: &BTreeMap<&'static str, growth::LawChoice>,
    normalization: Normalization,
    version: &str,
    trained_on: &str,
) -> RulModel {
    RulModel {
        version: version.to_owned(),
        trained_on: trained_on.to_owned(),
        normalization,
        components: choices.iter().map(|(c, ch)| (*c, ch.calibration)).collect(),
        growth: laws
            .iter()
            .map(|(part, ch)| ((*part).to_owned(), ch.growth))
            .collect(),
        rul_intervals: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(damage: f64, slope: f64, t_stat: f64) -> Features {
        Features {
            damage,
            recent: damage,
            at_newest_day: damage,
            slope,
            t_stat,
            rul_linear: ((1.0 - damage) / slope).min(RUL_CAP_DAYS),
            rul_exponential: None,
            days: 7,
            pace_ratio: None,
        }
    }

    fn obs(t_days: f64, f: Features) -> Observation {
        Observation {
            t: (t_days * 86_400.0) as i64,
            component: Component::Battery,
            part: &damage::parts(Component::Battery)[0],
            features: f,
        }
    }

    #[test]
    fn evaluation_counts_false_alarms_detections_and_leads() {
        let failing = Record {
            truth: Some((Component::Battery, 0, 40 * 86_400)),
            observed: vec![Component::Battery],
            histories: Vec::new(),
            // Damage 0.5 rising 0.05/day: 10 days by straight line → poor band.
            observations: vec![
                obs(5.0, features(0.05, 0.001, 1.0)),
                obs(30.0, features(0.5, 0.05, 9.0)),
            ],
        };
        let noisy = Record {
            truth: None,
            observed: vec![Component::Battery],
            histories: Vec::new(),
            observations: vec![obs(20.0, features(0.12, 0.04, 3.5))],
        };
        let records = [failing, noisy];
        let end = 90 * 86_400;
        let loose = Calibration {
            min_damage: 0.1,
            min_t: 3.0,
            w_linear: 1.0,
            w_exponential: 0.0,
            ..Calibration::default()
        };
        let o = evaluate(&records, Component::Battery, &loose, end);
        assert_eq!((o.false_alarms, o.failures, o.detected), (1, 1, 1));
        assert!((o.lead_score - 10.0 / 30.0).abs() < 1e-9, "{o:?}");
        let strict = Calibration {
            min_t: 5.0,
            ..loose
        };
        let o = evaluate(&records, Component::Battery, &strict, end);
        assert_eq!((o.false_alarms, o.detected), (0, 1));
        let chosen = train(&records, end, 3.0);
        assert_eq!(chosen[&Component::Battery].outcome.false_alarms, 0);
    }
}
