//! The analysis in the pack: each fraud signal with its value, weight and explanation,
//! the similar past claims and how they ended, and the decision with its reasons.

use super::EvidencePack;
use super::canvas::{BLACK, BODY, Canvas, GREY};
use super::sections::{recommendation, when, wire};

/// Score, confidence and every signal.
pub(super) fn fraud(c: &mut Canvas, p: &EvidencePack) {
    c.heading("Fraud analysis");
    let a = &p.assessment;
    c.pairs(&[
        ("Fraud score", format!("{:.2}", a.score)),
        ("Confidence", format!("{:.2}", a.confidence)),
        (
            "Recommendation",
            recommendation(a.recommendation).to_owned(),
        ),
        ("Signals", a.signals.len().to_string()),
    ]);
    c.y -= 4.0;
    if a.signals.is_empty() {
        c.paragraph("No fraud signals found.", BODY, GREY);
        return;
    }
    let rows: Vec<Vec<String>> = a
        .signals
        .iter()
        .map(|s| {
            vec![
                format!("{} ({})", s.name, wire(&s.kind)),
                format!("{:.3}", s.value),
                format!("{:.2}", s.weight),
                s.explanation.clone(),
            ]
        })
        .collect();
    c.table(
        &[
            ("Signal", 1.9),
            ("Value", 0.6),
            ("Weight", 0.55),
            ("Explanation", 3.4),
        ],
        &rows,
    );
}

/// Near neighbours from the vector index.
pub(super) fn similar(c: &mut Canvas, p: &EvidencePack) {
    c.heading("Similar past claims");
    if p.similar.is_empty() {
        c.paragraph("No similar claims in the index.", BODY, GREY);
        return;
    }
    let rows: Vec<Vec<String>> = p
        .similar
        .iter()
        .map(|s| {
            let what = s.claim.as_ref().map_or_else(
                || "no longer on record".to_owned(),
                |k| {
                    format!(
                        "{} {} on {}, {}",
                        k.vehicle_id,
                        k.component.as_str(),
                        k.failure_date,
                        k.shop.name
                    )
                },
            );
            let mut outcome = s.outcome.clone().unwrap_or_else(|| "undecided".to_owned());
            if s.fraud_confirmed {
                outcome.push_str(", fraud confirmed");
            }
            vec![
                s.hit.claim_id.to_string(),
                format!("{:.0} %", s.hit.similarity * 100.0),
                what,
                outcome,
            ]
        })
        .collect();
    c.table(
        &[
            ("Claim", 2.1),
            ("Similarity", 0.75),
            ("Vehicle, component, shop", 2.4),
            ("Outcome", 1.3),
        ],
        &rows,
    );
}

/// Who decided what, the note, and the analysis's reasons.
pub(super) fn decision(c: &mut Canvas, p: &EvidencePack) {
    c.heading("Decision");
    let rec = recommendation(p.assessment.recommendation);
    match &p.decision {
        Some(d) => {
            c.pairs(&[
                ("Outcome", d.outcome.clone()),
                (
                    "Decided by",
                    d.by.clone().unwrap_or_else(|| "automatically".to_owned()),
                ),
                ("At", format!("{} UTC", when(d.at))),
                ("Recommendation was", rec.to_owned()),
            ]);
            if let Some(note) = d.note.as_deref().filter(|n| !n.trim().is_empty()) {
                c.y -= 2.0;
                c.paragraph(&format!("Reviewer's note: {note}"), BODY, BLACK);
            }
        }
        None => c.paragraph(
            &format!("Not decided yet; the analysis recommends {rec}."),
            BODY,
            BLACK,
        ),
    }
    c.y -= 4.0;
    if p.assessment.reasons.is_empty() {
        c.paragraph("The analysis gave no reasons.", BODY, GREY);
    } else {
        c.paragraph("Reasons", 9.5, BLACK);
        c.bullets(&p.assessment.reasons);
    }
}
