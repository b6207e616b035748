//! Exactly-once effects: order, redeliveries, re-sent readings, poison and late
//! readings.

use fleetsim::profile::DutyProfile;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde_json::Value;
use shared_runtime::bus::Publisher;
use shared_runtime::testing;
use shared_schemas::EventEnvelope;
use shared_schemas::events::{ComponentHealth, TelemetryReceived};
use shared_schemas::telemetry::TelemetryReading;
use uuid::Uuid;

use crate::helpers::{ORG, TestApp, received, reference, simulate, spawn_app, spawn_with};

/// Shuffles the readings of each UTC day. With `keep_runs`, an engine run (consecutive
/// readings with the engine on) moves as a block and keeps its internal order.
///
/// The engine's daily aggregates are order-free, except that a reading only counts for
/// the warm-engine indicators (coolant, transmission) once the earliest reading of its
/// run *seen so far* is old enough (`models/src/health/state.rs`, `running_for`): when
/// a run's first readings arrive after later ones, those later ones are left out. So
/// whole-day shuffles change cooling and transmission by design of the engine; runs
/// kept in order do not.
fn shuffled_within_days(
    readings: &[TelemetryReading],
    seed: u64,
    keep_runs: bool,
) -> Vec<TelemetryReading> {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    let day = |r: &TelemetryReading| r.recorded_at.timestamp().div_euclid(86_400);
    let running = |r: &TelemetryReading| r.signals.get("engine_rpm").is_some_and(|v| *v > 300.0);
    let mut out = Vec::with_capacity(readings.len());
    let mut i = 0;
    while i < readings.len() {
        let d = day(&readings[i]);
        let j = i + readings[i..].iter().take_while(|r| day(r) == d).count();
        let mut groups: Vec<Vec<TelemetryReading>> = Vec::new();
        let mut previous: Option<&TelemetryReading> = None;
        for r in &readings[i..j] {
            let same_run = keep_runs
                && running(r)
                && previous.is_some_and(|p| {
                    running(p) && (r.recorded_at - p.recorded_at).num_seconds() <= 900
                });
            match groups.last_mut() {
                Some(g) if same_run => g.push(r.clone()),
                _ => groups.push(vec![r.clone()]),
            }
            previous = Some(r);
        }
        groups.shuffle(&mut rng);
        out.extend(groups.into_iter().flatten());
        i = j;
    }
    out
}

/// Every event twice (same event id: what a redelivery or an outbox republish looks
/// like), and every fifth reading re-sent as a new event (new event id, same reading
/// id).
fn with_duplicates(readings: &[TelemetryReading]) -> Vec<EventEnvelope<TelemetryReceived>> {
    let mut events = Vec::new();
    for (i, r) in readings.iter().enumerate() {
        let e = received(r, ORG);
        events.push(e.clone());
        events.push(e);
        if i % 5 == 0 {
            events.push(received(r, ORG));
        }
    }
    events
}

fn assert_matches_reference(stored: &Value, readings: &[TelemetryReading]) {
    let expected = reference(readings);
    let components: Vec<ComponentHealth> =
        serde_json::from_value(stored["components"].clone()).unwrap();
    assert_eq!(components, expected.components, "stored: {stored}");
    assert_eq!(
        stored["overall_score"].as_f64(),
        Some(expected.overall_score)
    );
    assert_eq!(stored["overall_band"], expected.overall_band.as_str());
    assert_eq!(stored["daily_km"].as_f64(), expected.daily_km);
}

async fn applied(app: &TestApp) -> i64 {
    health::db::applied::count(&app.db).await.unwrap()
}

#[tokio::test]
async fn in_order_and_shuffled_with_duplicates_end_in_the_same_assessment() {
    let readings = simulate(2, 0, DutyProfile::Regional, 12, 300, true);
    let vehicle = readings[0].vehicle_id.clone();

    // In order, in several batches: what the engine makes of them in one go.
    let in_order = spawn_with(|c| c.batch = 100).await;
    let events: Vec<_> = readings.iter().map(|r| received(r, ORG)).collect();
    in_order.publish(&events).await;
    in_order.wait_caught_up().await;
    let a = in_order.stored(&vehicle).await;
    assert_eq!(applied(&in_order).await, readings.len() as i64);
    assert_matches_reference(&a, &readings);

    // Shuffled within days (engine runs kept in order), with redeliveries and re-sent
    // readings, in other batches.
    let messy = spawn_with(|c| c.batch = 64).await;
    let events = with_duplicates(&shuffled_within_days(&readings, 9, true));
    messy.publish(&events).await;
    messy.wait_caught_up().await;
    assert_eq!(applied(&messy).await, readings.len() as i64);
    let b = messy.stored(&vehicle).await;
    assert_eq!(a, b, "in order vs shuffled with duplicates");

    // Redelivering again changes nothing.
    messy.publish(&events[..200]).await;
    messy.wait_caught_up().await;
    assert_eq!(messy.stored(&vehicle).await, b);
}

#[tokio::test]
async fn fully_shuffled_days_with_duplicates_are_applied_exactly_once_each() {
    let readings = simulate(2, 0, DutyProfile::Regional, 12, 300, true);
    let vehicle = readings[0].vehicle_id.clone();
    let shuffled = shuffled_within_days(&readings, 9, false);
    let app = spawn_with(|c| c.batch = 64).await;
    app.publish(&with_duplicates(&shuffled)).await;
    app.wait_caught_up().await;
    assert_eq!(applied(&app).await, readings.len() as i64);
    // The engine's own answer for that arrival order, each reading applied once.
    assert_matches_reference(&app.stored(&vehicle).await, &shuffled);
}

#[tokio::test]
async fn an_undecodable_payload_is_dead_lettered_and_the_rest_applied() {
    let app = spawn_app().await;
    let readings = simulate(3, 0, DutyProfile::UrbanDelivery, 2, 600, false);
    let mut bad = serde_json::to_value(received(&readings[0], ORG)).unwrap();
    bad["payload"].as_object_mut().unwrap().remove("reading_id");
    bad["event_id"] = Value::String(Uuid::now_v7().to_string());
    let publisher = Publisher::new(app.redis.clone(), app.keys.clone(), 1_000);
    publisher
        .publish_raw(&[("vehicle.telemetry.received".to_owned(), bad.to_string())])
        .await
        .unwrap();
    let events: Vec<_> = readings.iter().map(|r| received(r, ORG)).collect();
    app.publish(&events).await;
    app.wait_caught_up().await;
    assert_eq!(applied(&app).await, readings.len() as i64);
    let dead = app.keys.dead_letter(health::events::GROUP);
    let entries = testing::stream_entries(&mut app.redis.clone(), &dead).await;
    assert_eq!(entries.len(), 1, "one dead letter");
    let error = &entries[0]["error"];
    assert!(error.contains("reading_id"), "{error}");
}

#[tokio::test]
async fn readings_past_the_late_horizon_are_ignored_not_failed() {
    let app = spawn_app().await;
    let readings = simulate(4, 0, DutyProfile::Regional, 12, 600, false);
    let vehicle = readings[0].vehicle_id.clone();
    // The last day first, then the first day: more than 7 days behind the newest.
    let newest_day = readings.last().unwrap().recorded_at.timestamp() / 86_400;
    let (recent, old): (Vec<_>, Vec<_>) = readings
        .iter()
        .cloned()
        .partition(|r| r.recorded_at.timestamp() / 86_400 >= newest_day);
    let early: Vec<_> = old
        .iter()
        .filter(|r| r.recorded_at.timestamp() / 86_400 < newest_day - 8)
        .cloned()
        .collect();
    assert!(!early.is_empty());
    let events: Vec<_> = recent.iter().map(|r| received(r, ORG)).collect();
    app.publish(&events).await;
    app.wait_caught_up().await;
    let before = app.stored(&vehicle).await;
    let late: Vec<_> = early.iter().map(|r| received(r, ORG)).collect();
    app.publish(&late).await;
    app.wait_caught_up().await;
    assert_eq!(
        app.stored(&vehicle).await,
        before,
        "late readings changed nothing"
    );
    assert_eq!(applied(&app).await, (recent.len() + early.len()) as i64);
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("health_readings_total{outcome=\"too_late\"}"),
        "{metrics}"
    );
}

#[tokio::test]
async fn an_event_postgres_refuses_is_isolated_and_its_batch_applied() {
    let app = spawn_app().await;
    let readings = simulate(3, 0, DutyProfile::UrbanDelivery, 2, 600, false);
    let mut events: Vec<_> = readings.iter().map(|r| received(r, ORG)).collect();
    // Decodes, but Postgres refuses text with a NUL character (SQLSTATE 22021).
    let mut poison = readings[3].clone();
    poison.reading_id = Some("bad\u{0}id".to_owned());
    let mut poison = received(&poison, ORG);
    poison.payload.reading_id = "bad\u{0}id".to_owned();
    events.insert(events.len() / 2, poison);
    app.publish(&events).await;

    // Every other event of the batch is applied; the poison stays pending (retried,
    // and dead-lettered after the consumer's attempts).
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while applied(&app).await < readings.len() as i64 {
        assert!(tokio::time::Instant::now() < deadline, "batch not applied");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mut conn = app.redis.clone();
    let lag = shared_runtime::consumer::lag(
        &mut conn,
        &app.keys,
        health::events::GROUP,
        &["vehicle.telemetry.received"],
    )
    .await
    .unwrap();
    assert_eq!((lag.lag, lag.pending), (Some(0), 1));
    assert_eq!(applied(&app).await, readings.len() as i64);
}
