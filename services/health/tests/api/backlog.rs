//! A live reading is assessed while a large backfill waits: the backfill lane is read
//! after the live stream, so a flushed buffer never blinds health to what happens now
//! (ADR 0020).

use std::time::Duration;

use chrono::Utc;
use redis::AsyncTypedCommands;
use shared_runtime::bus::Publisher;
use shared_runtime::consumer::stream_lag;
use shared_runtime::testing;
use shared_schemas::Event;
use shared_schemas::events::TelemetryReceived;

use crate::helpers::{ORG, TestApp, received, simulate, spawn_app};
use fleetsim::profile::DutyProfile;

/// Readings put on the backfill lane before the live one.
const BACKFILL: usize = 50_000;

/// Appends `BACKFILL` readings of 10 vehicles (one simulated week each, copied) to the
/// backfill lane, pipelined.
async fn queue_backfill(app: &TestApp) {
    let week = simulate(7, 0, DutyProfile::LongHaul, 7, 30, false);
    let per_vehicle = BACKFILL / 10;
    assert!(
        week.len() >= per_vehicle,
        "{} simulated readings",
        week.len()
    );
    let publisher = Publisher::new(app.redis.clone(), app.keys.clone(), 1_000_000);
    let lane = app.keys.backfill(TelemetryReceived::TYPE);
    for v in 0..10 {
        for chunk in week[..per_vehicle].chunks(2_500) {
            let mut pipe = redis::pipe();
            for r in chunk {
                let mut r = r.clone();
                r.vehicle_id = format!("VH-OLD-{v}");
                let json = serde_json::to_string(&received(&r, ORG)).unwrap();
                pipe.add_command(publisher.xadd_cmd(&lane, &json)).ignore();
            }
            pipe.query_async::<()>(&mut app.redis.clone())
                .await
                .unwrap();
        }
    }
}

/// When the vehicle's newest reading was assessed, once it was.
async fn assessed(app: &TestApp, vehicle_id: &str) -> Option<chrono::DateTime<Utc>> {
    sqlx::query_scalar("SELECT newest_at FROM vehicles WHERE vehicle_id = $1")
        .bind(vehicle_id)
        .fetch_optional(&app.db)
        .await
        .unwrap()
        .flatten()
}

/// Readings of the backfill lane not yet delivered to health.
async fn backfill_waiting(app: &TestApp) -> u64 {
    let lane = app.keys.backfill(TelemetryReceived::TYPE);
    let lag = stream_lag(
        &mut app.redis.clone(),
        lane,
        TelemetryReceived::TYPE,
        "health",
    )
    .await
    .unwrap();
    lag.lag.unwrap()
}

#[tokio::test]
async fn a_live_reading_is_assessed_while_a_large_backfill_is_queued() {
    let app = spawn_app().await;
    queue_backfill(&app).await;
    assert!(
        backfill_waiting(&app).await > 40_000,
        "the backfill is queued"
    );

    let mut live = simulate(8, 1, DutyProfile::LongHaul, 1, 60, false)
        .pop()
        .unwrap();
    live.vehicle_id = "VH-LIVE".to_owned();
    live.recorded_at = Utc::now();
    app.publish(&[received(&live, ORG)]).await;

    let within = Duration::from_secs(30);
    let newest = testing::app::wait_until(within, "the live reading assessed", || {
        assessed(&app, "VH-LIVE")
    })
    .await;
    let still_waiting = backfill_waiting(&app).await;
    assert!(
        still_waiting > 10_000,
        "assessed while the backfill was still queued ({still_waiting} waiting): {newest}"
    );
    // The backfill is folded too, not dropped: a vehicle of it has been assessed by now.
    let old = app.stored("VH-OLD-0").await;
    assert!(
        !old["newest_at"].is_null(),
        "backfill is being folded: {old}"
    );
    app.redis
        .clone()
        .del(app.keys.backfill(TelemetryReceived::TYPE))
        .await
        .unwrap();
}
