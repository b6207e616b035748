//! Whether a slot a person chose is feasible: the job placed there alone, around the
//! existing bookings, checked by the optimizer's own rules (R2-R10), so a chosen slot
//! and an offered one obey the same rules. The error names the rule broken.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::frame::to_instance;
use super::{JobRequest, Slot, Snapshot};
use crate::domain::optimizer::{Assignment, Rule, Solution, check, objective};

/// The slot at `center_id`, `starts_at`, with `technician_id` (or the first skilled
/// technician free then); parts from stock when the center has them, else ordered.
///
/// # Errors
/// Why no technician of the center can take it then, in words.
pub fn check_slot(
    s: &Snapshot,
    job: &JobRequest,
    center_id: Uuid,
    technician_id: Option<Uuid>,
    starts_at: DateTime<Utc>,
) -> Result<Slot, String> {
    let center = s
        .centers
        .iter()
        .find(|c| c.id == center_id)
        .ok_or_else(|| format!("center {center_id} is not an active center of the organization"))?;
    let (instance, frame) = to_instance(s, std::slice::from_ref(job)).map_err(|e| e.to_string())?;
    let start = frame.minute(starts_at);
    if frame.at(start) != starts_at || start % super::SLOT_MINUTES != 0 {
        return Err("starts_at must be on the 30-minute grid (hh:00 or hh:30 UTC)".into());
    }
    let technicians: Vec<Uuid> = match technician_id {
        Some(t) if center.technicians.iter().any(|x| x.id == t) => vec![t],
        Some(t) => {
            return Err(format!(
                "technician {t} does not work at center {}",
                center.name
            ));
        }
        None => center
            .technicians
            .iter()
            .filter(|t| t.skills.contains(&job.skill))
            .map(|t| t.id)
            .collect(),
    };
    if technicians.is_empty() {
        return Err(format!(
            "no technician of {} has the skill {}",
            center.name, job.skill
        ));
    }
    let mut why = None;
    for tech in technicians {
        for from_stock in [true, false] {
            let solution = Solution {
                assignments: vec![Assignment {
                    job: job.key.clone(),
                    center: center_id.to_string(),
                    technician: tech.to_string(),
                    start_minute: start,
                    parts_from_stock: from_stock,
                }],
                unassigned: Vec::new(),
                objective: None,
            };
            let violations = check(&instance, &solution);
            let Some(first) = violations.iter().min_by_key(|v| v.rule) else {
                return Ok(Slot {
                    center_id,
                    technician_id: tech,
                    starts_at,
                    ends_at: starts_at + chrono::TimeDelta::minutes(job.duration_minutes),
                    parts_from_stock: from_stock,
                    cost: objective(&instance, &solution),
                    score: 1.0,
                });
            };
            // Keep the most telling reason: the latest rule reached.
            if why.as_ref().is_none_or(|(r, _)| first.rule > *r) {
                why = Some((first.rule, words(first.rule, &center.name)));
            }
        }
    }
    Err(why.map_or_else(|| "not feasible".to_owned(), |w| w.1))
}

fn words(rule: Rule, center: &str) -> String {
    match rule {
        Rule::R1Coverage | Rule::R2Technician => {
            format!("the technician does not work at {center}")
        }
        Rule::R3Skill => "the technician does not have the skill the work needs".into(),
        Rule::R4Emergency => format!("{center} does not take emergency work"),
        Rule::R5GridRelease => "the slot starts in the past or before the work can start".into(),
        Rule::R6ShiftHours => {
            format!("the slot is outside the technician's shift or {center}'s opening hours")
        }
        Rule::R7Technician => "the technician is booked at that time".into(),
        Rule::R8Vehicle => "the vehicle has another appointment at that time".into(),
        Rule::R9Bays => format!("every bay of {center} is booked at that time"),
        Rule::R10Parts => {
            format!("the parts are not in stock at {center} and cannot be ordered there in time")
        }
    }
}
