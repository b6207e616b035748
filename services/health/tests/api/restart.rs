//! A restarted service resumes from what it stored.

use fleetsim::profile::DutyProfile;
use shared_runtime::testing;
use shared_schemas::events::ComponentHealth;

use crate::helpers::{ORG, received, reference, simulate, spawn_config, spawn_with, test_config};

#[tokio::test]
async fn a_restarted_service_continues_from_its_stored_state() {
    let readings = simulate(5, 0, DutyProfile::LongHaul, 14, 300, true);
    let vehicle = readings[0].vehicle_id.clone();
    let events: Vec<_> = readings.iter().map(|r| received(r, ORG)).collect();
    let (first, second) = events.split_at(events.len() / 2);
    let database_url = testing::fresh_database("health").await;
    let prefix = testing::unique_prefix("health");

    let app = spawn_config(test_config(&database_url, &prefix)).await;
    app.publish(first).await;
    app.wait_caught_up().await;
    let halfway = app.stored(&vehicle).await;
    let (redis, keys) = (app.redis.clone(), app.keys.clone());
    app.stop().await;

    // Published while the service is down: the consumer group keeps them.
    testing::app::publish(&redis, &keys, second).await;

    let app = spawn_config(test_config(&database_url, &prefix)).await;
    app.wait_caught_up().await;
    let stored = app.stored(&vehicle).await;
    assert_ne!(stored, halfway, "the second half was applied");
    let expected = reference(&readings);
    let components: Vec<ComponentHealth> =
        serde_json::from_value(stored["components"].clone()).unwrap();
    assert_eq!(components, expected.components);
    assert_eq!(
        stored["overall_score"].as_f64(),
        Some(expected.overall_score)
    );
    assert_eq!(stored["daily_km"].as_f64(), expected.daily_km);
    assert_eq!(
        health::db::applied::count(&app.db).await.unwrap(),
        readings.len() as i64
    );
}

#[tokio::test]
async fn without_a_cache_every_batch_restores_from_postgres_and_days_stay_in_the_window() {
    // 35 days: the state's 28-day window moves, so old day rows must go.
    let readings = simulate(8, 0, DutyProfile::Regional, 35, 600, false);
    let vehicle = readings[0].vehicle_id.clone();
    let app = spawn_with(|c| {
        c.batch = 200;
        c.cache_vehicles = 0;
    })
    .await;
    let events: Vec<_> = readings.iter().map(|r| received(r, ORG)).collect();
    app.publish(&events).await;
    app.wait_caught_up().await;

    let stored = app.stored(&vehicle).await;
    let expected = reference(&readings);
    let components: Vec<ComponentHealth> =
        serde_json::from_value(stored["components"].clone()).unwrap();
    assert_eq!(components, expected.components);
    let (days, oldest): (i64, i64) =
        sqlx::query_as("SELECT count(*), min(day) FROM vehicle_days WHERE vehicle_id = $1")
            .bind(&vehicle)
            .fetch_one(&app.db)
            .await
            .unwrap();
    let newest_day = readings
        .last()
        .unwrap()
        .recorded_at
        .timestamp()
        .div_euclid(86_400);
    let window = models::health::state::WINDOW_DAYS;
    assert_eq!(oldest, newest_day - window + 1, "{days} day rows");
    assert!(days <= window, "{days} day rows");
}
