//! The live feed's reader shows every alert event, whichever of the four streams it
//! lands on: a stream's first event, appended while the reader is busy with another
//! stream's events, must not be skipped (it was, while every read asked for entries
//! newer than `$`).

use std::time::Duration;

use alert::events::feed::{FEED_TYPES, Feed};
use serde_json::json;
use shared_runtime::bus::{FIELD_EVENT, Keys};
use shared_runtime::redis_conn::{RedisConn, RedisTarget};
use shared_runtime::testing;
use tokio_util::sync::CancellationToken;

async fn add(conn: &mut RedisConn, keys: &Keys, event_type: &str, n: usize) {
    let mut pipe = redis::pipe();
    for i in 0..n {
        let envelope = json!({
            "event_id": uuid::Uuid::now_v7(), "event_type": event_type,
            "vehicle_id": format!("VH-{i}"), "payload": { "org_id": "acme" }
        });
        pipe.xadd(
            keys.stream(event_type),
            "*",
            &[(FIELD_EVENT, envelope.to_string())],
        )
        .ignore();
    }
    let () = pipe.query_async(conn).await.unwrap();
}

#[tokio::test]
async fn a_streams_first_event_is_shown_even_while_another_streams_are_read() {
    let redis = RedisTarget::open(&testing::redis_url(), false).unwrap();
    let mut conn = redis.shared().await.unwrap();
    let mut missed = 0;
    for _ in 0..10 {
        let keys = Keys::new(testing::unique_prefix("feed"));
        let feed = Feed::new();
        let (mut rx, _) = feed.subscribe(None);
        let shutdown = CancellationToken::new();
        let reader = tokio::spawn(
            feed.clone()
                .run(redis.clone(), keys.clone(), shutdown.clone()),
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        // A full read of one stream, then the other streams' first events while the
        // reader is still handling it.
        add(&mut conn, &keys, FEED_TYPES[0], 256).await;
        for event_type in &FEED_TYPES[1..] {
            add(&mut conn, &keys, event_type, 1).await;
        }
        let mut shown = 0;
        while let Ok(Ok(_)) = tokio::time::timeout(Duration::from_secs(3), rx.recv()).await {
            shown += 1;
            if shown == 256 + 3 {
                break;
            }
        }
        missed += 256 + 3 - shown;
        shutdown.cancel();
        let _ = reader.await;
    }
    assert_eq!(missed, 0, "events never shown over 10 rounds");
}
