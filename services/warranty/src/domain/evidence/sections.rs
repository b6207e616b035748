//! The sections of the pack, in reading order, each drawn from the pack's data onto the
//! page flow. Every section says so in words when it has nothing to show.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::EvidencePack;
use super::canvas::{BLACK, BODY, Canvas, GREY};
use crate::domain::model::{Claim, Contract, Recommendation};

/// The snake_case wire name of a serde enum (`powertrain`, `near_expiry`).
pub(super) fn wire<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|j| j.as_str().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

/// `1234567.891` as `1,234,567.89`.
fn grouped(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(i, f)| (i, f));
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    let sign = if v < 0.0 && s.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{out}")
    } else {
        format!("{sign}{out}.{frac}")
    }
}

pub(super) fn money(v: f64, currency: &str) -> String {
    format!("{} {currency}", grouped(v, 2))
}

pub(super) fn km(v: f64) -> String {
    format!("{} km", grouped(v, 0))
}

pub(super) fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

pub(super) fn recommendation(r: Recommendation) -> &'static str {
    match r {
        Recommendation::AutoApprove => "auto-approve",
        Recommendation::Review => "human review",
        Recommendation::Reject => "reject (not covered)",
    }
}

/// Title, what failed, and the outcome in one line.
pub(super) fn header(c: &mut Canvas, p: &EvidencePack) {
    let claim = &p.claim;
    c.title("Warranty evidence pack", 17.0);
    c.title(&format!("Claim {}", claim.id), 11.0);
    c.y -= 4.0;
    let what = format!(
        "Vehicle {}, VIN {}: {} failed on {} at {}.",
        claim.vehicle_id,
        claim.vin,
        claim.component.as_str(),
        claim.failure_date,
        km(claim.odometer_km)
    );
    c.paragraph(&what, 9.5, BLACK);
    let a = &p.assessment;
    let outcome = p.decision.as_ref().map_or_else(
        || "Not decided yet".to_owned(),
        |d| {
            format!(
                "Decision: {} ({})",
                d.outcome,
                d.by.as_deref().unwrap_or("automatic")
            )
        },
    );
    let line = format!(
        "{outcome}. Recommendation: {}; fraud score {:.2}, confidence {:.2}; {} signal(s).",
        recommendation(a.recommendation),
        a.score,
        a.confidence,
        a.signals.len()
    );
    c.paragraph(&line, 9.5, BLACK);
}

/// The claim as filed.
pub(super) fn claim(c: &mut Canvas, claim: &Claim) {
    c.heading("Claim");
    c.pairs(&[
        ("Vehicle", claim.vehicle_id.clone()),
        ("VIN", claim.vin.clone()),
        ("Component", claim.component.as_str().to_owned()),
        ("Organization", claim.org_id.clone()),
        ("Failure date", claim.failure_date.to_string()),
        ("Odometer at failure", km(claim.odometer_km)),
        ("Filed", format!("{} UTC", when(claim.submitted_at))),
        ("Filed by", claim.submitted_by.clone()),
        ("Repair shop", claim.shop.name.clone()),
        (
            "Shop id, region",
            format!("{}, {}", claim.shop.id, claim.shop.region),
        ),
    ]);
    c.y -= 4.0;
    c.paragraph(&format!("Description: {}", claim.description), BODY, BLACK);
}

/// Eligibility, the contract's terms, and why.
pub(super) fn coverage(c: &mut Canvas, p: &EvidencePack) {
    c.heading("Coverage");
    let e = &p.assessment.eligibility;
    let opt_days = |d: Option<i64>| d.map_or_else(|| "-".to_owned(), |d| format!("{d} days"));
    c.pairs(&[
        (
            "In force at failure",
            if e.eligible { "yes" } else { "no" }.to_owned(),
        ),
        (
            "Coverage applying",
            e.coverage.as_ref().map_or_else(|| "none".to_owned(), wire),
        ),
        ("Since coverage start", opt_days(e.days_since_start)),
        ("Left to coverage end", opt_days(e.days_to_end)),
        (
            "Km left to the limit",
            e.km_to_limit.map_or_else(|| "unlimited".to_owned(), km),
        ),
    ]);
    match &p.contract {
        Some(k) => terms(c, k, p),
        None => c.paragraph("No contract on record for this vehicle.", BODY, GREY),
    }
    if !e.reasons.is_empty() {
        c.y -= 2.0;
        c.bullets(&e.reasons);
    }
}

fn terms(c: &mut Canvas, k: &Contract, p: &EvidencePack) {
    c.pairs(&[
        ("Contract start", k.start_date.to_string()),
        ("Start odometer", km(k.start_odometer_km)),
        ("Deductible", money(k.deductible, &k.currency)),
    ]);
    c.y -= 4.0;
    let applying = p.assessment.eligibility.coverage;
    let rows: Vec<Vec<String>> = k
        .terms
        .iter()
        .map(|t| {
            let parts: Vec<&str> = t.components.iter().map(|c| c.as_str()).collect();
            vec![
                wire(&t.coverage),
                format!("{} months", t.months),
                t.km.map_or_else(|| "unlimited".to_owned(), km),
                parts.join(", "),
                if applying == Some(t.coverage) {
                    "applies"
                } else {
                    ""
                }
                .to_owned(),
            ]
        })
        .collect();
    if rows.is_empty() {
        c.paragraph("The contract lists no coverage terms.", BODY, GREY);
    } else {
        let cols = [
            ("Term", 1.0),
            ("Time", 0.8),
            ("Distance", 0.9),
            ("Components", 2.6),
            ("", 0.6),
        ];
        c.table(&cols, &rows);
    }
}

/// Parts, labour, total, deductible and what would be paid.
pub(super) fn cost(c: &mut Canvas, p: &EvidencePack) {
    c.heading("Cost");
    let cost = &p.claim.cost;
    let cur = cost.currency.as_str();
    let mut rows: Vec<Vec<String>> = cost
        .parts
        .iter()
        .map(|part| {
            let amount = f64::from(part.quantity) * part.unit_price;
            vec![
                part.part.clone(),
                part.quantity.to_string(),
                money(part.unit_price, cur),
                money(amount, cur),
            ]
        })
        .collect();
    rows.push(vec![
        "labour".to_owned(),
        format!("{:.1} h", cost.labour_hours),
        money(cost.labour_rate, cur),
        money(cost.labour_hours * cost.labour_rate, cur),
    ]);
    let total = cost.total();
    rows.push(vec![
        "Total".to_owned(),
        String::new(),
        String::new(),
        money(total, cur),
    ]);
    if let Some(k) = &p.contract {
        rows.push(vec![
            "Deductible".to_owned(),
            String::new(),
            String::new(),
            money(-k.deductible, &k.currency),
        ]);
        let payable = (total - k.deductible).max(0.0);
        rows.push(vec![
            "Payable if approved".to_owned(),
            String::new(),
            String::new(),
            money(payable, cur),
        ]);
    }
    c.table(
        &[
            ("Item", 2.4),
            ("Quantity", 0.8),
            ("Unit price", 1.2),
            ("Amount", 1.2),
        ],
        &rows,
    );
}

#[cfg(test)]
mod tests {
    use shared_schemas::events::Coverage;

    use super::*;

    #[test]
    fn amounts_are_grouped_by_thousands_with_their_sign() {
        assert_eq!(grouped(1_234_567.891, 2), "1,234,567.89");
        assert_eq!(grouped(-250.0, 2), "-250.00");
        assert_eq!(grouped(999.4, 0), "999");
        assert_eq!(grouped(-0.001, 2), "0.00");
        assert_eq!(money(1000.0, "EUR"), "1,000.00 EUR");
        assert_eq!(wire(&Coverage::Powertrain), "powertrain");
    }
}
