//! Coverage: the standard terms and whether a contract covers a claim.
//!
//! Wear items: of our telemetry components, `brakes` (pads) and `tires` wear with use,
//! so basic coverage leaves them out. Corrosion coverage is about body panels, which no
//! telemetry component is: it is listed (7 years, unlimited km) but covers none of ours.
//! A term is in force from its start date through the day `months` later, inclusive,
//! and up to `km` (inclusive) past the start odometer: "whichever comes first".

use chrono::{Months, NaiveDate};
use shared_schemas::events::{Component, Coverage};

use super::model::{Claim, Contract, CoverageTerm, Eligibility};

/// Components that wear with use, excluded from basic coverage.
pub const WEAR_ITEMS: [Component; 2] = [Component::Brakes, Component::Tires];

/// The standard terms every contract starts with: basic 36 months / 36,000 km (all but
/// wear items), powertrain 60 months / 100,000 km (engine oil, cooling, transmission),
/// corrosion 84 months / unlimited (none of the telemetry components).
pub fn standard_terms() -> Vec<CoverageTerm> {
    let basic = Component::ALL
        .into_iter()
        .filter(|c| !WEAR_ITEMS.contains(c))
        .collect();
    vec![
        CoverageTerm {
            coverage: Coverage::Basic,
            months: 36,
            km: Some(36_000.0),
            components: basic,
        },
        CoverageTerm {
            coverage: Coverage::Powertrain,
            months: 60,
            km: Some(100_000.0),
            components: vec![
                Component::EngineOil,
                Component::Cooling,
                Component::Transmission,
            ],
        },
        CoverageTerm {
            coverage: Coverage::Corrosion,
            months: 84,
            km: None,
            components: Vec::new(),
        },
    ]
}

/// The coverage's name in reasons, e.g. `powertrain`.
pub fn coverage_name(c: Coverage) -> &'static str {
    match c {
        Coverage::Basic => "basic",
        Coverage::Powertrain => "powertrain",
        Coverage::Corrosion => "corrosion",
        Coverage::Extended => "extended",
    }
}

/// `123456.7` as `123,457`: distances in reasons.
pub fn km_words(km: f64) -> String {
    #[allow(clippy::cast_possible_truncation)]
    let n = km.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// The last day `term` is in force for a contract starting on `start`.
pub fn term_end(start: NaiveDate, term: &CoverageTerm) -> NaiveDate {
    start
        .checked_add_months(Months::new(term.months))
        .unwrap_or(NaiveDate::MAX)
}

/// One term measured against a claim.
struct Measured<'a> {
    term: &'a CoverageTerm,
    end: NaiveDate,
    days_to_end: i64,
    km_to_limit: Option<f64>,
}

impl Measured<'_> {
    fn in_force(&self) -> bool {
        self.days_to_end >= 0 && self.km_to_limit.is_none_or(|k| k >= 0.0)
    }

    fn why_not(&self, km_used: f64) -> Vec<String> {
        let name = coverage_name(self.term.coverage);
        let mut out = Vec::new();
        if self.days_to_end < 0 {
            out.push(format!(
                "{name} coverage ended on {} ({} months), {} days before the failure",
                self.end, self.term.months, -self.days_to_end
            ));
        }
        if let (Some(limit), Some(left)) = (self.term.km, self.km_to_limit)
            && left < 0.0
        {
            out.push(format!(
                "{name} coverage ended at {} km; the vehicle had covered {} km since the contract started",
                km_words(limit),
                km_words(km_used)
            ));
        }
        out
    }
}

/// Whether `contract` covers `claim`: in force at the failure date and odometer, the
/// component covered; the term ending last wins when several apply.
pub fn eligibility(contract: &Contract, claim: &Claim) -> Eligibility {
    let days_since_start = (claim.failure_date - contract.start_date).num_days();
    let km_used = claim.odometer_km - contract.start_odometer_km;
    let ineligible = |reason: String| Eligibility {
        eligible: false,
        coverage: None,
        reasons: vec![reason],
        days_since_start: Some(days_since_start),
        days_to_end: None,
        km_to_limit: None,
    };
    if days_since_start < 0 {
        return ineligible(format!(
            "the failure on {} is before the contract started on {}",
            claim.failure_date, contract.start_date
        ));
    }
    if km_used < 0.0 {
        return ineligible(format!(
            "the odometer at failure ({} km) is below the contract's start odometer ({} km)",
            km_words(claim.odometer_km),
            km_words(contract.start_odometer_km)
        ));
    }
    let mut covering: Vec<Measured<'_>> = contract
        .terms
        .iter()
        .filter(|t| t.components.contains(&claim.component))
        .map(|term| {
            let end = term_end(contract.start_date, term);
            Measured {
                term,
                end,
                days_to_end: (end - claim.failure_date).num_days(),
                km_to_limit: term.km.map(|k| k - km_used),
            }
        })
        .collect();
    if covering.is_empty() {
        let wear = if WEAR_ITEMS.contains(&claim.component) {
            " (a wear item, excluded from basic coverage)"
        } else {
            ""
        };
        return ineligible(format!(
            "no coverage of the contract covers {}{wear}",
            claim.component.as_str()
        ));
    }
    covering.sort_by_key(|m| m.end);
    let chosen = covering.iter().rev().find(|m| m.in_force());
    let Some(m) = chosen else {
        let last = covering
            .last()
            .map_or((None, None), |m| (Some(m.days_to_end), m.km_to_limit));
        return Eligibility {
            eligible: false,
            coverage: None,
            reasons: covering.iter().flat_map(|m| m.why_not(km_used)).collect(),
            days_since_start: Some(days_since_start),
            days_to_end: last.0,
            km_to_limit: last.1,
        };
    };
    let km_part = m.km_to_limit.map_or_else(
        || "unlimited km".to_owned(),
        |left| format!("{} km left", km_words(left)),
    );
    Eligibility {
        eligible: true,
        coverage: Some(m.term.coverage),
        reasons: vec![format!(
            "covered by {} coverage until {} ({} days left, {km_part})",
            coverage_name(m.term.coverage),
            m.end,
            m.days_to_end
        )],
        days_since_start: Some(days_since_start),
        days_to_end: Some(m.days_to_end),
        km_to_limit: m.km_to_limit,
    }
}

/// [`eligibility`], or not covered when the vehicle has no contract on record.
pub fn eligibility_or_none(contract: Option<&Contract>, claim: &Claim) -> Eligibility {
    contract.map_or_else(
        || Eligibility {
            eligible: false,
            coverage: None,
            reasons: vec![format!(
                "no warranty contract on record for vehicle {}",
                claim.vehicle_id
            )],
            days_since_start: None,
            days_to_end: None,
            km_to_limit: None,
        },
        |c| eligibility(c, claim),
    )
}

#[cfg(test)]
#[path = "coverage_tests.rs"]
mod tests;
