//! Fitting the score's weights on a training seed, and choosing the training setting
//! (the loss weight of legitimate claims) on a separate tuning seed.

use warranty::domain::fraud::score::{self, TrainConfig, Weights};
use warranty::domain::fraud::{assess_with, features, strengths};
use warranty::domain::model::ClaimHistory;

use crate::generate::{Label, Labelled};
use crate::metrics::{self, Outcome};

/// The weights fitted to `claims` (negligent ones left out: neither fraud nor
/// auto-approvable) with legitimate claims weighted `legit_weight` in the loss.
pub(crate) fn fit(claims: &[Labelled], histories: &[ClaimHistory], legit_weight: f64) -> Weights {
    let samples: Vec<_> = claims
        .iter()
        .zip(histories)
        .filter(|(c, _)| c.label != Label::Negligent)
        .map(|(c, h)| {
            let found = features::extract(&c.claim, &c.eligibility, &c.record, h);
            (strengths(&found), c.label == Label::Fraud)
        })
        .collect();
    let cfg = TrainConfig {
        legit_weight,
        ..TrainConfig::default()
    };
    score::train(&samples, cfg)
}

/// Fits on `train` with each legit weight and prints the figures on `tune`.
pub(crate) fn sweep(
    train: (&[Labelled], &[ClaimHistory]),
    tune: (&[Labelled], &[ClaimHistory]),
    legit_weights: &[f64],
) {
    for lw in legit_weights {
        let w = fit(train.0, train.1, *lw);
        let outcomes: Vec<Outcome> = tune
            .0
            .iter()
            .zip(tune.1)
            .map(|(c, h)| Outcome {
                label: c.label,
                recommendation: assess_with(&w, &c.claim, &c.eligibility, &c.record, h)
                    .recommendation,
                micros: 0.0,
            })
            .collect();
        let s = metrics::summarise(&outcomes);
        println!(
            "legit_weight={lw} precision={:.3} recall={:.3} auto_approve_rate={:.3}",
            s.precision, s.recall, s.auto_approve_rate
        );
    }
}
