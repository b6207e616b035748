//! Fraud analysis of one claim: named, explained signals, a score in [0, 1], a
//! confidence and a recommendation. Pure: the caller gathers the claim's eligibility,
//! the vehicle's record and the claim history.

pub mod features;
pub mod knowledge;
pub mod negligence;
pub mod score;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use crate::domain::model::{
    Assessment, Claim, ClaimHistory, Eligibility, Recommendation, Signal, VehicleRecord,
};
use features::{Feature, N};
use score::{LEARNED, Weights};

/// Above this score a claim is flagged as likely fraud (and reviewed).
pub const FLAG_SCORE: f64 = 0.7;
/// Below this score (with enough confidence) an eligible claim is approved unseen.
pub const APPROVE_SCORE: f64 = 0.3;
/// The confidence auto-approval needs.
pub const APPROVE_CONFIDENCE: f64 = 0.9;

/// Assesses `claim` with the learned weights.
pub fn assess(
    claim: &Claim,
    eligibility: &Eligibility,
    record: &VehicleRecord,
    history: &ClaimHistory,
) -> Assessment {
    assess_with(&LEARNED, claim, eligibility, record, history)
}

/// Assesses `claim` with the given weights (the benchmark trains its own).
pub fn assess_with(
    weights: &Weights,
    claim: &Claim,
    eligibility: &Eligibility,
    record: &VehicleRecord,
    history: &ClaimHistory,
) -> Assessment {
    let found = features::extract(claim, eligibility, record, history);
    let x = strengths(&found);
    let score = weights.score(&x);
    let mut signals: Vec<Signal> = found
        .iter()
        .enumerate()
        .filter(|(i, f)| f.strength > 0.0 && weights.w[*i] > 0.0)
        .map(|(i, f)| signal(f, weights.contribution(&x, i)))
        .collect();
    signals.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    let negligence = negligence::ignored_warnings(claim, record);
    let confidence = confidence(record);
    let recommendation = recommend(
        eligibility.eligible,
        score,
        confidence,
        negligence.is_some(),
    );
    let mut reasons = reasons(eligibility, score, confidence, recommendation, &signals);
    if let Some(n) = negligence {
        reasons.push(n.explanation.clone());
        signals.push(n);
    }
    let features: BTreeMap<String, f64> = found
        .iter()
        .map(|f| (f.name.to_owned(), f.strength))
        .collect();
    Assessment {
        eligibility: eligibility.clone(),
        score,
        confidence,
        signals,
        recommendation,
        reasons,
        features,
    }
}

/// The model inputs, in `features::NAMES` order.
pub fn strengths(found: &[Feature]) -> [f64; N] {
    let mut x = [0.0; N];
    for (slot, f) in x.iter_mut().zip(found) {
        *slot = f.strength;
    }
    x
}

fn signal(f: &Feature, weight: f64) -> Signal {
    Signal {
        kind: f.kind,
        name: f.name.to_owned(),
        value: f.value,
        weight,
        explanation: f.explanation.clone(),
    }
}

/// How far the analysis can be trusted: without telemetry most signals are blind.
pub fn confidence(record: &VehicleRecord) -> f64 {
    if !record.telemetry_available {
        return 0.4;
    }
    let mut c: f64 = 1.0;
    if record.component_history.is_empty() {
        c -= 0.3;
    } else if record.component_history.len() < 14 {
        c -= 0.1;
    }
    if record.telemetry_odometer_km.is_none() {
        c -= 0.1;
    }
    if record.reporting_at_failure.is_none() {
        c -= 0.05;
    }
    c.clamp(0.0, 1.0)
}

/// Not eligible: reject. Likely fraud, negligence, or not sure enough: review.
pub fn recommend(eligible: bool, score: f64, confidence: f64, negligent: bool) -> Recommendation {
    if !eligible {
        Recommendation::Reject
    } else if score < APPROVE_SCORE && confidence > APPROVE_CONFIDENCE && !negligent {
        Recommendation::AutoApprove
    } else {
        Recommendation::Review
    }
}

fn reasons(
    e: &Eligibility,
    score: f64,
    confidence: f64,
    r: Recommendation,
    signals: &[Signal],
) -> Vec<String> {
    let mut out = Vec::new();
    if !e.eligible {
        out.extend(e.reasons.iter().cloned());
    }
    let verdict = match r {
        Recommendation::Reject => "not covered: rejected",
        Recommendation::AutoApprove => "low fraud score with full telemetry: approved",
        Recommendation::Review if score > FLAG_SCORE => {
            "flagged as likely fraud: a reviewer decides"
        }
        Recommendation::Review => "a reviewer decides",
    };
    out.push(format!(
        "fraud score {score:.2}, confidence {confidence:.2}: {verdict}"
    ));
    out.extend(
        signals
            .iter()
            .filter(|s| s.weight >= 0.01)
            .map(|s| format!("{} (+{:.2})", s.explanation, s.weight)),
    );
    out
}
