//! The assessment of a vehicle: every observed component's score, band, RUL in days
//! and km, confidence and contributing factors.

use chrono::{DateTime, Utc};
use shared_schemas::events::{Component, ComponentHealth, ComponentUnknown, Factor, HealthBand};

use super::baseline::{BASELINE_DAYS, Baselines};
use super::counters::{self, Break, Counter, Track};
use super::damage::{self, PartDay, PartSpec};
use super::evidence;
use super::growth::Fit;
use super::indicators::Indicator;
use super::rul::{self, Calibration, Features, ModelError, Normalization, RulModel, Verdict};
use super::score;
use super::screen::DayScreen;
use super::state::{Announced, DAY_S, VehicleState, day_of};
use super::tracker::{Reported, Transition};
use super::trend::Point;

/// Largest weight a day gets in a trend fit, in readings: a busy day is not worth more
/// than a few quiet ones.
const MAX_DAY_WEIGHT: f64 = 20.0;
/// Share of its usual daily readings a day needs to count.
const MIN_DAY_SHARE: f64 = 0.3;
/// Fewest readings a day needs to count.
const MIN_DAY_SAMPLES: u32 = 2;
/// Days of odometer history behind the daily distance.
const DISTANCE_DAYS: i64 = 7;
/// Days of counter readings walked at each assessment: the distance week, the late
/// horizon (a break older than it was found and announced when it happened), and
/// three days before them to settle on the course. Walking the whole 28-day window
/// cost the detection benchmark's replay 40 % more CPU for nothing new.
const COUNTER_WALK_DAYS: i64 = DISTANCE_DAYS + 3;
/// Most distance a vehicle is taken to cover in a day, km: a team-driven long-haul
/// truck manages about 1,600. A rate above it is not credible, and no RUL in km is
/// longer than this many km per day of RUL.
pub const MAX_DAILY_KM: f64 = 2_000.0;
/// A part at least this far to its limit, rising with at least this t-statistic, is
/// degrading even when its trained gates (strict for noisy engine temperatures, so
/// that weather does not alarm) do not say so yet: a quarter of the way and rising is
/// a fault to put a date on. On the detection benchmark's fleet, 0.2 and t ≥ 2 added
/// two false alarms on healthy cooling systems; these add none.
const ADVANCED_DAMAGE: f64 = 0.25;
const ADVANCED_T_STAT: f64 = 3.0;

/// Scores vehicles with a learned RUL model.
#[derive(Debug, Clone)]
pub struct Engine {
    model: RulModel,
}

/// One vehicle's health at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// The instant assessed: the vehicle's newest reading.
    pub at: DateTime<Utc>,
    /// Every component the vehicle reports on whose health its readings can judge.
    pub components: Vec<ComponentHealth>,
    /// Components the vehicle reports signals of but whose indicators never met their
    /// operating conditions (see [`evidence`]): no score, band or RUL.
    pub unknown: Vec<ComponentUnknown>,
    /// The worst judged component's score (1 with no component).
    pub overall_score: f64,
    /// Band of `overall_score`.
    pub overall_band: HealthBand,
    /// Recent distance per calendar day, km, from plausible odometer increments only;
    /// `None` without a credible rate (less than a day of odometer, or an erratic one).
    pub daily_km: Option<f64>,
    /// Implausible moves of the odometer and engine hours within the state's window.
    pub anomalies: Vec<CounterAnomaly>,
    /// Counters whose readings break too often to be trusted, each with its newest
    /// break.
    pub erratic: Vec<CounterAnomaly>,
}

/// An implausible move of one counter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CounterAnomaly {
    /// Which counter.
    pub counter: Counter,
    /// The move.
    pub brk: Break,
}

/// A counter anomaly to announce (`vehicle.odometer.anomaly`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CounterNews {
    /// One implausible move.
    Anomaly(CounterAnomaly),
    /// The counter became erratic (its newest break given): its individual breaks are
    /// not announced while that lasts, and no rate is given.
    Erratic(CounterAnomaly),
}

impl Assessment {
    /// Records this assessment in `reported` and returns the transitions to announce.
    pub fn transitions(&self, reported: &mut Reported) -> Vec<Transition> {
        let at = self.at.timestamp();
        self.components
            .iter()
            .flat_map(|c| reported.update(c.component, c.score, at))
            .collect()
    }

    /// The health of one component, if assessed.
    pub fn component(&self, c: Component) -> Option<&ComponentHealth> {
        self.components.iter().find(|h| h.component == c)
    }

    /// Records the counter anomalies of this assessment in `announced` and returns those
    /// not announced before. Breaks of an erratic counter are recorded, not announced:
    /// one `Erratic` says it instead of a message per reading.
    pub fn counter_news(&self, announced: &mut Announced) -> Vec<CounterNews> {
        let oldest = self.at.timestamp() - super::state::WINDOW_DAYS * DAY_S;
        announced.breaks.retain(|(_, t)| *t >= oldest);
        announced
            .erratic
            .retain(|(c, _)| self.erratic.iter().any(|e| e.counter == *c));
        let mut news = Vec::new();
        for e in &self.erratic {
            if !announced.erratic.iter().any(|(c, _)| *c == e.counter) {
                announced.erratic.push((e.counter, e.brk.after.t));
                news.push(CounterNews::Erratic(*e));
            }
        }
        for a in &self.anomalies {
            let key = (a.counter, a.brk.after.t);
            if announced.breaks.contains(&key) {
                continue;
            }
            announced.breaks.push(key);
            if !self.erratic.iter().any(|e| e.counter == a.counter) {
                news.push(CounterNews::Anomaly(*a));
            }
        }
        news
    }
}

impl Engine {
    /// An engine scoring with `model`.
    pub fn new(model: RulModel) -> Self {
        Self { model }
    }

    /// An engine with the model artifact bundled in the code.
    pub fn bundled() -> Result<Self, ModelError> {
        Ok(Self::new(RulModel::bundled()?))
    }

    /// The model's version, stored with every health record.
    pub fn model_version(&self) -> &str {
        &self.model.version
    }

    /// Assesses `state`; `None` before its first reading.
    pub fn assess(&self, state: &VehicleState) -> Option<Assessment> {
        let newest = state.head.newest?;
        let odometer = walk(state, Counter::Odometer, newest);
        let hours = walk(state, Counter::EngineHours, newest);
        let daily_km = daily_km(&odometer, newest);
        let screen = DayScreen::new(state, &odometer.growth_by_day);
        let (anomalies, erratic) = counter_findings(&[
            (Counter::Odometer, &odometer),
            (Counter::EngineHours, &hours),
        ]);
        let mut components = Vec::new();
        let mut unknown = Vec::new();
        for c in Component::ALL {
            if let Some(h) = self.component(state, &screen, c, newest, daily_km) {
                components.push(h);
            } else if state
                .days()
                .any(|(_, d)| d.reported & evidence::bit(c) != 0)
            {
                unknown.push(ComponentUnknown {
                    component: c,
                    needs: evidence::needs(c).to_owned(),
                });
            }
        }
        let overall_score = components.iter().map(|c| c.score).fold(1.0, f64::min);
        Some(Assessment {
            at: DateTime::from_timestamp(newest, 0).unwrap_or_default(),
            overall_band: HealthBand::from_score(overall_score),
            overall_score,
            components,
            unknown,
            daily_km,
            anomalies,
            erratic,
        })
    }

    fn component(
        &self,
        state: &VehicleState,
        screen: &DayScreen,
        c: Component,
        newest: i64,
        daily_km: Option<f64>,
    ) -> Option<ComponentHealth> {
        // A serviced component stays in the assessment while it re-learns, even before
        // its first new reading.
        if !state.days().any(|(_, data)| damage::observed(c, data)) && state.serviced(c).is_none() {
            return None;
        }
        let wear = damage::is_wear_item(c);
        let cal = self.model.calibration(c);
        let judged: Vec<Judged> = damage::parts(c)
            .iter()
            .filter_map(|p| part_features(state, screen, p, newest, &self.model.normalization))
            .map(|series| self.judge(series, &cal, wear))
            .collect();
        let Some(worst) = judged.iter().min_by(|a, b| a.score.total_cmp(&b.score)) else {
            let mut health = learning(c, state, newest, self.model.version.clone());
            health
                .factors
                .extend(sensor_findings(screen, c, newest).factors);
            return Some(health);
        };
        let (verdict, score) = (worst.verdict, worst.score);
        let mut factors = Vec::with_capacity(judged.len() + 1);
        factors.extend(trend_factor(worst, wear));
        factors.extend(damage_factors(&judged));
        let sensors = sensor_findings(screen, c, newest);
        let believed = sensors.confidence_share();
        factors.extend(sensors.factors);
        // A component close to its limit without a clear trend scores low on its
        // damage alone; its RUL then says what that score stands for rather than "no
        // failure foreseen", so score, band and RUL never contradict each other.
        let rul_days = if wear {
            verdict.rul_days
        } else {
            verdict.rul_days.min(score::rul_for(score))
        };
        Some(ComponentHealth {
            component: c,
            score: round(score, 4),
            band: HealthBand::from_score(score),
            rul_days: round(rul_days, 1),
            rul_km: daily_km.map(|km| round(km.min(MAX_DAILY_KM) * rul_days, 0)),
            // Calibrated on degrading parts only: a normal wear pace or a RUL at the
            // horizon has no interval.
            rul_interval_days: self
                .model
                .rul_intervals
                .as_ref()
                .filter(|_| verdict.degrading && rul_days < rul::RUL_CAP_DAYS)
                .and_then(|iv| iv.interval(rul_days, rul::RUL_CAP_DAYS)),
            confidence: round(confidence(&worst.features, verdict, &cal) * believed, 3),
            factors,
            model_version: self.model.version.clone(),
        })
    }

    /// The verdict and score of one part of a component calibrated by `cal`.
    fn judge(&self, series: PartSeries, cal: &Calibration, wear: bool) -> Judged {
        let PartSeries {
            spec,
            latest,
            points,
            features,
        } = series;
        let mut verdict = cal.verdict(&features, wear);
        // A degrading part's life is where its growth law, fitted to the whole
        // history, meets the limit (without a law, the calibrated extrapolation).
        let advanced = !wear
            && !verdict.degrading
            && features.recent >= cal.min_damage.max(ADVANCED_DAMAGE)
            && features.slope > cal.min_slope.max(0.0)
            && features.t_stat >= ADVANCED_T_STAT;
        let growth = (verdict.degrading || advanced)
            .then(|| self.model.growth(spec.law))
            .flatten()
            .and_then(|g| g.fit(&points));
        if let Some(fit) = growth
            && verdict.rul_days > 0.0
        {
            verdict.rul_days = fit.rul_days.min(rul::RUL_CAP_DAYS);
            verdict.degrading = true;
        }
        let score = score::score(verdict.scored_rul(), features.recent, wear);
        Judged {
            spec,
            latest,
            features,
            verdict,
            growth,
            score,
        }
    }
}

/// How sure the verdict on the worst part (features `f`) is: a trend by its strength
/// and length, no trend by how many days back it.
fn confidence(f: &Features, verdict: Verdict, cal: &Calibration) -> f64 {
    if verdict.degrading {
        let strength = 1.0 - (-(f.t_stat - cal.min_t).max(0.0) / 3.0).exp();
        (0.55 + 0.4 * strength) * (f.days as f64 / 4.0).min(1.0)
    } else {
        0.6 + 0.35 * (f.days as f64 / rul::TREND_DAYS).min(1.0)
    }
}

/// The factor of the worst part's trend, when it is degrading (or a wear item due
/// before the RUL cap).
fn trend_factor(worst: &Judged, wear: bool) -> Option<Factor> {
    let (f, verdict, score) = (&worst.features, worst.verdict, worst.score);
    if !(verdict.degrading || (wear && verdict.rul_days < rul::RUL_CAP_DAYS)) {
        return None;
    }
    Some(Factor {
        name: format!("{}_trend_per_day", worst.spec.name),
        value: round(f.slope, 4),
        impact: round(-(1.0 - score), 3),
        detail: format!(
            "{} damage rising {:.2} %/day (t = {:.1}){}; limit in about {:.0} days",
            worst.spec.name,
            100.0 * f.slope,
            f.t_stat.min(99.0),
            worst.growth.map_or(String::new(), |g| format!(
                " since about {:.0} days ago, on its growth curve",
                (-g.onset).max(0.0)
            )),
            verdict.rul_days
        ),
        part: Some(worst.spec.name.to_owned()),
        damage: Some(round(f.damage, 3)),
        t_stat: Some(round(f.t_stat.min(99.0), 1)),
        pace_ratio: f.pace_ratio.filter(|_| wear).map(|r| round(r, 2)),
        abnormal: Some(verdict.degrading),
        ..Factor::default()
    })
}

/// One factor per part, the most damaged first: its latest value against its
/// baseline and limit.
fn damage_factors(judged: &[Judged]) -> impl Iterator<Item = Factor> + '_ {
    let mut by_damage: Vec<&Judged> = judged.iter().collect();
    by_damage.sort_by(|a, b| b.latest.damage.total_cmp(&a.latest.damage));
    by_damage.into_iter().map(|j| {
        let d = j.latest;
        Factor {
            name: j.spec.indicator.name().to_owned(),
            value: round(d.value, 3),
            impact: round(-d.damage.clamp(0.0, 1.0), 3),
            detail: format!(
                "{}: {:.3} against a baseline of {:.3} (limit {:.3}), {:.0} % of the way",
                j.spec.name,
                d.value,
                d.baseline,
                d.limit,
                100.0 * d.damage.max(0.0)
            ),
            part: Some(j.spec.name.to_owned()),
            baseline: Some(round(d.baseline, 3)),
            limit: Some(round(d.limit, 3)),
            damage: Some(round(d.damage, 3)),
            ..Factor::default()
        }
    })
}

/// One failure part's latest day, trend features, verdict, growth fit and score.
struct Judged {
    spec: &'static PartSpec,
    latest: PartDay,
    features: Features,
    verdict: Verdict,
    growth: Option<Fit>,
    score: f64,
}

/// What the sensors of one component explain instead of its part.
struct SensorFindings {
    /// One factor per indicator with days set aside: how many, since when, and why
    /// the latest was.
    factors: Vec<Factor>,
    /// The most days of the last week any one indicator had set aside.
    recent_days: usize,
}

impl SensorFindings {
    /// Confidence scales with the share of the last week the sensors were believed:
    /// a part judged on days before its gateway went wrong is judged on old news.
    fn confidence_share(&self) -> f64 {
        (1.0 - self.recent_days as f64 / (rul::TREND_DAYS + 1.0)).max(0.2)
    }
}

/// The days `c`'s sensors explain, not its part, up to the day of `newest`.
fn sensor_findings(screen: &DayScreen, c: Component, newest: i64) -> SensorFindings {
    let mut indicators: Vec<Indicator> = damage::parts(c).iter().map(|p| p.indicator).collect();
    indicators.sort_unstable();
    indicators.dedup();
    let week_from = day_of(newest) - rul::TREND_DAYS as i64;
    let mut findings = SensorFindings {
        factors: Vec::new(),
        recent_days: 0,
    };
    for i in indicators {
        let days = screen.set_aside(i);
        let (Some((first, _)), Some((_, latest))) = (days.first(), days.last()) else {
            continue;
        };
        let recent = days.iter().filter(|(d, _)| *d >= week_from).count();
        findings.recent_days = findings.recent_days.max(recent);
        let since = DateTime::<Utc>::from_timestamp(first * DAY_S, 0).unwrap_or_default();
        findings.factors.push(Factor {
            name: format!("{}_set_aside_days", i.name()),
            value: days.len() as f64,
            impact: 0.0,
            detail: format!(
                "{}: {} {} set aside since {} ({recent} of the last week), the latest {}: \
                 a sensor or gateway fault, not wear; the part is judged on its other \
                 days. Check the sensor",
                i.name(),
                days.len(),
                if days.len() == 1 { "day" } else { "days" },
                since.format("%Y-%m-%d"),
                latest.describe()
            ),
            ..Factor::default()
        });
    }
    findings
}

/// One failure part's daily damage series and trend features.
#[derive(Debug, Clone)]
pub struct PartSeries {
    /// The part.
    pub spec: &'static PartSpec,
    /// Its latest usable day.
    pub latest: PartDay,
    /// Its usable days as points (times in days relative to the newest reading).
    pub points: Vec<Point>,
    /// The trend features of the recent points.
    pub features: Features,
}

/// The damage series and trend features of part `p` of a vehicle whose newest reading
/// is at `newest` and whose days `screen` screened; `None` without a usable day.
/// Calibration-free, so the trainer records it once and tries many calibrations on it.
pub fn part_features(
    state: &VehicleState,
    screen: &DayScreen,
    p: &'static PartSpec,
    newest: i64,
    norm: &Normalization,
) -> Option<PartSeries> {
    let base = &state.head.baselines;
    // Days the sensor explains are not the part's (see `plausibility`).
    let daily: Vec<(i64, PartDay)> = state
        .days()
        .filter(|(day, _)| !screen.is_set_aside(p.indicator, *day))
        .filter_map(|(day, data)| damage::of_day(p, data, base, norm).map(|d| (day, d)))
        .collect();
    // A day counts when it has a fair share of the vehicle's usual readings: a yard
    // move or the first minutes of today say little, and a temperature maximum from
    // them is misleading.
    let mut counts: Vec<u32> = daily.iter().map(|(_, d)| d.samples).collect();
    counts.sort_unstable();
    let usual = counts.get(counts.len() / 2).copied().unwrap_or(0);
    let enough = (f64::from(usual) * MIN_DAY_SHARE).max(f64::from(MIN_DAY_SAMPLES));
    let mut points = Vec::with_capacity(daily.len());
    let mut latest = None;
    let mut latest_day = i64::MIN;
    for (day, d) in daily {
        if f64::from(d.samples) < enough {
            continue;
        }
        latest_day = day;
        points.push(Point {
            t: (mid_day(day, newest) - newest as f64) / DAY_S as f64,
            y: d.damage,
            w: f64::from(d.samples).min(MAX_DAY_WEIGHT),
        });
        latest = Some(d);
    }
    let pace = (p.indicator == Indicator::BrakeWear)
        .then(|| base.pad_pace().map(|pct| pct / 100.0))
        .flatten();
    let latest = latest?;
    // One usable day has no trend, but its level still counts.
    let mut features =
        rul::features(&points, pace).unwrap_or_else(|| Features::level(latest.damage));
    // The trend goes on across the days since the newest usable one on which the
    // vehicle did a usual day's work (a leak does not wait for a warm idle to be
    // read), not across days it stood or only moved about: a parked truck's
    // transmission does not overheat.
    features.carry_on(screen.worked_days_after(latest_day) as f64);
    Some(PartSeries {
        spec: p,
        latest,
        points,
        features,
    })
}

/// The walk of counter `c` over the last [`COUNTER_WALK_DAYS`] to `newest`.
fn walk(state: &VehicleState, c: Counter, newest: i64) -> Track {
    let limits = match c {
        Counter::Odometer => &counters::ODOMETER,
        Counter::EngineHours => &counters::ENGINE_HOURS,
    };
    let walk_from = day_of(newest) - COUNTER_WALK_DAYS + 1;
    counters::track(&state.counter_points(c, walk_from), limits)
}

/// The screen the engine judges `state`'s parts against (as [`Engine::assess`] does);
/// `None` before its first reading. For callers of [`part_features`] outside it.
pub fn screen(state: &VehicleState) -> Option<DayScreen> {
    let newest = state.head.newest?;
    let odometer = walk(state, Counter::Odometer, newest);
    Some(DayScreen::new(state, &odometer.growth_by_day))
}

/// A component observed but whose baselines are still being learned (for the first
/// time, or again since it was serviced).
fn learning(c: Component, state: &VehicleState, newest: i64, version: String) -> ComponentHealth {
    let have = damage::parts(c)
        .iter()
        .map(|p| Baselines::progress(state.day_map(), day_of(newest), p.indicator))
        .max()
        .unwrap_or(0);
    let detail = match state.serviced(c) {
        Some(s) => format!(
            "serviced {} (appointment {}); baseline re-learning: {have} of {BASELINE_DAYS} days",
            s.instant().format("%Y-%m-%d"),
            s.appointment
        ),
        None => format!("learning this vehicle's healthy baseline: {have} of {BASELINE_DAYS} days"),
    };
    ComponentHealth {
        component: c,
        score: 1.0,
        band: HealthBand::Excellent,
        rul_days: rul::RUL_CAP_DAYS,
        rul_km: None,
        rul_interval_days: None,
        confidence: 0.1,
        factors: vec![Factor {
            name: "baseline_days".to_owned(),
            value: have as f64,
            impact: 0.0,
            detail,
            ..Factor::default()
        }],
        model_version: version,
    }
}

/// The representative instant of `day`: its middle, or for the newest (partial) day the
/// middle of what has elapsed.
fn mid_day(day: i64, newest: i64) -> f64 {
    let start = day * DAY_S;
    if day == day_of(newest) {
        (start + newest) as f64 / 2.0
    } else {
        (start + DAY_S / 2) as f64
    }
}

/// Distance per calendar day over the last week: the plausible odometer increments
/// of the week over the days it spans (a parked day counts as a day). `None` without a
/// day of odometer in the week, for an erratic odometer, or above [`MAX_DAILY_KM`].
fn daily_km(odometer: &Track, newest: i64) -> Option<f64> {
    if odometer.erratic {
        return None;
    }
    let first_day = day_of(newest) - DISTANCE_DAYS + 1;
    let days = &odometer.growth_by_day;
    let week = &days[days.partition_point(|(d, _)| *d < first_day)..];
    let from = week.first()?.0;
    let km: f64 = week.iter().map(|(_, g)| g).sum();
    // From the first counted reading's day: a vehicle that started reporting mid-week
    // is not averaged over days it did not report.
    let span_days = (newest - from * DAY_S) as f64 / DAY_S as f64;
    let rate = km / span_days;
    (span_days >= 1.0 && rate.is_finite() && rate > 0.0 && rate <= MAX_DAILY_KM)
        .then(|| round(rate, 1))
}

/// Every break of the counters, and the newest break of each erratic one.
fn counter_findings(tracks: &[(Counter, &Track)]) -> (Vec<CounterAnomaly>, Vec<CounterAnomaly>) {
    let mut anomalies = Vec::new();
    let mut erratic = Vec::new();
    for &(counter, track) in tracks {
        anomalies.extend(
            track
                .breaks
                .iter()
                .map(|&brk| CounterAnomaly { counter, brk }),
        );
        if let (true, Some(&brk)) = (track.erratic, track.breaks.last()) {
            erratic.push(CounterAnomaly { counter, brk });
        }
    }
    (anomalies, erratic)
}

fn round(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use shared_schemas::signals::names;
    use shared_schemas::telemetry::TelemetryReading;

    use super::*;
    use crate::health::plausibility;

    fn idle(t: i64, pressure: f64) -> TelemetryReading {
        TelemetryReading {
            reading_id: None,
            vehicle_id: "V1".to_owned(),
            vin: None,
            recorded_at: Utc.timestamp_opt(t, 0).single().expect("instant"),
            odometer_km: Some(10_000.0 + t as f64 / 864.0),
            engine_hours: None,
            location: None,
            signals: [
                (names::ENGINE_RPM, 650.0),
                (names::VEHICLE_SPEED_KPH, 0.0),
                (names::OIL_TEMP_C, 95.0),
                (names::OIL_PRESSURE_KPA, pressure),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
            dtcs: Vec::new(),
        }
    }

    /// Oil pressure steady at 200 kPa for `healthy_days`, then falling linearly to
    /// 100 kPa over `span_days`.
    fn run(healthy_days: i64, span_days: i64, until_day: i64) -> VehicleState {
        let mut s = VehicleState::new();
        let t0 = 1_750_000_000 - 1_750_000_000 % DAY_S;
        for k in 0..until_day * 48 {
            let t = t0 + k * 1800;
            let day = k as f64 / 48.0;
            let p = if day < healthy_days as f64 {
                200.0
            } else {
                200.0 - 100.0 * (day - healthy_days as f64) / span_days as f64
            };
            s.apply(&idle(t, p + if k % 2 == 0 { 2.0 } else { -2.0 }));
        }
        s
    }

    #[test]
    fn healthy_vehicle_scores_excellent_with_a_distance() {
        let engine = Engine::bundled().expect("model");
        let a = engine.assess(&run(10, 20, 10)).expect("assessed");
        let oil = a.component(Component::EngineOil).expect("oil assessed");
        assert_eq!(oil.band, HealthBand::Excellent, "{oil:?}");
        assert_eq!(oil.rul_days, rul::RUL_CAP_DAYS);
        assert!(oil.confidence > 0.6);
        assert!(a.component(Component::Dpf).is_none(), "no DPF signals");
        assert!((a.daily_km.expect("distance") - 100.0).abs() < 1.0);
    }

    #[test]
    fn a_falling_pressure_is_caught_with_a_finite_rul() {
        let engine = Engine::bundled().expect("model");
        // 20-day leak starting on day 5; assess on day 19: 14 of 20 days gone.
        let a = engine.assess(&run(5, 20, 19)).expect("assessed");
        let oil = a.component(Component::EngineOil).expect("oil");
        assert!(oil.band >= HealthBand::Poor, "{oil:?}");
        assert!(oil.rul_days > 1.0 && oil.rul_days < 15.0, "{oil:?}");
        assert_eq!(oil.factors[0].name, "oil_pressure_trend_per_day");
    }

    #[test]
    fn a_degrading_part_with_a_growth_law_gets_the_life_of_its_curve() {
        let mut model = RulModel::bundled().expect("model");
        model.growth.insert(
            "oil_pressure".to_owned(),
            crate::health::growth::Growth {
                law: crate::health::growth::Law::Power { k: 1.0 },
                offset: false,
                limit: 1.0,
            },
        );
        let engine = Engine::new(model);
        // The pressure falls in a straight line over 20 days from day 5: on day 19 the
        // limit is 6 days away.
        let a = engine.assess(&run(5, 20, 19)).expect("assessed");
        let oil = a.component(Component::EngineOil).expect("oil");
        assert!((oil.rul_days - 6.0).abs() < 1.0, "{oil:?}");
        assert!(
            oil.factors[0].detail.contains("growth curve"),
            "{}",
            oil.factors[0].detail
        );
    }

    #[test]
    fn a_coolant_never_known_warm_is_unknown_not_a_thermostat_fault() {
        let engine = Engine::bundled().expect("model");
        let mut s = VehicleState::new();
        let t0 = 1_750_000_000 - 1_750_000_000 % DAY_S;
        for k in 0..10 * 48 {
            let mut r = idle(t0 + k * 1800, 200.0);
            // A car without oil temperature or run time: warmth cannot be told.
            r.signals = [
                (names::ENGINE_RPM, 1500.0),
                (names::VEHICLE_SPEED_KPH, 60.0),
                (names::COOLANT_TEMP_C, 55.0),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
            s.apply(&r);
        }
        let a = engine.assess(&s).expect("assessed");
        assert!(a.component(Component::Cooling).is_none(), "{a:?}");
        assert_eq!(a.unknown.len(), 1, "{:?}", a.unknown);
        assert_eq!(a.unknown[0].component, Component::Cooling);
        assert!(a.unknown[0].needs.contains("run time"));
        assert_eq!(a.overall_band, HealthBand::Excellent);
    }

    /// Oil pressure steady at 200 kPa (±2) for 10 days, then, for days 10 to 14, what
    /// `sensor` makes of it at reading `k`.
    fn with_sensor_fault(sensor: impl Fn(i64, f64) -> f64) -> VehicleState {
        let mut s = VehicleState::new();
        let t0 = 1_750_000_000 - 1_750_000_000 % DAY_S;
        for k in 0..14 * 48 {
            let p = 200.0 + if k % 2 == 0 { 2.0 } else { -2.0 };
            let p = if k >= 10 * 48 { sensor(k, p) } else { p };
            s.apply(&idle(t0 + k * 1800, p));
        }
        s
    }

    #[test]
    fn a_gateway_sending_psi_is_a_sensor_to_check_not_a_failing_pump() {
        let engine = Engine::bundled().expect("model");
        let a = engine
            .assess(&with_sensor_fault(|_, kpa| kpa / plausibility::KPA_PER_PSI))
            .expect("assessed");
        let oil = a.component(Component::EngineOil).expect("oil");
        assert_eq!(oil.band, HealthBand::Excellent, "{oil:?}");
        let set_aside = oil
            .factors
            .iter()
            .find(|f| f.name == "oil_pressure_warm_idle_kpa_set_aside_days")
            .expect("the set-aside days are named");
        assert_eq!(set_aside.value, 4.0, "{set_aside:?}");
        assert!(set_aside.detail.contains("psi"), "{}", set_aside.detail);
        // Judged on days before the gateway went wrong: half the week not believed.
        assert!(oil.confidence <= 0.5, "{oil:?}");
    }

    #[test]
    fn a_frozen_pressure_sensor_draws_no_trend() {
        let engine = Engine::bundled().expect("model");
        // Frozen at a low idle value, as a sensor held at a reading taken while warming.
        let a = engine
            .assess(&with_sensor_fault(|_, _| 150.0))
            .expect("assessed");
        let oil = a.component(Component::EngineOil).expect("oil");
        assert_eq!(oil.band, HealthBand::Excellent, "{oil:?}");
        assert!(
            oil.factors
                .iter()
                .any(|f| f.detail.contains("frozen at 150.0")),
            "{:?}",
            oil.factors
        );
    }

    /// A pressure that falls a little over a week, then four days without a warm
    /// idle: parked (no readings) or driven (readings on the move, `driven`); then
    /// the first reading of a new day.
    fn after_four_days(driven: bool) -> VehicleState {
        let mut s = VehicleState::new();
        let t0 = 1_750_000_000 - 1_750_000_000 % DAY_S;
        for k in 0..14 * 48 {
            let day = k as f64 / 48.0;
            let p = if day < 7.0 {
                200.0
            } else {
                200.0 - 1.5 * (day - 7.0)
            };
            s.apply(&idle(
                t0 + k * 1800,
                p + if k % 2 == 0 { 1.0 } else { -1.0 },
            ));
        }
        for k in (14 * 48..18 * 48).filter(|_| driven) {
            let mut r = idle(t0 + k * 1800, 300.0);
            r.signals.insert(names::ENGINE_RPM.to_owned(), 1500.0);
            r.signals.insert(names::VEHICLE_SPEED_KPH.to_owned(), 80.0);
            s.apply(&r);
        }
        s.apply(&idle(t0 + 18 * DAY_S, 189.0));
        s
    }

    #[test]
    fn a_trend_goes_on_across_the_days_driven_not_the_days_parked() {
        let engine = Engine::bundled().expect("model");
        let abnormal = |s: &VehicleState| {
            let a = engine.assess(s).expect("assessed");
            let oil = a.component(Component::EngineOil).expect("oil").clone();
            (oil.factors.iter().any(|f| f.abnormal == Some(true)), oil)
        };
        // Parked: carried on to now, the line would be past the trend gate.
        let (trend, oil) = abnormal(&after_four_days(false));
        assert!(!trend, "{oil:?}");
        assert_eq!(oil.band, HealthBand::Excellent, "{oil:?}");
        // Driven without a warm idle: the fall went on unread, and counts.
        let (trend, oil) = abnormal(&after_four_days(true));
        assert!(trend, "{oil:?}");
    }

    #[test]
    fn new_vehicles_are_learning() {
        let engine = Engine::bundled().expect("model");
        let a = engine.assess(&run(10, 20, 2)).expect("assessed");
        let oil = a.component(Component::EngineOil).expect("oil");
        assert_eq!(oil.confidence, 0.1);
        assert_eq!(oil.factors[0].name, "baseline_days");
        assert!(engine.assess(&VehicleState::new()).is_none());
    }
}
