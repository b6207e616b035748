//! A vehicle that stops reporting for longer than its usual gaps raises a staleness
//! alert, resolved when it reports again; a silent feed raises nothing.

use std::time::Duration;

use chrono::{DateTime, Utc};
use shared_runtime::testing::app::wait_until;
use shared_schemas::events::{HealthBand, HealthComputed};

use crate::helpers::{ORG, envelope, spawn_with, wait_alert};

fn computed(vehicle_id: &str, at: DateTime<Utc>) -> shared_schemas::EventEnvelope<HealthComputed> {
    envelope(
        "health",
        HealthComputed {
            org_id: ORG.to_owned(),
            vehicle_id: vehicle_id.to_owned(),
            computed_at: at,
            components: Vec::new(),
            unknown: Vec::new(),
            overall_score: 0.9,
            overall_band: HealthBand::Excellent,
        },
    )
}

#[tokio::test]
async fn a_silent_vehicle_raises_a_staleness_alert_resolved_when_it_reports_again() {
    let app = spawn_with(|c| {
        c.stale_factor = 2.0;
        c.stale_min = Duration::from_secs(60);
        c.stale_min_samples = 3;
        c.stale_check = Duration::from_millis(300);
    })
    .await;
    app.chain().await;
    let now = Utc::now();
    let m = chrono::Duration::minutes;
    // VH-S1 reported every 5 minutes, then stopped 40 minutes ago (stale after 10).
    // VH-S2 reports every 5 minutes, up to now: fine. So is the feed.
    let mut events = Vec::new();
    for k in [60, 55, 50, 45, 40] {
        events.push(computed("VH-S1", now - m(k)));
    }
    for k in [15, 10, 5, 0] {
        events.push(computed("VH-S2", now - m(k)));
    }
    app.publish(&events).await;
    let mails = app
        .inbox
        .wait_for("email", 1, 20, |e| {
            e["headers"]["X-Fleet-Vehicle-Id"] == "VH-S1"
        })
        .await;
    assert!(
        mails[0]["subject"]
            .as_str()
            .unwrap()
            .contains("Vehicle not reporting"),
        "{:#}",
        mails[0]
    );
    let a = app.alert_of("VH-S1").await;
    assert_eq!(a["subject"], "staleness");
    assert_eq!(a["severity"], "warning");
    assert!(
        a["message"]
            .as_str()
            .unwrap()
            .contains("usually reports at least every 0.1 h"),
        "{a:#}"
    );
    let v: serde_json::Value = app
        .get_as("/v1/alerts?vehicle_id=VH-S2", &crate::helpers::admin())
        .await
        .json()
        .await
        .unwrap();
    assert!(v["alerts"].as_array().unwrap().is_empty());
    // It reports again: resolved automatically, and only one alert was raised.
    app.publish(&[computed("VH-S1", Utc::now())]).await;
    let id = a["alert_id"].as_str().unwrap();
    let a = wait_alert(&app, id, 15, |a| a["status"] == "resolved").await;
    assert_eq!(a["resolution"], "vehicle reporting again");
    assert!(a.get("resolved_by").is_none());
    let v: serde_json::Value = app
        .get_as("/v1/alerts?vehicle_id=VH-S1", &crate::helpers::admin())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["alerts"].as_array().unwrap().len(), 1);
    // Each check exports the stale-vehicle count and the feed's state (the values are
    // shared with the other tests of this process, so only their presence is checked).
    wait_until(Duration::from_secs(10), "the staleness gauges", || async {
        let metrics = app.metrics().await;
        (metrics.contains("alert_stale_vehicles ") && metrics.contains("alert_liveness_feed_down "))
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn when_nobody_reports_the_feed_is_down_and_no_vehicle_is_flagged() {
    let app = spawn_with(|c| {
        c.stale_min = Duration::from_secs(60);
        c.stale_min_samples = 2;
        c.stale_check = Duration::from_millis(200);
    })
    .await;
    app.chain().await;
    let old = Utc::now() - chrono::Duration::hours(3);
    app.publish(&[
        computed("VH-N1", old - chrono::Duration::minutes(10)),
        computed("VH-N1", old),
        computed("VH-N2", old - chrono::Duration::minutes(10)),
        computed("VH-N2", old),
    ])
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM vehicle_liveness")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(n, 2);
    let alerts: i64 = sqlx::query_scalar("SELECT count(*) FROM alerts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(alerts, 0);
}
