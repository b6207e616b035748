//! `counter_anomalies`: odometer and engine-hours anomalies as announced, with their
//! evidence.

use chrono::{DateTime, Utc};
use serde::Serialize;
use shared_schemas::events::{Counter, CounterAnomalyKind, OdometerAnomaly};
use sqlx::{FromRow, PgConnection, PgPool};
use utoipa::ToSchema;

/// Records announced anomalies (a repeated one is left as it is).
pub async fn insert(conn: &mut PgConnection, rows: &[&OdometerAnomaly]) -> Result<(), sqlx::Error> {
    for a in rows {
        sqlx::query(
            "INSERT INTO counter_anomalies (vehicle_id, org_id, counter, kind, before_at,
                 before_value, after_at, after_value, max_plausible, confirmed_by, detail,
                 detected_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (vehicle_id, counter, after_at, kind) DO NOTHING",
        )
        .bind(&a.vehicle_id)
        .bind(&a.org_id)
        .bind(a.counter.as_str())
        .bind(kind_str(a.kind))
        .bind(a.before.at)
        .bind(a.before.value)
        .bind(a.after.at)
        .bind(a.after.value)
        .bind(a.max_plausible)
        .bind(i32::try_from(a.confirmed_by).unwrap_or(i32::MAX))
        .bind(&a.detail)
        .bind(a.detected_at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn kind_str(k: CounterAnomalyKind) -> &'static str {
    match k {
        CounterAnomalyKind::Reset => "reset",
        CounterAnomalyKind::Rollback => "rollback",
        CounterAnomalyKind::UnitSwitch => "unit_switch",
        CounterAnomalyKind::Jump => "jump",
        CounterAnomalyKind::Spike => "spike",
        CounterAnomalyKind::Erratic => "erratic",
    }
}

/// A recorded anomaly, as the API serves it.
#[derive(Debug, Clone, Serialize, FromRow, ToSchema)]
pub struct AnomalyRow {
    /// `odometer` or `engine_hours`.
    #[schema(value_type = Counter)]
    pub counter: String,
    /// `reset`, `rollback`, `unit_switch`, `jump`, `spike` or `erratic`.
    #[schema(value_type = CounterAnomalyKind)]
    pub kind: String,
    /// The last plausible reading before: when.
    pub before_at: DateTime<Utc>,
    /// Its value.
    pub before_value: f64,
    /// The first reading after: when.
    pub after_at: DateTime<Utc>,
    /// Its value.
    pub after_value: f64,
    /// The highest value the course before allowed then.
    pub max_plausible: f64,
    /// Readings that confirmed the new course (a spike: the old one).
    pub confirmed_by: i32,
    /// The evidence in words.
    pub detail: String,
    /// When it was concluded.
    pub detected_at: DateTime<Utc>,
}

/// A vehicle's recorded anomalies, newest first (they describe the vehicle's
/// counters, so they move with the vehicle like its health).
pub async fn of_vehicle(
    pool: &PgPool,
    vehicle_id: &str,
    limit: i64,
) -> Result<Vec<AnomalyRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT counter, kind, before_at, before_value, after_at, after_value,
                max_plausible, confirmed_by, detail, detected_at
         FROM counter_anomalies WHERE vehicle_id = $1
         ORDER BY after_at DESC, id DESC LIMIT $2",
    )
    .bind(vehicle_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}
