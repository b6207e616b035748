//! Periodic upkeep: deferred snapshots are published, old applied-reading marks
//! pruned.

use std::time::Duration;

use fleetsim::profile::DutyProfile;
use serde_json::{Value, json};

use crate::helpers::{ORG, received, simulate, spawn_with};

#[tokio::test]
async fn deferred_snapshots_are_flushed_and_old_marks_pruned() {
    let app = spawn_with(|c| {
        c.batch = 100;
        c.computed_every = Duration::from_secs(2);
        c.maintenance_every = Duration::from_millis(500);
    })
    .await;
    let readings = simulate(7, 0, DutyProfile::Regional, 12, 600, false);
    let vehicle = readings[0].vehicle_id.clone();
    let events: Vec<_> = readings.iter().map(|r| received(r, ORG)).collect();
    app.publish(&events).await;
    app.wait_caught_up().await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let newest = json!(readings.last().unwrap().recorded_at);
    loop {
        let pending: bool =
            sqlx::query_scalar("SELECT computed_pending FROM vehicles WHERE vehicle_id = $1")
                .bind(&vehicle)
                .fetch_one(&app.db)
                .await
                .unwrap();
        let computed = app.stream("vehicle.health.computed").await;
        let last: Option<&Value> = computed.last();
        let marks = health::db::applied::count(&app.db).await.unwrap();
        let published_newest = last.is_some_and(|e| e["payload"]["computed_at"] == newest);
        if !pending && published_newest && marks < readings.len() as i64 {
            // Marks within the late horizon of the newest reading are kept.
            let horizon = chrono::Duration::days(models::health::state::LATE_HORIZON_DAYS);
            let cutoff = readings.last().unwrap().recorded_at - horizon;
            let kept = readings.iter().filter(|r| r.recorded_at >= cutoff).count();
            assert_eq!(marks, kept as i64);
            let history = health::db::history::count(&app.db, &vehicle).await.unwrap();
            assert!(history > 0);
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "pending {pending}, last computed {last:?}, {marks} marks"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
