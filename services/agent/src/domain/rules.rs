//! The deterministic rule-based diagnoser: the default when no model provider is
//! configured and the fallback whenever one fails. It names the failure mode from the
//! health engine's factors (which part trends, which way, how far) and the trouble
//! codes, takes the severity from the rule band, recommends the mode's actions and
//! derives a confidence from the strength of the evidence.

use shared_schemas::events::{Component, HealthBand};
use shared_schemas::parts::Part;

use super::case::{Case, HealthSource, Trigger};
use super::decision::{Draft, wheel_name};
use super::disposition::planning_window_days;
use super::dtc::{self, Meaning};
use super::evidence::{Evidence, PartState, Trend};
use super::modes::FailureMode;
use super::orchestrator::{Classification, worker_name};

/// Provider name recorded for rule-based decisions.
pub const PROVIDER: &str = "rules";
/// Version of this rule set, recorded as the decision's model.
pub const VERSION: &str = "agent-rules-1";

/// What the evidence says about the mode.
#[derive(Debug, Clone, PartialEq)]
struct Inference {
    mode: FailureMode,
    wheel: Option<String>,
    /// The part the mode is about (for figures), if one was read.
    part: Option<PartState>,
    /// Codes supporting the mode.
    supporting: Vec<Meaning>,
    /// Codes pointing at a competing mode of the component.
    contradicting: Vec<Meaning>,
    /// Whether the trend names the mode's part.
    trend_matches: bool,
    /// Whether two modes scored alike.
    ambiguous: bool,
    notes: Vec<String>,
}

/// Hints of [`dtc::Meaning`] that support `mode`.
fn supporting_hints(mode: FailureMode) -> &'static [&'static str] {
    match mode {
        FailureMode::OilLeak => &["leak", "level", "pressure"],
        FailureMode::CoolantOverheat => &["hot", "level"],
        FailureMode::ThermostatStuckOpen => &["cold"],
        FailureMode::DpfClogging => &["soot", "ash", "regen", "backpressure"],
        FailureMode::ScrCatalystAgeing => &["conversion"],
        FailureMode::DefDilution => &["def_quality", "conversion"],
        FailureMode::AbnormalBrakeWear | FailureMode::RoutineBrakeWear => &["wear"],
        FailureMode::BatterySulphation => &["low_voltage", "voltage", "ageing", "starter"],
        FailureMode::ChargingFault => &["charging", "low_voltage", "high_voltage"],
        FailureMode::TransmissionOverheat => &["hot", "fluid", "slip", "pressure", "converter"],
        FailureMode::TireSlowLeak => &["leak"],
        FailureMode::SensorFault => &["sensor"],
        FailureMode::Monitor | FailureMode::Undetermined => &[],
    }
}

/// Whether trouble codes of `case` corroborate `mode`.
pub fn has_supporting_codes(case: &Case, mode: FailureMode) -> bool {
    !matching(&component_codes(case), supporting_hints(mode)).is_empty()
}

/// The trouble codes of `case` that concern its component, explained.
fn component_codes(case: &Case) -> Vec<Meaning> {
    let c = case.component.as_str();
    case.dtcs
        .iter()
        .map(dtc::explain)
        .filter(|m| {
            m.component == c
                || (m.component == "engine"
                    && matches!(case.component, Component::EngineOil | Component::Cooling))
        })
        .collect()
}

fn has_hint(codes: &[Meaning], hints: &[&str]) -> bool {
    codes.iter().any(|m| hints.contains(&m.hint.as_str()))
}

fn matching(codes: &[Meaning], hints: &[&str]) -> Vec<Meaning> {
    codes
        .iter()
        .filter(|m| hints.contains(&m.hint.as_str()))
        .cloned()
        .collect()
}

/// Picks between two competing modes of a component by points.
fn contest(
    a: (FailureMode, i32),
    b: (FailureMode, i32),
    undetermined: FailureMode,
) -> (FailureMode, bool) {
    match a.1.cmp(&b.1) {
        std::cmp::Ordering::Greater => (a.0, a.1 - b.1 < 2 && b.1 > 0),
        std::cmp::Ordering::Less => (b.0, b.1 - a.1 < 2 && a.1 > 0),
        std::cmp::Ordering::Equal => (undetermined, true),
    }
}

/// The mode a component's evidence names, before the sensor check.
struct Named {
    mode: FailureMode,
    wheel: Option<String>,
    /// Whether two modes scored alike.
    ambiguous: bool,
    /// The part the mode is about.
    part: Option<Part>,
}

impl Named {
    /// A mode named without a contest.
    fn plain(mode: FailureMode, part: Option<Part>) -> Self {
        Self {
            mode,
            wheel: None,
            ambiguous: false,
            part,
        }
    }

    /// The winner of a contest between two modes, each about its own part.
    fn contested(a: (FailureMode, i32, Part), b: (FailureMode, i32, Part)) -> Self {
        let (mode, ambiguous) = contest((a.0, a.1), (b.0, b.1), FailureMode::Undetermined);
        let part = [a, b].into_iter().find(|x| x.0 == mode).map(|x| x.2);
        Self {
            mode,
            wheel: None,
            ambiguous,
            part,
        }
    }
}

fn infer(case: &Case, ev: &Evidence, codes: &[Meaning]) -> Inference {
    let trend_part = ev.trend.as_ref().and_then(|t| Part::from_name(&t.part));
    let mut notes = Vec::new();
    let named = match case.component {
        Component::Cooling => cooling_mode(ev, codes, trend_part),
        Component::ScrDef => scr_def_mode(ev, codes, trend_part, &mut notes),
        Component::Tires => tire_mode(ev, trend_part),
        Component::Battery => battery_mode(codes, trend_part),
        Component::EngineOil => Named::plain(FailureMode::OilLeak, Some(Part::OilPressure)),
        Component::Dpf => Named::plain(FailureMode::DpfClogging, Some(Part::DpfRestriction)),
        Component::Brakes => Named::plain(brake_mode(ev), Some(Part::PadWear)),
        Component::Transmission => {
            Named::plain(FailureMode::TransmissionOverheat, Some(Part::TransHot))
        }
    };
    // Only sensor/wiring codes and nothing trending: the sensor, not the component.
    let (mode, part_name) = if ev.trend.is_none()
        && ev.max_damage().is_none_or(|d| d < 0.3)
        && !codes.is_empty()
        && codes.iter().all(|m| m.hint == "sensor")
    {
        (FailureMode::SensorFault, None)
    } else {
        (named.mode, named.part)
    };
    let part = part_name
        .and_then(|p| ev.part(p.name()))
        .or_else(|| ev.worst())
        .cloned();
    let trend_matches = trend_part.is_some() && trend_part == part_name;
    Inference {
        mode,
        wheel: named.wheel,
        part,
        supporting: matching(codes, supporting_hints(mode)),
        contradicting: matching(codes, competing_hints(mode)),
        trend_matches,
        ambiguous: named.ambiguous,
        notes,
    }
}

/// Hints of [`dtc::Meaning`] that point at a mode competing with `mode`.
fn competing_hints(mode: FailureMode) -> &'static [&'static str] {
    match mode {
        FailureMode::CoolantOverheat => &["cold"],
        FailureMode::ThermostatStuckOpen => &["hot", "level"],
        FailureMode::DpfClogging => &["efficiency"],
        FailureMode::ScrCatalystAgeing => &["def_quality"],
        _ => &[],
    }
}

/// Cooling: overheating against a stuck-open thermostat, by points from the trend, the
/// worst part, the temperature against its baseline and the codes.
fn cooling_mode(ev: &Evidence, codes: &[Meaning], trend_part: Option<Part>) -> Named {
    let mut hot = 0;
    let mut cold = 0;
    match trend_part {
        Some(Part::CoolantHot) => hot += 3,
        Some(Part::CoolantCold) => cold += 3,
        _ => {}
    }
    if let Some(w) = ev.worst().filter(|w| w.damage > 0.1) {
        match Part::from_name(&w.part) {
            Some(Part::CoolantHot) => hot += 1,
            Some(Part::CoolantCold) => cold += 1,
            _ => {}
        }
    }
    if let Some(p) = ev.parts.iter().find(|p| p.baseline.is_some()) {
        let base = p.baseline.unwrap_or(p.value);
        if p.value > base + 2.0 {
            hot += 1;
        } else if p.value < base - 2.0 {
            cold += 1;
        }
    }
    if has_hint(codes, &["hot"]) {
        hot += 2;
    }
    if has_hint(codes, &["level"]) {
        hot += 1;
    }
    if has_hint(codes, &["cold"]) {
        cold += 2;
    }
    Named::contested(
        (FailureMode::CoolantOverheat, hot, Part::CoolantHot),
        (FailureMode::ThermostatStuckOpen, cold, Part::CoolantCold),
    )
}

/// SCR/DEF: diluted DEF against an ageing catalyst, by points from the trend, the two
/// parts' damage and the codes.
fn scr_def_mode(
    ev: &Evidence,
    codes: &[Meaning],
    trend_part: Option<Part>,
    notes: &mut Vec<String>,
) -> Named {
    let mut def = 0;
    let mut scr = 0;
    match trend_part {
        Some(Part::DefQuality) => def += 3,
        Some(Part::ScrConversion) => scr += 2,
        _ => {}
    }
    let def_damage = ev.part(Part::DefQuality.name()).map(|p| p.damage);
    let scr_damage = ev.part(Part::ScrConversion.name()).map(|p| p.damage);
    if def_damage.is_some_and(|d| d >= 0.25) {
        def += 2;
    }
    if scr_damage.is_some_and(|d| d >= 0.25) && def_damage.is_none_or(|d| d < 0.15) {
        scr += 2;
    }
    if has_hint(codes, &["def_quality"]) {
        def += 3;
    }
    if has_hint(codes, &["conversion"]) && !has_hint(codes, &["def_quality"]) {
        scr += 1;
    }
    if has_hint(codes, &["def_level"]) {
        notes.push("a DEF level code is active: refill before judging conversion".to_owned());
    }
    Named::contested(
        (FailureMode::DefDilution, def, Part::DefQuality),
        (FailureMode::ScrCatalystAgeing, scr, Part::ScrConversion),
    )
}

/// Tires: a slow leak on the trending wheel, else on the most damaged one.
fn tire_mode(ev: &Evidence, trend_part: Option<Part>) -> Named {
    let is_tire = |p: &Part| p.component() == Component::Tires;
    let part = trend_part.filter(is_tire).or_else(|| {
        ev.worst()
            .filter(|w| w.damage > 0.05)
            .and_then(|w| Part::from_name(&w.part))
            .filter(is_tire)
    });
    Named {
        mode: FailureMode::TireSlowLeak,
        wheel: part
            .and_then(|p| p.name().strip_prefix("tire_"))
            .map(str::to_owned),
        part,
        ambiguous: false,
    }
}

/// Battery: a charging fault when the codes say so and the rested voltage is not what
/// trends, else sulphation.
fn battery_mode(codes: &[Meaning], trend_part: Option<Part>) -> Named {
    let charging = has_hint(codes, &["charging", "high_voltage"]);
    if charging && trend_part != Some(Part::BatteryRest) {
        Named::plain(FailureMode::ChargingFault, None)
    } else {
        Named::plain(FailureMode::BatterySulphation, Some(Part::BatteryRest))
    }
}

/// Above this pace over the vehicle's normal one, pads wear abnormally, when the health
/// engine does not judge the trend itself (another producer).
const ABNORMAL_PACE: f64 = 2.0;
/// Paces over the vehicle's normal one that are about normal.
const NORMAL_PACE: std::ops::RangeInclusive<f64> = 0.8..=1.25;

/// Brakes: routine wear unless the pads wear abnormally fast. A trend the health engine
/// judged normal is routine; one it judged a fault is abnormal wear when the pads wear
/// faster than their normal pace (the engine's trained gate decided how much faster
/// matters), and routine wear that reached its limit at about that pace. Without the
/// engine's judgement the pace decides, and without a pace the trend is a fault.
fn brake_mode(ev: &Evidence) -> FailureMode {
    let Some(t) = ev.trend.as_ref() else {
        return FailureMode::AbnormalBrakeWear;
    };
    match (t.abnormal, t.pace_ratio) {
        (Some(false), _) => FailureMode::RoutineBrakeWear,
        (Some(true), Some(r)) if r > *NORMAL_PACE.end() => FailureMode::AbnormalBrakeWear,
        (Some(true), _) => FailureMode::RoutineBrakeWear,
        (None, Some(r)) if r >= ABNORMAL_PACE => FailureMode::AbnormalBrakeWear,
        (None, Some(_)) => FailureMode::RoutineBrakeWear,
        (None, None) => FailureMode::AbnormalBrakeWear,
    }
}

/// How fast a wear item wears, against what: `wearing 0.16 %/day, about this
/// vehicle's normal pace`, or that its normal pace is not known yet.
fn pace(t: &Trend) -> String {
    let rate = format!("wearing {:.2} %/day", 100.0 * t.slope_per_day);
    match t.pace_ratio {
        Some(r) if NORMAL_PACE.contains(&r) => format!("{rate}, about this vehicle's normal pace"),
        Some(r) => format!("{rate}, {r:.1} times this vehicle's normal pace"),
        None => format!("{rate} (not enough history yet to know this vehicle's normal pace)"),
    }
}

/// Confidence from the evidence: trend strength, how far the part has gone, codes that
/// corroborate or contradict, ambiguity, and the health engine's own confidence.
fn confidence(case: &Case, ev: &Evidence, inf: &Inference) -> f64 {
    let mut c: f64 = 0.40;
    if let Some(t) = ev.trend.as_ref().filter(|_| inf.trend_matches) {
        c += 0.25 * (t.t_stat / 8.0).clamp(0.0, 1.0);
    } else if ev.trend.is_some() {
        c += 0.05;
    }
    if let Some(p) = &inf.part {
        c += 0.15 * p.damage.clamp(0.0, 1.0);
    }
    if !inf.supporting.is_empty() {
        c += 0.15;
    }
    if !inf.contradicting.is_empty() {
        c -= 0.2;
    }
    if inf.ambiguous {
        c -= 0.1;
    }
    if matches!(inf.mode, FailureMode::Undetermined) {
        c -= 0.15;
    }
    if let Some(h) = case.health_confidence {
        c = 0.6 * c + 0.4 * h.clamp(0.0, 1.0);
    }
    if ev.is_empty() {
        // Only the event's score and RUL: no indicator to read.
        c = c.min(0.5);
    }
    if case.rul_days.is_none() {
        c = c.min(0.4);
    }
    c.clamp(0.05, 0.97)
}

/// `oil_pressure_warm_idle_kpa` → (`warm-idle oil pressure`, `kPa`).
fn indicator_label(name: &str) -> (String, &'static str) {
    let unit = if name.ends_with("_kpa") {
        "kPa"
    } else if name.ends_with("_c") {
        "°C"
    } else if name.ends_with("_v") {
        "V"
    } else if name.ends_with("_pct") {
        "%"
    } else {
        ""
    };
    let label = match name {
        "oil_pressure_warm_idle_kpa" => "warm-idle oil pressure".to_owned(),
        "coolant_temp_warm_c" => "warm-engine coolant temperature".to_owned(),
        "dpf_dp_at_highway_flow_kpa" => "DPF pressure drop at highway flow".to_owned(),
        "scr_nox_conversion" => "SCR NOx conversion".to_owned(),
        "def_quality_pct" => "DEF urea concentration".to_owned(),
        "battery_rest_voltage_20c_v" => "rested battery voltage (at 20 °C)".to_owned(),
        "trans_oil_temp_warm_c" => "warm transmission oil temperature".to_owned(),
        "brake_pad_wear_pct" => "brake pad wear".to_owned(),
        n if n.starts_with("tire_pressure_") => {
            let wheel = n
                .trim_start_matches("tire_pressure_")
                .get(..2)
                .unwrap_or("");
            format!(
                "{} tire pressure (at 20 °C)",
                wheel_name(wheel).trim_end_matches(" wheel")
            )
        }
        n => n.replace('_', " "),
    };
    (label, unit)
}

fn fmt_value(v: f64, unit: &str) -> String {
    if unit.is_empty() && v.abs() <= 1.5 {
        format!("{:.0} %", v * 100.0)
    } else if unit == "V" {
        format!("{v:.2} V")
    } else {
        format!("{v:.1} {unit}")
    }
}

/// `warm-idle oil pressure 142.0 kPa against a baseline of 205.0 kPa (limit 100.0 kPa), 60 % of the way`.
fn describe_part(p: &PartState) -> String {
    let (label, unit) = indicator_label(&p.indicator);
    let mut s = format!("{label} {}", fmt_value(p.value, unit));
    // A wear item's "baseline" is new (0 % worn): saying so adds nothing.
    if let Some(b) = p.baseline.filter(|b| *b != 0.0) {
        s.push_str(&format!(" against a baseline of {}", fmt_value(b, unit)));
    }
    if let Some(l) = p.limit {
        s.push_str(&format!(" (limit {})", fmt_value(l, unit)));
    }
    s.push_str(&format!(
        ", {:.0} % of the way to the limit",
        100.0 * p.damage
    ));
    s
}

/// Most km a day a message will take as a vehicle's pace: above it a RUL in km is not
/// credible (a corrupt odometer, ADR 0009) and is left out rather than printed.
const MAX_CREDIBLE_KM_PER_DAY: f64 = 2_000.0;

fn time_left(case: &Case) -> String {
    match case.rul_days {
        Some(d) if d >= 365.0 => "no failure expected within a year".to_owned(),
        Some(d) => {
            let km = case
                .rul_km
                .filter(|km| *km > 0.0 && *km <= MAX_CREDIBLE_KM_PER_DAY * d.max(1.0))
                .map(|km| format!(" (about {:.0} km)", km))
                .unwrap_or_default();
            let likely = case
                .rul_interval_days
                .filter(|[lo, hi]| lo <= hi && hi - lo >= 1.0)
                .map(|[lo, hi]| format!("; 80 % likely between {lo:.0} and {hi:.0} days"))
                .unwrap_or_default();
            format!("about {d:.0} days{km} to the limit at the current trend{likely}")
        }
        None => "remaining life unknown (no health data)".to_owned(),
    }
}

fn code_list(codes: &[Meaning]) -> String {
    codes
        .iter()
        .map(|m| format!("{} ({})", m.code, m.description))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rule-based draft of `case`.
pub fn diagnose(case: &Case, class: &Classification) -> Draft {
    let ev = Evidence::read(&case.factors);
    let codes = component_codes(case);
    let severity = class.band.severity;
    if case.trigger == Trigger::Changed && case.improved() {
        return monitor(case, class, &ev);
    }
    let inf = infer(case, &ev, &codes);
    let confidence = confidence(case, &ev, &inf);
    let diagnosis = diagnosis(case, &ev, &inf);
    let mut reasoning = vec![routing_reason(case, class), severity_reason(case, class)];
    reasoning.extend(evidence_reasons(case, &ev, &inf));
    if let HealthSource::Unavailable { reason } = &case.health_source {
        reasoning.push(format!(
            "Health details unavailable ({reason}): decided on the event alone."
        ));
    }
    reasoning.push(format!(
        "Confidence {confidence:.2} from trend strength, distance to the limit, codes and the health engine's confidence ({}).",
        case.health_confidence.map_or_else(|| "unknown".to_owned(), |h| format!("{h:.2}"))
    ));
    Draft {
        mode: inf.mode,
        wheel: inf.wheel,
        diagnosis,
        severity,
        actions: inf.mode.actions().iter().map(|a| (*a).to_owned()).collect(),
        confidence,
        reasoning: reasoning.join("\n"),
    }
}

/// The diagnosis text: the mode, the part's figures and trend, the time left, a
/// planning window for routine wear and the codes that confirm it.
fn diagnosis(case: &Case, ev: &Evidence, inf: &Inference) -> String {
    let mut diagnosis = format!("{}: {}", headline(case, inf.mode), inf.mode.meaning());
    if let Some(w) = &inf.wheel {
        diagnosis.push_str(&format!(" on the {}", wheel_name(w)));
    }
    diagnosis.push('.');
    if let Some(p) = &inf.part {
        diagnosis.push_str(&format!(" {}", capitalize(&describe_part(p))));
        if let Some(t) = ev.trend.as_ref().filter(|_| inf.trend_matches) {
            let wear = matches!(
                inf.mode,
                FailureMode::RoutineBrakeWear | FailureMode::AbnormalBrakeWear
            );
            if wear {
                diagnosis.push_str(&format!(", {}", pace(t)));
            } else {
                diagnosis.push_str(&format!(", moving {:.1} %/day", 100.0 * t.slope_per_day));
            }
        }
        diagnosis.push('.');
    }
    diagnosis.push_str(&format!(" {}.", capitalize(&time_left(case))));
    if inf.mode == FailureMode::RoutineBrakeWear
        && let Some(rul) = case.rul_days.filter(|d| *d < 365.0)
    {
        // A planning window only while one fits before the limit; closer, the pads are
        // replaced within the decision's urgency window, which the alert states.
        let window = planning_window_days(rul);
        if f64::from(window) < rul {
            diagnosis.push_str(&format!(" Plan a pad replacement within {window} days."));
        } else {
            diagnosis.push_str(" Replace the pads before they reach the limit.");
        }
    }
    if !inf.supporting.is_empty() {
        diagnosis.push_str(&format!(" Confirmed by {}.", code_list(&inf.supporting)));
    }
    diagnosis
}

/// What the diagnosis opens with: how probable `mode` is, or that the cause is open.
fn headline(case: &Case, mode: FailureMode) -> String {
    // A change that leaves the component better than "poor" is an early sign: the
    // same mode and actions, worded as such (its severity is the band's, usually low).
    let early = case.trigger == Trigger::Changed && case.band.is_some_and(|b| b < HealthBand::Poor);
    match mode {
        FailureMode::Undetermined => {
            format!("{} degrading, cause not determined", nice(case.component))
        }
        FailureMode::RoutineBrakeWear => "Routine brake wear".to_owned(),
        m if early => format!("Early sign of {}", m.as_str().replace('_', " ")),
        m => format!("Probable {}", m.as_str().replace('_', " ")),
    }
}

/// The routing line of the reasoning: the worker, the trigger, other systems the codes
/// point at.
fn routing_reason(case: &Case, class: &Classification) -> String {
    format!(
        "Routed to the {} worker ({}{}).",
        worker_name(class.worker),
        case.trigger.as_str(),
        if class.other_systems.is_empty() {
            String::new()
        } else {
            format!("; codes also point at {}", class.other_systems.join(", "))
        }
    )
}

/// The reasoning lines on the evidence: the trend, the three most damaged parts, the
/// codes for, against and beside the mode, ambiguity and the inference's notes.
fn evidence_reasons(case: &Case, ev: &Evidence, inf: &Inference) -> Vec<String> {
    let mut reasoning = Vec::new();
    match &ev.trend {
        Some(t) => reasoning.push(format!(
            "Trend: {} damage rising {:.2} %/day (t = {:.1}){}.",
            t.part,
            100.0 * t.slope_per_day,
            t.t_stat,
            if inf.trend_matches {
                ""
            } else {
                ", not the part the mode is about"
            }
        )),
        None => {
            reasoning.push("No trend factor: the judgement rests on levels and codes.".to_owned())
        }
    }
    for p in ev.parts.iter().take(3) {
        reasoning.push(format!("{}: {}.", p.part, describe_part(p)));
    }
    if !inf.supporting.is_empty() {
        reasoning.push(format!("Supporting codes: {}.", code_list(&inf.supporting)));
    }
    if !inf.contradicting.is_empty() {
        reasoning.push(format!(
            "Contradicting codes: {}.",
            code_list(&inf.contradicting)
        ));
    }
    let unrelated: Vec<Meaning> = case
        .dtcs
        .iter()
        .map(dtc::explain)
        .filter(|m| !inf.supporting.contains(m) && !inf.contradicting.contains(m))
        .collect();
    if !unrelated.is_empty() {
        reasoning.push(format!("Other active codes: {}.", code_list(&unrelated)));
    }
    if inf.ambiguous {
        reasoning.push("The evidence is split between two failure modes.".to_owned());
    }
    reasoning.extend(inf.notes.iter().cloned());
    reasoning
}

/// The severity line of the reasoning.
pub fn severity_reason(case: &Case, class: &Classification) -> String {
    let b = &class.band;
    match case.rul_days {
        None => "Severity medium by default: no remaining-life estimate.".to_owned(),
        Some(rul) => {
            let mut s = format!(
                "Severity {} from the urgency guide: remaining life {:.1} days",
                b.severity.as_str(),
                rul
            );
            if b.heavy_use {
                s.push_str(&format!(
                    "; heavy use ({:.0} km/day) brings the window to act forward, as for {:.1} days",
                    case.daily_km.unwrap_or_default(),
                    b.effective_days
                ));
            }
            if b.past_limit {
                s.push_str("; already past its limit, so critical");
            }
            if b.unconfirmed {
                s.push_str(&format!(
                    "; high rather than critical: the part still reads under {:.0} % of the way from its baseline to its limit, so the trend's projection is not confirmed by the level yet",
                    100.0 * shared_schemas::urgency::CRITICAL_MIN_DAMAGE
                ));
            }
            s.push('.');
            s
        }
    }
}

/// An improvement: nothing to repair, keep watching.
fn monitor(case: &Case, class: &Classification, ev: &Evidence) -> Draft {
    let from = case.previous_band.map_or("?", HealthBand::as_str);
    let to = case.band.map_or("?", HealthBand::as_str);
    let mut reasoning = vec![
        format!(
            "{} health improved from {from} to {to}.",
            nice(case.component)
        ),
        severity_reason(case, class),
    ];
    if let Some(w) = ev.worst() {
        reasoning.push(format!("{}: {}.", w.part, describe_part(w)));
    }
    Draft {
        mode: FailureMode::Monitor,
        wheel: None,
        diagnosis: format!(
            "{} health improved ({from} → {to}); {}. No repair needed now.",
            nice(case.component),
            time_left(case)
        ),
        severity: class.band.severity,
        actions: vec!["monitor".to_owned()],
        confidence: case
            .health_confidence
            .map_or(0.8, |h| (0.5 + 0.5 * h).min(0.95)),
        reasoning: reasoning.join("\n"),
    }
}

fn nice(c: Component) -> &'static str {
    match c {
        Component::EngineOil => "Engine oil",
        Component::Cooling => "Cooling",
        Component::Dpf => "DPF",
        Component::ScrDef => "SCR/DEF",
        Component::Brakes => "Brake",
        Component::Battery => "Battery",
        Component::Transmission => "Transmission",
        Component::Tires => "Tire",
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use shared_schemas::events::{ComponentDegraded, Factor, Severity};
    use shared_schemas::telemetry::Dtc;
    use uuid::Uuid;

    use super::*;
    use crate::domain::evidence::test_factors::{level, trend};
    use crate::domain::orchestrator::classify;

    fn case(component: Component, rul_days: f64, factors: Vec<Factor>, codes: &[&str]) -> Case {
        Case::degraded(
            Uuid::nil(),
            Uuid::nil(),
            ComponentDegraded {
                org_id: "o".to_owned(),
                vehicle_id: "V".to_owned(),
                component,
                score: 0.3,
                band: HealthBand::Poor,
                rul_days,
                rul_km: None,
                rul_interval_days: None,
                confidence: 0.85,
                factors,
                dtcs: codes
                    .iter()
                    .map(|c| Dtc::Obd {
                        code: (*c).to_owned(),
                    })
                    .collect(),
                odometer_km: None,
                detected_at: Utc::now(),
            },
        )
    }

    fn run(c: &Case) -> Draft {
        diagnose(c, &classify(c))
    }

    /// A brakes change into `good` with pads 70 % worn at `pace` times normal.
    fn brake_change(pace: Option<f64>, abnormal: bool) -> Case {
        let mut t = trend("pad_wear", 0.0016, -0.285, 6.2);
        t.pace_ratio = pace;
        t.abnormal = Some(abnormal);
        let mut c = Case::changed(
            Uuid::nil(),
            Uuid::nil(),
            shared_schemas::events::HealthChanged {
                org_id: "o".to_owned(),
                vehicle_id: "V".to_owned(),
                component: Component::Brakes,
                previous_score: 1.0,
                previous_band: HealthBand::Excellent,
                current_score: 0.72,
                current_band: HealthBand::Good,
                rul_days: 189.0,
                reason: shared_schemas::events::ChangeReason::BandCrossed,
                detected_at: Utc::now(),
            },
        );
        c.factors = vec![
            t,
            level("brake_pad_wear_pct", "pad_wear", 70.4, 0.0, 100.0, 0.704),
        ];
        c.rul_days = Some(189.0);
        c.band = Some(HealthBand::Good);
        c
    }

    #[test]
    fn the_time_left_says_how_sure_it_is_when_the_engine_gave_an_interval() {
        let mut c = case(Component::Battery, 7.0, Vec::new(), &[]);
        assert!(!time_left(&c).contains("likely"), "{}", time_left(&c));
        c.rul_interval_days = Some([5.6, 9.4]);
        assert_eq!(
            time_left(&c),
            "about 7 days to the limit at the current trend; 80 % likely between 6 and 9 days"
        );
    }

    #[test]
    fn pads_near_the_limit_get_no_planning_window_beyond_it() {
        let mut c = brake_change(Some(1.5), false);
        c.rul_days = Some(3.9);
        let d = run(&c);
        assert_eq!(d.mode, FailureMode::RoutineBrakeWear);
        assert!(!d.diagnosis.contains("within 7 days"), "{}", d.diagnosis);
        assert!(
            d.diagnosis.contains("before they reach the limit"),
            "{}",
            d.diagnosis
        );
    }

    #[test]
    fn normal_pad_wear_is_routine_and_never_called_abnormal() {
        for (pace, said) in [
            (Some(1.05), "about this vehicle's normal pace"),
            (
                None,
                "not enough history yet to know this vehicle's normal pace",
            ),
        ] {
            let d = run(&brake_change(pace, false));
            assert_eq!(d.mode, FailureMode::RoutineBrakeWear);
            assert!(
                d.diagnosis.starts_with("Routine brake wear: "),
                "{}",
                d.diagnosis
            );
            assert!(d.diagnosis.contains(said), "{}", d.diagnosis);
            assert!(
                d.diagnosis
                    .contains("Plan a pad replacement within 159 days"),
                "{}",
                d.diagnosis
            );
            for claim in ["abnormal", "faster than", "baseline"] {
                assert!(!d.diagnosis.contains(claim), "{claim}: {}", d.diagnosis);
            }
        }
        // It is a planning item, not an alert or a review request.
        let c = brake_change(Some(1.0), false);
        let decision = crate::domain::Decision::new(
            &c,
            &classify(&c),
            run(&c),
            crate::domain::decision::Provenance::default(),
            "USD",
        );
        assert_eq!(
            decision.disposition,
            shared_schemas::events::Disposition::Plan
        );
        assert!(!decision.escalated);
        assert_eq!(decision.urgency_days, 159);
        // Pads wearing three times their normal pace are a fault, and say so.
        let d = run(&brake_change(Some(3.0), true));
        assert_eq!(d.mode, FailureMode::AbnormalBrakeWear);
        assert!(
            d.diagnosis.contains("3.0 times this vehicle's normal pace"),
            "{}",
            d.diagnosis
        );
    }

    #[test]
    fn pads_the_engine_judged_a_fault_are_abnormal_only_when_faster_than_normal() {
        // The engine's trained gate flagged 1.6 times the normal pace: a fault, though
        // under the pace the rules would need without the engine's judgement.
        assert_eq!(
            run(&brake_change(Some(1.6), true)).mode,
            FailureMode::AbnormalBrakeWear
        );
        assert_eq!(
            run(&brake_change(Some(1.6), false)).mode,
            FailureMode::RoutineBrakeWear
        );
        // Judged a fault at about the normal pace: worn to the limit, not wearing fast.
        assert_eq!(
            run(&brake_change(Some(1.1), true)).mode,
            FailureMode::RoutineBrakeWear
        );
    }

    #[test]
    fn a_rul_in_km_no_vehicle_could_drive_is_left_out() {
        let mut c = case(Component::Brakes, 17.0, Vec::new(), &[]);
        c.rul_km = Some(979_264.0);
        assert_eq!(
            time_left(&c),
            "about 17 days to the limit at the current trend"
        );
        c.rul_km = Some(5_100.0);
        assert_eq!(
            time_left(&c),
            "about 17 days (about 5100 km) to the limit at the current trend"
        );
    }

    #[test]
    fn a_cold_running_engine_is_a_stuck_open_thermostat_not_overheating() {
        let c = case(
            Component::Cooling,
            10.0,
            vec![
                trend("coolant_cold", 0.05, -0.6, 7.0),
                level(
                    "coolant_temp_warm_c",
                    "coolant_cold",
                    79.0,
                    90.000,
                    70.000,
                    0.55,
                ),
                level(
                    "coolant_temp_warm_c",
                    "coolant_hot",
                    79.0,
                    90.000,
                    110.000,
                    0.0,
                ),
            ],
            &["P0128"],
        );
        let d = run(&c);
        assert_eq!(d.mode, FailureMode::ThermostatStuckOpen);
        assert_eq!(d.actions[0], "replace_thermostat");
        assert_eq!(d.severity, Severity::Medium);
        assert!(d.confidence >= 0.7, "{}", d.confidence);
        assert!(d.diagnosis.contains("79.0 °C"), "{}", d.diagnosis);
        let hot = case(
            Component::Cooling,
            2.0,
            vec![trend("coolant_hot", 0.08, -0.9, 12.0)],
            &["P0217"],
        );
        let d = run(&hot);
        assert_eq!(d.mode, FailureMode::CoolantOverheat);
        assert_eq!(d.severity, Severity::Critical);
    }

    #[test]
    fn diluted_def_is_told_from_an_ageing_catalyst() {
        let def = case(
            Component::ScrDef,
            12.0,
            vec![
                trend("def_quality", 0.04, -0.5, 5.0),
                level("def_quality_pct", "def_quality", 29.5, 32.500, 26.000, 0.50),
                level(
                    "scr_nox_conversion",
                    "scr_conversion",
                    0.8,
                    0.950,
                    0.600,
                    0.30,
                ),
            ],
            &["P207F"],
        );
        assert_eq!(run(&def).mode, FailureMode::DefDilution);
        let scr = case(
            Component::ScrDef,
            30.0,
            vec![
                trend("scr_conversion", 0.02, -0.4, 6.0),
                level(
                    "scr_nox_conversion",
                    "scr_conversion",
                    0.78,
                    0.950,
                    0.600,
                    0.50,
                ),
                level("def_quality_pct", "def_quality", 32.4, 32.500, 26.000, 0.0),
            ],
            &["P20EE"],
        );
        let d = run(&scr);
        assert_eq!(d.mode, FailureMode::ScrCatalystAgeing);
        assert_eq!(d.severity, Severity::Low);
        assert!(d.actions.contains(&"replace_scr_catalyst".to_owned()));
    }

    #[test]
    fn a_slow_leak_names_its_wheel() {
        let c = case(
            Component::Tires,
            4.0,
            vec![
                trend("tire_rl", 0.1, -0.7, 8.0),
                level(
                    "tire_pressure_rl_20c_kpa",
                    "tire_rl",
                    640.0,
                    760.000,
                    570.000,
                    0.60,
                ),
            ],
            &[],
        );
        let d = run(&c);
        assert_eq!(d.mode, FailureMode::TireSlowLeak);
        assert_eq!(d.wheel.as_deref(), Some("rl"));
        assert!(d.diagnosis.contains("rear left"), "{}", d.diagnosis);
        assert_eq!(
            classify(&c).worker,
            shared_schemas::events::WorkerAgent::Generic
        );
    }

    #[test]
    fn without_indicators_the_decision_is_unsure_and_codes_elsewhere_go_generic() {
        let bare = case(Component::Battery, 30.0, Vec::new(), &[]);
        let d = run(&bare);
        assert!(d.confidence < 0.7, "{}", d.confidence);
        let cross = case(Component::Cooling, 20.0, Vec::new(), &["P0218"]);
        assert_eq!(
            classify(&cross).worker,
            shared_schemas::events::WorkerAgent::Generic
        );
        let sensor = case(Component::Cooling, 200.0, Vec::new(), &["P0118"]);
        assert_eq!(run(&sensor).mode, FailureMode::SensorFault);
    }
}
