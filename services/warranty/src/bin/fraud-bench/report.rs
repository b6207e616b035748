//! Diagnostics: the claims the decision got wrong, and which patterns each feature sees.

use std::collections::BTreeMap;

use warranty::domain::fraud::features;
use warranty::domain::model::Recommendation;

use crate::generate::{self, Label};

/// Fraud approved, or a legitimate claim sent to a reviewer.
pub(crate) fn misjudged(label: Label, r: Recommendation) -> bool {
    match label {
        Label::Fraud => r == Recommendation::AutoApprove,
        Label::Legit => r != Recommendation::AutoApprove,
        Label::Negligent => false,
    }
}

/// One misjudged claim: its pattern, score, confidence, strongest features and record.
pub(crate) fn print_miss(c: &generate::Labelled, a: &warranty::domain::model::Assessment) {
    let mut top: Vec<_> = a.features.iter().filter(|(_, v)| **v > 0.0).collect();
    top.sort_by(|x, y| y.1.total_cmp(x.1));
    let top: Vec<String> = top
        .iter()
        .take(4)
        .map(|(n, v)| format!("{n}={v:.2}"))
        .collect();
    let alerts = c
        .record
        .alerts
        .iter()
        .filter(|x| x.component == Some(c.claim.component))
        .count();
    let last: Vec<String> = c
        .record
        .component_history
        .iter()
        .rev()
        .take(5)
        .map(|p| format!("{}:{:.2}", p.day.format("%m-%d"), p.score))
        .collect();
    println!(
        "     alerts={alerts} failure={} last={}",
        c.claim.failure_date,
        last.join(",")
    );
    println!(
        "miss {:<28} {:<12} score={:.3} confidence={:.2} {}",
        c.pattern,
        c.claim.component.as_str(),
        a.score,
        a.confidence,
        top.join(" ")
    );
}

/// Each feature's mean strength per pattern.
pub(crate) fn print_feature_table(
    claims: &[generate::Labelled],
    histories: &[warranty::domain::model::ClaimHistory],
) {
    let mut sums: BTreeMap<&str, (usize, [f64; features::N])> = BTreeMap::new();
    for (c, h) in claims.iter().zip(histories) {
        let found = features::extract(&c.claim, &c.eligibility, &c.record, h);
        let e = sums.entry(c.pattern).or_insert((0, [0.0; features::N]));
        e.0 += 1;
        for (s, f) in e.1.iter_mut().zip(&found) {
            *s += f.strength;
        }
    }
    print!("{:<28}", "pattern");
    for i in 0..features::N {
        print!(" {i:>5}");
    }
    println!();
    for (p, (n, s)) in &sums {
        print!("{p:<28}");
        for v in s {
            print!(" {:>5.2}", v / *n as f64);
        }
        println!();
    }
    for (i, name) in features::NAMES.iter().enumerate() {
        println!("  {i:>2} {name}");
    }
}
