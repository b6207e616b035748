//! The audit trail's bulk path: rows go in by `COPY` exactly as they came, and a batch
//! holding rows already stored (a redelivery) stores only the new ones.

use chrono::{DateTime, TimeZone, Utc};
use ingestion::db::readings::{AuditRow, store_batch};
use uuid::Uuid;

use crate::helpers::spawn_app;

fn row(reading_id: &str, raw: Option<&str>, normalized: &str) -> AuditRow {
    let at = |micros: i64| Utc.timestamp_micros(micros).single().unwrap();
    AuditRow {
        org_id: "acme".to_owned(),
        vehicle_id: "VH-\tA\\1".to_owned(),
        reading_id: reading_id.to_owned(),
        event_id: Uuid::now_v7(),
        protocol: "obd2".to_owned(),
        recorded_at: at(1_740_830_310_123_456),
        received_at: at(1_740_830_311_000_001),
        normalized: normalized.to_owned(),
        raw: raw.map(str::to_owned),
    }
}

type Stored = (
    String,
    String,
    Uuid,
    DateTime<Utc>,
    DateTime<Utc>,
    String,
    Option<String>,
);

#[tokio::test]
async fn rows_are_stored_as_they_came_and_a_redelivered_batch_only_adds_new_ones() {
    let app = spawn_app().await;
    let tricky = r#"{"note":"tab\there, quote \" and backslash \\ and é","v":1.5}"#;
    let first = vec![
        row("r-1", Some("41 0C 1A F8\r\n\t>\\"), tricky),
        row("r-2", None, r#"{"v":2}"#),
    ];
    assert_eq!(store_batch(&app.db, &first).await.unwrap(), 2);

    let stored: Vec<Stored> = sqlx::query_as(
        "SELECT vehicle_id, reading_id, event_id, recorded_at, received_at, normalized::text, raw
         FROM readings ORDER BY reading_id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    for (want, got) in first.iter().zip(&stored) {
        let want: Stored = (
            want.vehicle_id.clone(),
            want.reading_id.clone(),
            want.event_id,
            want.recorded_at,
            want.received_at,
            want.normalized.clone(),
            want.raw.clone(),
        );
        assert_eq!(&want, got);
    }

    // Redelivered with a new one: the stored row is skipped, not duplicated or failed.
    let again = vec![
        row("r-2", None, r#"{"v":2}"#),
        row("r-3", None, r#"{"v":3}"#),
    ];
    assert_eq!(store_batch(&app.db, &again).await.unwrap(), 1);
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT reading_id FROM readings ORDER BY reading_id")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(ids, ["r-1", "r-2", "r-3"]);
}
