//! The embedded index end to end (real Qdrant Edge in temporary directories): reworded
//! copies found first, unrelated claims scored low, org and VIN filters, persistence,
//! and the latency of 2,000 claims.

use std::time::Instant;

use super::testdata::{Corpus, Rng, claim, reword};
use super::{ClaimIndex, EdgeIndex};
use crate::domain::model::Claim;

/// Similarity a reworded copy (same shop and amounts) must reach; measured minimum 0.84
/// over 40 copies among 1,000 claims (docs/benchmarks.md, "Warranty claim index").
const REWORDED_MIN: f64 = 0.8;
/// Similarity an unrelated claim (other component, other shop) must stay under;
/// measured maximum 0.42 over the same probes against every claim of their org.
const UNRELATED_MAX: f64 = 0.5;

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"))
}

async fn filled(index: &EdgeIndex, claims: &[Claim]) {
    for c in claims {
        index
            .upsert(c)
            .await
            .unwrap_or_else(|e| panic!("upsert: {e}"));
    }
}

#[tokio::test]
async fn a_reworded_copy_is_the_top_neighbour_and_unrelated_claims_score_low() {
    let dir = temp();
    let index = EdgeIndex::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let corpus = Corpus::new(21, 1_000);
    filled(&index, &corpus.claims).await;
    index.optimize().await.unwrap_or_else(|e| panic!("{e}"));
    let (mut min_copy, mut max_unrelated) = (f64::MAX, f64::MIN);
    for (i, original) in corpus.claims.iter().step_by(25).enumerate() {
        let copy = reword(original, i as u64);
        // Every claim of the org (about a third of 1,000), to see the unrelated ones too.
        let found = index
            .similar(&copy, 1_000)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(found.len() > 250, "{} claims of the org", found.len());
        assert_eq!(found[0].claim_id, original.id, "copy {i}: {found:?}");
        min_copy = min_copy.min(found[0].similarity);
        for f in &found {
            let other = corpus.claims.iter().find(|c| c.id == f.claim_id);
            let other = other.unwrap_or_else(|| panic!("unknown id {}", f.claim_id));
            assert_eq!(other.org_id, copy.org_id);
            assert!((0.0..=1.0).contains(&f.similarity));
            if other.component != copy.component && other.shop.id != copy.shop.id {
                max_unrelated = max_unrelated.max(f.similarity);
            }
        }
    }
    eprintln!("reworded copies: min similarity {min_copy:.3}; unrelated: max {max_unrelated:.3}");
    assert!(max_unrelated > 0.0, "no unrelated claim was compared");
    assert!(min_copy > REWORDED_MIN, "a reworded copy at {min_copy}");
    assert!(
        max_unrelated < UNRELATED_MAX,
        "an unrelated claim at {max_unrelated}"
    );
}

#[tokio::test]
async fn another_orgs_claims_are_never_returned() {
    let dir = temp();
    let index = EdgeIndex::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let mut rng = Rng::new(9);
    let mine = claim(&mut rng, Some("org-a"));
    let mut theirs = reword(&mine, 1);
    theirs.org_id = "org-b".to_owned();
    let unrelated_mine = claim(&mut rng, Some("org-a"));
    filled(
        &index,
        &[mine.clone(), theirs.clone(), unrelated_mine.clone()],
    )
    .await;
    let found = index
        .similar(&mine, 10)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].claim_id, unrelated_mine.id);
    let found = index
        .similar(&theirs, 10)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test]
async fn the_claim_itself_and_its_vins_claims_are_excluded() {
    let dir = temp();
    let index = EdgeIndex::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let mut rng = Rng::new(10);
    let first = claim(&mut rng, Some("org-a"));
    let mut repeat = reword(&first, 2);
    repeat.vin.clone_from(&first.vin);
    let other_vehicle = reword(&first, 3);
    filled(&index, &[first.clone(), repeat, other_vehicle.clone()]).await;
    let found = index
        .similar(&first, 10)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<_> = found.iter().map(|f| f.claim_id).collect();
    assert_eq!(ids, vec![other_vehicle.id]);
    assert!(
        index
            .similar(&first, 0)
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn the_index_survives_a_restart() {
    let dir = temp();
    let corpus = Corpus::new(12, 300);
    let probe = reword(&corpus.claims[17], 5);
    let before = {
        let index = EdgeIndex::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        filled(&index, &corpus.claims[..200]).await;
        index.optimize().await.unwrap_or_else(|e| panic!("{e}"));
        filled(&index, &corpus.claims[200..]).await;
        index
            .similar(&probe, 5)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let started = Instant::now();
    let index = EdgeIndex::open(dir.path()).unwrap_or_else(|e| panic!("reopen: {e}"));
    eprintln!("reopened 300 claims in {:?}", started.elapsed());
    assert_eq!(index.len(), 300);
    let after = index
        .similar(&probe, 5)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(after, before);
    assert_eq!(after[0].claim_id, corpus.claims[17].id);
}

#[tokio::test]
async fn latency_of_2000_claims() {
    let dir = temp();
    let index = EdgeIndex::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let corpus = Corpus::new(13, 2_000);
    let started = Instant::now();
    filled(&index, &corpus.claims).await;
    let upsert = started.elapsed();
    let started = Instant::now();
    index.optimize().await.unwrap_or_else(|e| panic!("{e}"));
    let optimize = started.elapsed();
    let probes: Vec<Claim> = corpus
        .claims
        .iter()
        .step_by(10)
        .enumerate()
        .map(|(i, c)| reword(c, i as u64))
        .collect();
    let mut hits = 0;
    let started = Instant::now();
    for (p, original) in probes.iter().zip(corpus.claims.iter().step_by(10)) {
        let found = index.similar(p, 10).await.unwrap_or_else(|e| panic!("{e}"));
        hits += usize::from(found.first().is_some_and(|f| f.claim_id == original.id));
    }
    let search = started.elapsed();
    #[allow(clippy::cast_precision_loss)]
    let per = |d: std::time::Duration, n: usize| d.as_secs_f64() * 1e3 / n as f64;
    eprintln!(
        "2000 upserts: {upsert:?} ({:.3} ms each, incl. embedding + flush); optimize {optimize:?}; \
         {} searches: {:.3} ms each; reworded copy first {hits}/{}",
        per(upsert, 2_000),
        probes.len(),
        per(search, probes.len()),
        probes.len()
    );
    assert_eq!(index.len(), 2_000);
    assert!(
        hits * 100 >= probes.len() * 95,
        "top-1 recall {hits}/{}",
        probes.len()
    );
}
