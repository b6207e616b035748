//! `readings` table: the audit trail, and the history queries over it.

use chrono::format::{Fixed, Item, Numeric, Pad};
use chrono::{DateTime, Utc};
use shared_runtime::pg_copy::{self, CopyRows};
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

/// One reading to audit.
#[derive(Debug, Clone)]
pub struct AuditRow {
    /// Organization.
    pub org_id: String,
    /// Vehicle.
    pub vehicle_id: String,
    /// Idempotency key.
    pub reading_id: String,
    /// Id of the `vehicle.telemetry.received` event.
    pub event_id: Uuid,
    /// Protocol it arrived in.
    pub protocol: String,
    /// Recorded on the vehicle.
    pub recorded_at: DateTime<Utc>,
    /// Accepted by ingestion.
    pub received_at: DateTime<Utc>,
    /// Normalized reading JSON.
    pub normalized: String,
    /// Raw input, for adapter protocols.
    pub raw: Option<String>,
}

/// Stores a batch; rows already audited (same vehicle and reading id) are skipped, so a
/// redelivered batch is harmless. Returns rows stored.
///
/// The batch goes in with `COPY`, which skips the statement's parsing and planning (most
/// of the remaining cost per row is the table's indexes: docs/benchmarks.md); a batch
/// holding a row already stored, which `COPY` cannot skip, is stored again with
/// `INSERT … ON CONFLICT DO NOTHING`.
pub async fn store_batch(pool: &PgPool, rows: &[AuditRow]) -> Result<u64, sqlx::Error> {
    if rows.is_empty() {
        return Ok(0);
    }
    match copy_batch(pool, rows).await {
        Err(e) if pg_copy::is_unique_violation(&e) => insert_batch(pool, rows).await,
        stored => stored,
    }
}

/// Times as `COPY` reads them back exactly (RFC 3339, microseconds, UTC), as items: a
/// format string would be parsed again for every row.
const COPY_TIME: &[Item<'static>] = &[
    Item::Numeric(Numeric::Year, Pad::Zero),
    Item::Literal("-"),
    Item::Numeric(Numeric::Month, Pad::Zero),
    Item::Literal("-"),
    Item::Numeric(Numeric::Day, Pad::Zero),
    Item::Literal("T"),
    Item::Numeric(Numeric::Hour, Pad::Zero),
    Item::Literal(":"),
    Item::Numeric(Numeric::Minute, Pad::Zero),
    Item::Literal(":"),
    Item::Numeric(Numeric::Second, Pad::Zero),
    Item::Fixed(Fixed::Nanosecond6),
    Item::Literal("Z"),
];

async fn copy_batch(pool: &PgPool, rows: &[AuditRow]) -> Result<u64, sqlx::Error> {
    let bytes: usize = rows
        .iter()
        .map(|r| 160 + r.normalized.len() + r.raw.as_ref().map_or(0, String::len))
        .sum();
    let mut data = CopyRows::with_capacity(bytes);
    for r in rows {
        data.text(&r.org_id)
            .text(&r.vehicle_id)
            .text(&r.reading_id)
            .plain(r.event_id)
            .text(&r.protocol)
            .plain(r.recorded_at.format_with_items(COPY_TIME.iter()))
            .plain(r.received_at.format_with_items(COPY_TIME.iter()))
            .text(&r.normalized)
            .text_or_null(r.raw.as_deref());
        data.end_row();
    }
    pg_copy::copy_in(
        pool,
        "COPY readings (org_id, vehicle_id, reading_id, event_id, protocol, recorded_at,
                        received_at, normalized, raw) FROM STDIN",
        &data,
    )
    .await
}

/// Inserts a batch in one statement; rows already audited (same vehicle and reading
/// id) are skipped. Returns rows inserted.
async fn insert_batch(pool: &PgPool, rows: &[AuditRow]) -> Result<u64, sqlx::Error> {
    if rows.is_empty() {
        return Ok(0);
    }
    let n = rows.len();
    let mut org = Vec::with_capacity(n);
    let mut vehicle = Vec::with_capacity(n);
    let mut reading = Vec::with_capacity(n);
    let mut event = Vec::with_capacity(n);
    let mut protocol = Vec::with_capacity(n);
    let mut recorded = Vec::with_capacity(n);
    let mut received = Vec::with_capacity(n);
    let mut normalized = Vec::with_capacity(n);
    let mut raw = Vec::with_capacity(n);
    for r in rows {
        org.push(r.org_id.as_str());
        vehicle.push(r.vehicle_id.as_str());
        reading.push(r.reading_id.as_str());
        event.push(r.event_id);
        protocol.push(r.protocol.as_str());
        recorded.push(r.recorded_at);
        received.push(r.received_at);
        normalized.push(r.normalized.as_str());
        raw.push(r.raw.as_deref());
    }
    let done = sqlx::query(
        "INSERT INTO readings
           (org_id, vehicle_id, reading_id, event_id, protocol, recorded_at, received_at, normalized, raw)
         SELECT o, v, r, e, p, rec, rcv, n::json, raw
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::uuid[], $5::text[],
                     $6::timestamptz[], $7::timestamptz[], $8::text[], $9::text[])
              AS t(o, v, r, e, p, rec, rcv, n, raw)
         ON CONFLICT (vehicle_id, reading_id) DO NOTHING",
    )
    .bind(&org)
    .bind(&vehicle)
    .bind(&reading)
    .bind(&event)
    .bind(&protocol)
    .bind(&recorded)
    .bind(&received)
    .bind(&normalized)
    .bind(&raw)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// An audited reading as the history API returns it.
#[derive(Debug, Clone, FromRow)]
pub struct StoredReading {
    /// Row id (paging cursor tiebreak).
    pub id: i64,
    /// Organization.
    pub org_id: String,
    /// Protocol.
    pub protocol: String,
    /// Accepted at.
    pub received_at: DateTime<Utc>,
    /// Recorded at (paging cursor).
    pub recorded_at: DateTime<Utc>,
    /// Normalized reading.
    pub normalized: sqlx::types::Json<serde_json::Value>,
}

/// The newest reading of a vehicle.
pub async fn latest(
    pool: &PgPool,
    vehicle_id: &str,
    org: Option<&str>,
) -> Result<Option<StoredReading>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, org_id, protocol, received_at, recorded_at, normalized FROM readings
         WHERE vehicle_id = $1 AND ($2::text IS NULL OR org_id = $2)
         ORDER BY recorded_at DESC, id DESC LIMIT 1",
    )
    .bind(vehicle_id)
    .bind(org)
    .fetch_optional(pool)
    .await
}

/// A page of a vehicle's history in `[from, to)` sent under `org`'s keys (`None` =
/// any), oldest first, after `cursor` (`(recorded_at, id)` of the last row of the
/// previous page).
pub async fn history(
    pool: &PgPool,
    vehicle_id: &str,
    org: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    cursor: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> Result<Vec<StoredReading>, sqlx::Error> {
    let (after_at, after_id) = cursor.unwrap_or((from, 0));
    sqlx::query_as(
        "SELECT id, org_id, protocol, received_at, recorded_at, normalized FROM readings
         WHERE vehicle_id = $1 AND recorded_at >= $2 AND recorded_at < $3
           AND (recorded_at, id) > ($4, $5)
           AND ($7::text IS NULL OR org_id = $7)
         ORDER BY recorded_at, id LIMIT $6",
    )
    .bind(vehicle_id)
    .bind(from)
    .bind(to)
    .bind(after_at)
    .bind(after_id)
    .bind(limit)
    .bind(org)
    .fetch_all(pool)
    .await
}

/// One UTC day of a vehicle's readings: how many, the day's last odometer and the km
/// driven since the last odometer of an earlier day (within a week).
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct DayRow {
    /// The day.
    pub day: chrono::NaiveDate,
    /// Readings that day.
    pub readings: i64,
    /// The day's last odometer, km.
    pub odometer_km: Option<f64>,
    /// Km since the previous day's last odometer.
    pub distance_km: Option<f64>,
}

/// The days of `[from, to)` with readings of the vehicle sent under `org`'s keys
/// (`None` = any), oldest first. A day's distance starts from the last odometer of the
/// nearest earlier day with one, looked up to a week before `from`.
pub async fn daily(
    pool: &PgPool,
    vehicle_id: &str,
    org: Option<&str>,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<Vec<DayRow>, sqlx::Error> {
    sqlx::query_as(
        "WITH days AS (
             SELECT (recorded_at AT TIME ZONE 'UTC')::date AS day, count(*) AS readings,
                    (array_agg((normalized->>'odometer_km')::float8 ORDER BY recorded_at DESC)
                        FILTER (WHERE json_typeof(normalized->'odometer_km') = 'number'))[1]
                        AS odometer_km
             FROM readings
             WHERE vehicle_id = $1 AND ($2::text IS NULL OR org_id = $2)
               AND recorded_at >= ($3::date - 7)::timestamp AT TIME ZONE 'UTC'
               AND recorded_at < $4::timestamp AT TIME ZONE 'UTC'
             GROUP BY 1),
         spans AS (
             SELECT day, readings, odometer_km,
                    odometer_km - lag(odometer_km) OVER (
                        ORDER BY day) AS distance_km
             FROM days WHERE odometer_km IS NOT NULL
             UNION ALL
             SELECT day, readings, NULL, NULL FROM days WHERE odometer_km IS NULL)
         SELECT day, readings, odometer_km, distance_km FROM spans
         WHERE day >= $3 ORDER BY day",
    )
    .bind(vehicle_id)
    .bind(org)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}

/// How many readings are audited (tests and the lag report).
pub async fn count(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM readings")
        .fetch_one(pool)
        .await
}
