//! Backfill (readings recorded long before they arrive) goes to its own lane, and is
//! deferred with 429 and `Retry-After` while the backlog is too long; live readings are
//! still taken (ADR 0020).

use std::time::Duration;

use serde_json::{Value, json};
use shared_runtime::testing;

use crate::helpers::{TestApp, reading, spawn_app_with};

const HOUR: i64 = 3_600;

/// Entries of the backfill lane of `vehicle.telemetry.received`.
async fn backfill_lane(app: &TestApp) -> usize {
    let key = app.keys.backfill("vehicle.telemetry.received");
    testing::stream_entries(&mut app.redis.clone(), &key)
        .await
        .len()
}

#[tokio::test]
async fn old_readings_go_to_the_backfill_lane_and_are_deferred_past_the_limit() {
    // No `health` group reads this prefix: the whole backfill lane is its backlog.
    let app = spawn_app_with(|c| {
        c.backfill.max_backlog = 3;
        c.backfill.sample_every = Duration::from_millis(50);
        c.backfill.retry_after_s = 7;
    })
    .await;
    let flushed: Vec<Value> = (0..4)
        .map(|i| reading("VH-B", &format!("old-{i}"), 2 * HOUR + i))
        .collect();
    let first = app
        .post_device("/v1/telemetry/batch", &json!({ "readings": flushed }))
        .await;
    assert_eq!(first.status(), 200, "under the limit backfill is taken");
    assert_eq!(backfill_lane(&app).await, 4);
    assert!(
        app.stream("vehicle.telemetry.received").await.is_empty(),
        "backfill is not in the live stream"
    );

    // The next sample sees 4 > 3 waiting; until then backfill is still taken.
    let (mut refused, mut taken_meanwhile) = (None, 0);
    for i in 0..100 {
        let late = reading("VH-B", &format!("old-late-{i}"), 3 * HOUR);
        let more = app.post_device("/v1/telemetry", &late).await;
        if more.status() == 429 {
            refused = Some(more);
            break;
        }
        assert_eq!(more.status(), 202);
        taken_meanwhile += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let refused = refused.expect("backfill is refused once the backlog passes the limit");
    assert_eq!(refused.headers()["retry-after"], "7");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "backfill_deferred");

    let live = app
        .post_device("/v1/telemetry", &reading("VH-B", "live-1", 2))
        .await;
    assert_eq!(live.status(), 202, "live readings are still taken");

    let mixed = json!({ "readings": [
        reading("VH-B", "live-2", 1),
        reading("VH-B", "old-9", 5 * HOUR),
    ]});
    let mixed = app.post_device("/v1/telemetry/batch", &mixed).await;
    assert_eq!(mixed.status(), 200);
    assert_eq!(mixed.headers()["retry-after"], "7");
    let mixed: Value = mixed.json().await.unwrap();
    assert_eq!(
        (mixed["accepted"].as_u64(), mixed["deferred"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(mixed["results"][0]["status"], "accepted");
    assert_eq!(mixed["results"][1]["status"], "deferred");
    assert_eq!(mixed["results"][1]["reading_id"], "old-9");

    let all_old = json!({ "readings": [reading("VH-B", "old-10", 4 * HOUR)] });
    let all_old = app.post_device("/v1/telemetry/batch", &all_old).await;
    assert_eq!(
        all_old.status(),
        429,
        "a batch of backfill only is refused whole"
    );

    let backfilled = 4 + taken_meanwhile;
    assert_eq!(
        backfill_lane(&app).await,
        backfilled,
        "nothing deferred was appended"
    );
    assert_eq!(app.stream("vehicle.telemetry.received").await.len(), 2);
    // The audit trail reads both lanes.
    app.wait_audited(i64::try_from(backfilled).unwrap() + 2)
        .await;
}

#[tokio::test]
async fn telemetry_is_refused_while_a_group_is_close_to_losing_entries_to_the_trim() {
    let app = spawn_app_with(|c| {
        c.backfill.full_at = 3;
        c.backfill.sample_every = Duration::from_millis(50);
        c.backfill.retry_after_s = 9;
    })
    .await;
    let live = app.keys.stream("vehicle.telemetry.received");
    testing::create_group(&mut app.redis.clone(), &live, "laggard").await;
    for i in 0..4 {
        let r = app
            .post_device("/v1/telemetry", &reading("VH-F", &format!("r-{i}"), 1))
            .await;
        assert_eq!(r.status(), 202, "under the limit readings are taken");
    }
    // The next sample sees the laggard 4 > 3 behind: every reading is refused, live
    // ones too, and nothing reaches the stream.
    let mut refused = None;
    for i in 0..100 {
        let r = app
            .post_device("/v1/telemetry", &reading("VH-F", &format!("more-{i}"), 1))
            .await;
        if r.status() == 503 {
            refused = Some(r);
            break;
        }
        assert_eq!(r.status(), 202);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let refused = refused.expect("telemetry is refused once a group lags past full_at");
    assert_eq!(refused.headers()["retry-after"], "9");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "stream_full");
    let before = app.stream("vehicle.telemetry.received").await.len();
    let batch = json!({ "readings": [reading("VH-F", "batch-1", 1)] });
    let batch = app.post_device("/v1/telemetry/batch", &batch).await;
    assert_eq!(batch.status(), 503, "batches too");
    assert_eq!(app.stream("vehicle.telemetry.received").await.len(), before);

    // The laggard catches up: readings are taken again.
    let _: redis::Value = redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg("laggard")
        .arg("c")
        .arg("STREAMS")
        .arg(&live)
        .arg(">")
        .query_async(&mut app.redis.clone())
        .await
        .expect("XREADGROUP");
    let mut taken = false;
    for i in 0..100 {
        let r = app
            .post_device("/v1/telemetry", &reading("VH-F", &format!("again-{i}"), 1))
            .await;
        if r.status() == 202 {
            taken = true;
            break;
        }
        assert_eq!(r.status(), 503);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        taken,
        "telemetry is taken again once the group has caught up"
    );
}
