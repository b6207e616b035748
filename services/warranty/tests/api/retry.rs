//! The retry sweeper: a claim whose decision fails is decided later; one failing every
//! time, or whose attempts ran out in crashes, goes to a reviewer with the reason; a
//! claim left undecided is decided once however many replicas sweep.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use serde_json::Value;
use shared_runtime::testing::app::{TestService, wait_until};
use uuid::Uuid;
use warranty::domain::model::{Assessment, Claim, Eligibility};
use warranty::pipeline::claims::Decide;

use crate::claims::{ApproveCovered, claim_json, manager, owner, with_contract};
use crate::helpers::{get_json, moves, replica, spawn_deciding};

/// Short enough for a test to see several sweeps.
const PERIOD: Duration = Duration::from_millis(300);

/// An analysis that fails while its dependency is down (`down`, or the first
/// `failures` calls), else approves covered claims; counts calls and decisions.
#[derive(Debug, Default)]
struct Flaky {
    down: AtomicBool,
    failures: AtomicUsize,
    calls: AtomicUsize,
    decided: Mutex<HashMap<Uuid, usize>>,
}

impl Flaky {
    fn failing_first(n: usize) -> Arc<Self> {
        let f = Self::default();
        f.failures.store(n, Ordering::SeqCst);
        Arc::new(f)
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Decide for Flaky {
    async fn decide(&self, claim: &Claim, e: &Eligibility) -> anyhow::Result<Assessment> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let failing = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing || self.down.load(Ordering::SeqCst) {
            anyhow::bail!("health service unavailable (503)");
        }
        // Wide enough for another replica to race for the same claim.
        tokio::time::sleep(Duration::from_millis(50)).await;
        *self.decided.lock().unwrap().entry(claim.id).or_default() += 1;
        ApproveCovered.decide(claim, e).await
    }
}

async fn file(app: &TestService) -> String {
    let r = app
        .post_as("/v1/claims", &owner(), &claim_json("cooling", 20_000.0))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let c: Value = r.json().await.unwrap();
    c["id"].as_str().unwrap().to_owned()
}

async fn claim(app: &TestService, id: &str) -> Value {
    get_json(app, &format!("/v1/claims/{id}"), &owner()).await
}

/// Waits until claim `id` is `status`, and returns it.
async fn wait_status(app: &TestService, id: &str, status: &str) -> Value {
    wait_until(Duration::from_secs(15), status, || async {
        let c = claim(app, id).await;
        (c["status"] == status).then_some(c)
    })
    .await
}

fn last_note(c: &Value) -> String {
    c["transitions"].as_array().unwrap().last().unwrap()["note"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_claim_whose_first_analysis_fails_is_decided_by_the_sweeper() {
    let decide = Flaky::failing_first(1);
    let (app, _) = spawn_deciding(decide.clone(), |c| c.retry_after = PERIOD).await;
    with_contract(&app, 365).await;
    let r = app
        .post_as("/v1/claims", &owner(), &claim_json("cooling", 20_000.0))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "filed though undecided");
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["status"], "validating", "{c}");
    assert!(c["assessment"].is_null());
    let id = c["id"].as_str().unwrap();

    let c = wait_status(&app, id, "approved").await;
    assert_eq!(decide.calls(), 2, "one failed attempt, one decision");
    assert_eq!(moves(&c), ["submitted", "validating", "approved"]);
    assert_eq!(c["decided_by"], "system");
    assert_eq!(c["approved_amount"], 400.0);
    let events = app.wait_stream("warranty.claim.validated", 1).await;
    assert_eq!(events[0]["payload"]["claim_id"], id);
    assert_eq!(events[0]["payload"]["auto_approved"], true);
}

#[tokio::test]
async fn a_claim_failing_every_attempt_goes_to_a_reviewer_with_the_reason() {
    let decide = Flaky::failing_first(usize::MAX);
    let (app, _) = spawn_deciding(decide.clone(), |c| {
        c.retry_after = PERIOD;
        c.retry_max_attempts = 3;
    })
    .await;
    with_contract(&app, 365).await;
    let id = file(&app).await;
    let c = wait_status(&app, &id, "needs_review").await;
    let reason = c["assessment"]["reasons"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        reason.contains("the analysis failed 3 times")
            && reason.contains("health service unavailable (503)"),
        "{reason}"
    );
    assert!(last_note(&c).contains(&reason), "{}", last_note(&c));
    assert_eq!(
        c["eligibility"]["eligible"], true,
        "the coverage check stands"
    );
    assert_eq!(moves(&c), ["submitted", "validating", "needs_review"]);
    tokio::time::sleep(PERIOD * 3).await;
    assert_eq!(decide.calls(), 3, "no attempt after the last one");
    let queue = get_json(&app, "/v1/reviews", &manager()).await;
    assert_eq!(queue[0]["id"], id.as_str());
}

#[tokio::test]
async fn a_claim_whose_attempts_ran_out_in_crashes_goes_to_a_reviewer() {
    let decide = Flaky::failing_first(0);
    let (app, _) = spawn_deciding(decide.clone(), |c| {
        c.retry_after = PERIOD;
        c.retry_max_attempts = 2;
    })
    .await;
    with_contract(&app, 365).await;
    // Each attempt so far stopped with the service, before it could say why.
    decide.down.store(true, Ordering::SeqCst);
    let id = file(&app).await;
    sqlx::query(
        "UPDATE claims SET attempts = 2, last_error = NULL, \
         updated_at = now() - interval '1 hour' WHERE id = $1::uuid",
    )
    .bind(&id)
    .execute(&app.db)
    .await
    .unwrap();
    let c = wait_status(&app, &id, "needs_review").await;
    let note = last_note(&c);
    assert!(
        note.contains("no decision after 2 attempts")
            && note.contains("the service stopped mid-decision"),
        "{note}"
    );
    assert_eq!(
        decide.calls(),
        1,
        "the used-up claim was not analysed again"
    );
}

#[tokio::test]
async fn claims_left_undecided_are_decided_once_across_two_replicas() {
    let decide = Arc::new(Flaky::default());
    let (a, config) = spawn_deciding(decide.clone(), |c| {
        c.retry_after = PERIOD;
        c.retry_max_attempts = 50;
    })
    .await;
    with_contract(&a, 365).await;
    decide.down.store(true, Ordering::SeqCst);
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(file(&a).await);
    }
    // Half were filed by a replica that stopped before their decision started.
    sqlx::query(
        "DELETE FROM claim_transitions WHERE claim_id = ANY($1::uuid[]) \
         AND to_status <> 'submitted'",
    )
    .bind(&ids[..6])
    .execute(&a.db)
    .await
    .unwrap();
    sqlx::query("UPDATE claims SET status = 'submitted', attempts = 0 WHERE id = ANY($1::uuid[])")
        .bind(&ids[..6])
        .execute(&a.db)
        .await
        .unwrap();
    let b = replica(config, decide.clone()).await;
    decide.down.store(false, Ordering::SeqCst);
    for id in &ids {
        wait_status(&b, id, "approved").await;
    }
    tokio::time::sleep(PERIOD * 2).await;
    let decided = decide.decided.lock().unwrap().clone();
    assert_eq!(decided.len(), 12);
    assert!(decided.values().all(|&n| n == 1), "{decided:?}");
    let c = claim(&a, &ids[0]).await;
    assert_eq!(moves(&c), ["submitted", "validating", "approved"]);
    assert_eq!(
        c["transitions"][1]["note"],
        "picked up again: its decision had not started"
    );
    let events = b.wait_stream("warranty.claim.validated", 12).await;
    assert_eq!(events.len(), 12, "one approval each");
}
