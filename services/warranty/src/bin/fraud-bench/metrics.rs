//! The benchmark's figures: fraud sent to review or rejected (precision, recall),
//! legitimate claims auto-approved, and the decision time.

use warranty::domain::model::Recommendation;

use crate::generate::Label;

/// One decided claim.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outcome {
    pub(crate) label: Label,
    pub(crate) recommendation: Recommendation,
    pub(crate) micros: f64,
}

/// The summary figures. Negligent claims are neither fraud nor auto-approvable: they
/// are left out of precision, recall and the auto-approve rate and reported apart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Summary {
    pub(crate) claims: usize,
    pub(crate) precision: f64,
    pub(crate) recall: f64,
    pub(crate) auto_approve_rate: f64,
    pub(crate) negligent_reviewed: f64,
    pub p99_ms: f64,
}

/// Summarises `outcomes`.
pub(crate) fn summarise(outcomes: &[Outcome]) -> Summary {
    let flagged = |o: &&Outcome| o.recommendation != Recommendation::AutoApprove;
    let of = |l: Label| outcomes.iter().filter(move |o| o.label == l);
    let fraud = of(Label::Fraud).count();
    let caught = of(Label::Fraud).filter(flagged).count();
    let legit = of(Label::Legit).count();
    let false_flags = of(Label::Legit).filter(flagged).count();
    let negligent = of(Label::Negligent).count();
    let mut times: Vec<f64> = outcomes.iter().map(|o| o.micros).collect();
    times.sort_by(f64::total_cmp);
    let p99 = times
        .get(((times.len() as f64 * 0.99).ceil() as usize).saturating_sub(1))
        .copied()
        .unwrap_or(0.0);
    Summary {
        claims: outcomes.len(),
        precision: ratio(caught, caught + false_flags),
        recall: ratio(caught, fraud),
        auto_approve_rate: ratio(legit - false_flags, legit),
        negligent_reviewed: ratio(of(Label::Negligent).filter(flagged).count(), negligent),
        p99_ms: p99 / 1_000.0,
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(label: Label, r: Recommendation, micros: f64) -> Outcome {
        Outcome {
            label,
            recommendation: r,
            micros,
        }
    }

    #[test]
    fn figures_count_review_and_reject_as_flagged() {
        use Recommendation::*;
        let s = summarise(&[
            o(Label::Fraud, Review, 10.0),
            o(Label::Fraud, Reject, 20.0),
            o(Label::Fraud, AutoApprove, 30.0),
            o(Label::Legit, AutoApprove, 40.0),
            o(Label::Legit, Review, 50.0),
            o(Label::Negligent, Review, 60.0),
        ]);
        assert_eq!(s.claims, 6);
        assert!((s.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((s.recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((s.auto_approve_rate - 0.5).abs() < 1e-12);
        assert!((s.negligent_reviewed - 1.0).abs() < 1e-12);
        assert!((s.p99_ms - 0.06).abs() < 1e-12);
    }
}
