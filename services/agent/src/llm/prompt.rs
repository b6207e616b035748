//! What the worker agents are told: a system prompt per worker (its specialty, the
//! rules, the allowed severities, modes and actions, the answer schema) and the case.

use serde_json::{Value, json};
use shared_schemas::events::WorkerAgent;

use crate::domain::actions;
use crate::domain::case::Case;
use crate::domain::dtc;
use crate::domain::modes::FailureMode;
use crate::domain::orchestrator::{Classification, worker_name};
use crate::domain::rules;
use crate::domain::severity;

fn specialty(w: WorkerAgent) -> &'static str {
    match w {
        WorkerAgent::Powertrain => {
            "You specialise in diesel and gasoline engines: lubrication (oil pressure, level, leaks, pumps) and cooling (water pumps, radiators, fans, thermostats)."
        }
        WorkerAgent::Aftertreatment => {
            "You specialise in diesel aftertreatment: DPF loading, regeneration and ash; SCR catalysts, DEF quality and dosing; NOx sensors."
        }
        WorkerAgent::Brakes => {
            "You specialise in air and hydraulic brakes: pad and lining wear, calipers, adjusters, ABS."
        }
        WorkerAgent::Electrical => {
            "You specialise in vehicle electrical systems: starting batteries, charging systems, parasitic drains."
        }
        WorkerAgent::Transmission => {
            "You specialise in automatic and automated manual transmissions: fluid, coolers, clutches, torque converters."
        }
        WorkerAgent::Generic => {
            "You are the cross-system diagnostician: tires and chassis items, and cases whose trouble codes span several systems."
        }
    }
}

/// The system prompt of `class.worker` for `case`.
pub fn system(case: &Case, class: &Classification, schema: &Value) -> String {
    let (lo, hi) = severity::allowed(class.band.severity);
    let modes: Vec<String> = FailureMode::for_component(case.component)
        .into_iter()
        .map(|m| format!("- {}: {}", m.as_str(), m.meaning()))
        .collect();
    let catalog: Vec<String> = actions::CATALOG
        .iter()
        .map(|a| {
            format!(
                "- {}: {} (USD {:.0}-{:.0})",
                a.id, a.description, a.cost_min, a.cost_max
            )
        })
        .collect();
    format!(
        "You are the {worker} worker agent of a fleet predictive-maintenance platform. {specialty}\n\
         You diagnose one health event of one vehicle component and decide what the fleet must do.\n\
         Tools give the component's current health and history, trouble code meanings, the \
         vehicle's open appointments, what the workshops could book now and its warranty claims \
         (a recent claim on the same component points to a repeat failure). A tool may be \
         unavailable: then decide with what you have and say so.\n\n\
         Rules:\n\
         - severity must be `{lo}` or `{hi}`: the time-to-failure rule band is `{lo}` (urgency guide: \
         under 3 days critical, 3-7 high, 8-14 medium, over 14 low, on the remaining life measured \
         on this vehicle; heavy use over 80 km/day shortens the window to act, not the band). \
         You may raise it one level when the evidence shows the risk is higher than the trend says; \
         never lower it.\n\
         - failure_mode is one of:\n{modes}\n\
         - recommended_actions are ids from this catalog, most important first (the cost of the \
         decision is the sum of their ranges):\n{catalog}\n\
         - confidence (0 to 1) is how sure you are of the failure mode; under 0.7 a human reviews.\n\
         - diagnosis states what is wrong with the figures that show it; reasoning gives the evidence.\n\n\
         When you are done with tools, answer with ONLY one JSON object (no prose, no code fence) \
         matching this JSON Schema:\n{schema}",
        worker = worker_name(class.worker),
        specialty = specialty(class.worker),
        lo = lo.as_str(),
        hi = hi.as_str(),
        modes = modes.join("\n"),
        catalog = catalog.join("\n"),
    )
}

/// The case as the model sees it.
pub fn user(case: &Case, class: &Classification) -> String {
    // Every field the engine gave: the numbers (baseline, limit, damage, t-statistic)
    // as well as the sentence.
    let factors: Vec<Value> = case.factors.iter().map(|f| json!(f)).collect();
    let codes: Vec<String> = case.dtcs.iter().map(dtc::display).collect();
    let body = json!({
        "trigger": case.trigger.as_str(),
        "vehicle_id": case.vehicle_id,
        "component": case.component.as_str(),
        "health_score": case.score,
        "health_band": case.band.map(|b| b.as_str()),
        "previous_band": case.previous_band.map(|b| b.as_str()),
        "remaining_life_days": case.rul_days,
        "remaining_life_km": case.rul_km,
        "health_confidence": case.health_confidence,
        "daily_km": case.daily_km,
        "odometer_km": case.odometer_km,
        "factors": factors,
        "active_trouble_codes": codes,
        "other_systems_in_codes": class.other_systems,
        "detected_at": case.detected_at,
        "health_data": &case.health_source,
        "note": case.note,
        "rule_band": {
            "severity": class.band.severity.as_str(),
            "why": rules::severity_reason(case, class),
        },
    });
    format!(
        "Diagnose this case and decide.\n{}",
        serde_json::to_string_pretty(&body).unwrap_or_default()
    )
}

/// The message sent back after an answer that did not validate.
pub fn repair(error: &str) -> String {
    format!(
        "Your answer did not validate: {error}. Answer again with ONLY the JSON object \
         matching the schema, with the allowed values."
    )
}
